// qos: hard limits on the path, then a weighted composite.
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns::resolver;
using namespace cdns::resolver::testing;

TEST(Qos, LimitsThenComposite) {
  runRows({
      {"rtt limit drops hk1 (4 ms)", R"({"policies": [{"name": "fresh", "max_age": 3600}, {"name": "qos", "max_rtt_ms": 3}, {"name": "price"}]})",
       {{"peer", "gz1"}}, "sz1"},
      {"the query tightens the limit", R"({"policies": [{"name": "fresh", "max_age": 3600}, {"name": "qos"}]})",
       {{"peer", "gz1"}, {"rtt", "1"}}, "error: no center left after qos (asked: peer=gz1, rtt=1)"},
      {"bandwidth floor", R"({"policies": [{"name": "fresh", "max_age": 3600}, {"name": "qos", "min_bw": 2e11}]})", {{"peer", "gz1"}}, "sz1"},
      {"composite favours the short path", R"({"policies": [{"name": "fresh", "max_age": 3600}, {"name": "qos"}]})", {{"peer", "gz1"}}, "sz1"},
      {"weights: load only", R"({"policies": [{"name": "qos", "weights": {"rtt": 0, "jitter": 0, "loss": 0, "bw": 0, "load": 1}}]})",
       {{"peer", "gz1"}}, "sz1"},
      {"unknown weight", R"({"policies": [{"name": "qos", "weights": {"latency": 1}}]})", {},
       "config error: /policies/0: qos: weights: unknown key \"latency\" (rtt, jitter, loss, bw, load)"},
  });
}
