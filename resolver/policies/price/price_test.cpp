// price: the hourly cost of what was asked for.
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns::resolver;
using namespace cdns::resolver::testing;


TEST(Price, Cheapest) {
  runRows({
      {"cheapest CPU", R"({"policies": [{"name": "price"}]})", {}, "gz1"},
      {"cheapest A100 hour", R"({"policies": [{"name": "fits"}, {"name": "price"}]})", {{"gpu", "A100:1"}}, "hk1"},
      {"cheapest H200 hours", R"({"policies": [{"name": "price"}]})", {{"gpu", "H200:2"}}, "gz1"},
      {"without fits, a center without that GPU ranks last", R"({"policies": [{"name": "fresh", "max_age": 3600}, {"name": "price"}]})",
       {{"gpu", "H200:1"}}, "sz1"},
  });
}
