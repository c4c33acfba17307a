// jurisdiction: work stays inside allowed jurisdictions.
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns::resolver;
using namespace cdns::resolver::testing;


TEST(Jurisdiction, KeepsWorkInside) {
  runRows({
      {"HK only", R"({"policies": [{"name": "jurisdiction", "allow": ["HK"]}, {"name": "load"}]})", {}, "hk1"},
      {"CN admits CN-GD", R"({"policies": [{"name": "jurisdiction", "allow": ["CN"]}, {"name": "energy"}]})", {}, "gz1"},
      {"CN-G is not CN-GD", R"({"policies": [{"name": "jurisdiction", "allow": ["CN-G"]}]})", {}, "error: no center left after jurisdiction"},
      {"the query narrows", R"({"policies": [{"name": "jurisdiction", "allow": ["CN", "HK"]}, {"name": "energy"}]})",
       {{"jurisdiction", "CN"}}, "gz1"},
      {"the query cannot widen", R"({"policies": [{"name": "jurisdiction", "allow": ["HK"]}]})", {{"jurisdiction", "CN"}},
       "error: no center left after jurisdiction (asked: jurisdiction=CN)"},
      {"allow required", R"({"policies": [{"name": "jurisdiction"}]})", {},
       "config error: /policies/0: jurisdiction: \"allow\" must be a non-empty array of jurisdiction codes"},
  });
  Explanation why;
  decide(R"({"policies": [{"name": "jurisdiction", "allow": ["HK"]}]})", {}, &why);
  EXPECT_EQ(verdict(why, "jurisdiction", "sz1"), "dropped: jurisdiction CN-GD not allowed");
}

TEST(Jurisdiction, AnyCase) {
  EXPECT_EQ(decide(R"({"policies": [{"name": "jurisdiction", "allow": ["cn", "HK"]}, {"name": "energy"}]})", {{"jurisdiction", "hk"}}),
            "hk1");
}
