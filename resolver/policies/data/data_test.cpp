// data: jobs go to their data.
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns::resolver;
using namespace cdns::resolver::testing;


TEST(Data, JobsGoToTheirData) {
  runRows({
      {"pinned data set: only its holder", R"({"policies": [{"name": "data"}, {"name": "load"}]})", {{"data", "genomes"}}, "gz1"},
      {"movable data over a fast link costs little", R"({"policies": [{"name": "data", "weight": 5}, {"name": "price"}]})",
       {{"data", "imagenet-2012"}}, "gz1"},
      {"over a slow path the holder wins", R"({"policies": [{"name": "fresh", "max_age": 3600}, {"name": "data", "weight": 5}, {"name": "price"}]})",
       {{"data", "imagenet-2012"}}, "sz1"},
      {"no data asked: no effect", R"({"policies": [{"name": "data", "weight": 5}, {"name": "price"}]})", {}, "gz1"},
      {"bad default_bw", R"({"policies": [{"name": "data", "default_bw": 0}]})", {}, "config error: /policies/0: data: \"default_bw\" must be > 0"},
  });
  Explanation why;
  decide(R"({"policies": [{"name": "data"}]})", {{"data", "imagenet-2012"}}, &why);
  EXPECT_EQ(verdict(why, "data", "sz1"), "cost 0 -> +1");
  EXPECT_EQ(verdict(why, "data", "gz1"), "cost 3.22 -> +0.997");  // 150 GiB over the 400G sz1-gz1 link
}

TEST(Data, AnyCase) {
  EXPECT_EQ(decide(R"({"policies": [{"name": "data"}, {"name": "load"}]})", {{"data", "GENOMES"}}), "gz1");
}
