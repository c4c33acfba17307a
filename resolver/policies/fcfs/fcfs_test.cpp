// fcfs: the first center in configured order that is still a candidate.
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns::resolver;
using namespace cdns::resolver::testing;


TEST(Fcfs, FirstInOrderThatFits) {
  runRows({
      {"configured order", R"({"policies": [{"name": "fits"}, {"name": "fcfs", "order": ["hk1", "gz1", "sz1"]}]})", {}, "hk1"},
      {"first that fits", R"({"policies": [{"name": "fits"}, {"name": "fcfs", "order": ["hk1", "gz1", "sz1"]}]})", {{"gpu", "4"}}, "gz1"},
      {"unlisted centers follow in zone order", R"({"policies": [{"name": "fcfs", "order": ["sz1"]}]})", {}, "sz1"},
      {"no order: zone order", R"({"policies": [{"name": "fcfs"}]})", {}, "gz1"},
      {"stops the chain", R"({"policies": [{"name": "fcfs", "order": ["hk1"]}, {"name": "load", "weight": 9}]})", {}, "hk1"},
      {"order must be names", R"({"policies": [{"name": "fcfs", "order": [1]}]})", {},
       "config error: /policies/0: fcfs: \"order\" must be an array of center names"},
  });
}
