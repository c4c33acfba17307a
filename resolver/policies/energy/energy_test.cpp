// energy: least carbon per unit of work.
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns::resolver;
using namespace cdns::resolver::testing;


TEST(Energy, Greenest) {
  runRows({
      {"greenest", R"({"policies": [{"name": "energy"}]})", {}, "hk1"},
      {"greenest that fits", R"({"policies": [{"name": "fits"}, {"name": "energy"}]})", {{"gpu", "4"}}, "gz1"},
  });
  Explanation why;
  decide(R"({"policies": [{"name": "energy"}]})", {}, &why);
  EXPECT_EQ(verdict(why, "energy", "hk1"), "cost 44 -> +1");  // 200 g/kWh x 1.10 x (1 - 0.80)
  EXPECT_EQ(verdict(why, "energy", "sz1"), "cost 756 -> +0");
}
