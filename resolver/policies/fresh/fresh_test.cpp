// fresh: drops centers whose data is older than max_age.
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns::resolver;
using namespace cdns::resolver::testing;


TEST(Fresh, DropsStaleCenters) {
  runRows({
      {"gz1 is 12 h old", R"({"policies": [{"name": "fresh", "max_age": 3600}, {"name": "price"}]})", {}, "hk1"},
      {"a day is enough for everyone", R"({"policies": [{"name": "fresh", "max_age": 86400}, {"name": "price"}]})", {}, "gz1"},
      {"everything stale", R"({"policies": [{"name": "fresh", "max_age": 1}]})", {}, "error: no center left after fresh"},
      {"max_age required", R"({"policies": [{"name": "fresh"}]})", {},
       "config error: /policies/0: fresh: \"max_age\" (seconds, >= 1) is required"},
  });
  Explanation why;
  decide(R"({"policies": [{"name": "fresh", "max_age": 3600}]})", {}, &why);
  EXPECT_EQ(verdict(why, "fresh", "gz1"), "dropped: data 43260 s old > 3600");
}
