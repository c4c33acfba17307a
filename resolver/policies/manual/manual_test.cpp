// manual: the query names the center.
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns::resolver;
using namespace cdns::resolver::testing;


TEST(Manual, TheQueryNamesTheCenter) {
  runRows({
      {"named center wins over a better load", R"({"policies": [{"name": "manual"}, {"name": "load"}]})", {{"center", "hk1"}}, "hk1"},
      {"without a name the chain goes on", R"({"policies": [{"name": "manual"}, {"name": "load"}]})", {}, "sz1"},
      {"an unknown center leaves nothing", R"({"policies": [{"name": "manual"}]})", {{"center", "xx9"}},
       "error: no center left after manual (asked: center=xx9)"},
      {"a center that does not fit stays dropped", R"({"policies": [{"name": "fits"}, {"name": "manual"}]})",
       {{"center", "hk1"}, {"gpu", "4"}}, "error: no center left after manual (asked: center=hk1, gpu=4)"},
      {"unknown key", R"({"policies": [{"name": "manual", "centre": "x"}]})", {}, "config error: /policies/0: manual: unknown key \"centre\""},
  });
}
