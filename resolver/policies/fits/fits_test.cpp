// fits: enough free GPUs, CPUs and memory, after reservations.
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns::resolver;
using namespace cdns::resolver::testing;


TEST(Fits, EnoughOfWhatWasAsked) {
  runRows({
      {"12 GPUs: only sz1", R"({"policies": [{"name": "fits"}, {"name": "price"}]})", {{"gpu", "12"}}, "sz1"},
      {"A100: only hk1", R"({"policies": [{"name": "fits"}, {"name": "price"}]})", {{"gpu", "A100:1"}}, "hk1"},
      {"H200:10: sz1", R"({"policies": [{"name": "fits"}, {"name": "price"}]})", {{"gpu", "H200:10"}}, "sz1"},
      {"1000 CPUs: gz1", R"({"policies": [{"name": "fits"}, {"name": "load"}]})", {{"cpu", "1000"}}, "gz1"},
      {"15T memory: gz1", R"({"policies": [{"name": "fits"}, {"name": "load"}]})", {{"mem", "15t"}}, "gz1"},
      {"nothing fits", R"({"policies": [{"name": "fits"}]})", {{"gpu", "100"}}, "error: no center left after fits (asked: gpu=100)"},
  });
}

TEST(Fits, ExplainsAndCountsWhatWasHandedOut) {
  Explanation why;
  EXPECT_EQ(decide(R"({"policies": [{"name": "fits"}, {"name": "load"}]})", {{"gpu", "10"}}, &why), "sz1");
  EXPECT_EQ(verdict(why, "fits", "hk1"), "dropped: gpu 2 free < 10");
  EXPECT_EQ(verdict(why, "fits", "sz1"), "kept");
  // sz1 has 16 GPUs free, 10 of them already handed out: it no longer fits 10.
  std::vector<Held> held(index()->byId().size());
  held[index()->centers().at("sz1")->id].gpus = 10;
  Explanation why2;
  EXPECT_EQ(decide(R"({"policies": [{"name": "fits"}]})", {{"gpu", "6"}}, &why2, [&](Requirements& r) { r.held = held; }),
            "gz1");  // the first that fits, in zone order (sz1, 6 left, fits too)
  EXPECT_EQ(verdict(why2, "fits", "sz1"), "kept");
  EXPECT_EQ(verdict(why2, "holds", "sz1"), "");  // fits after its holds: nothing to say
  Explanation why3;
  EXPECT_EQ(decide(R"({"policies": [{"name": "fits"}, {"name": "load"}]})", {{"gpu", "7"}}, &why3, [&](Requirements& r) { r.held = held; }),
            "gz1");
  EXPECT_EQ(verdict(why3, "fits", "sz1"), "kept");  // on its published figures
  EXPECT_EQ(verdict(why3, "holds", "sz1"), "dropped: fits: gpu 6 free (10 handed out) < 7");
  // Every center that fits is full of holds: the published figures decide, and say so.
  Explanation why4;
  EXPECT_EQ(decide(R"({"policies": [{"name": "fits"}]})", {{"gpu", "10"}}, &why4, [&](Requirements& r) { r.held = held; }), "sz1");
  EXPECT_EQ(verdict(why4, "holds", "sz1"), "kept on its published figures (all handed out): fits: gpu 6 free (10 handed out) < 10");
  EXPECT_EQ(verdict(why4, "fits", "gz1"), "dropped: gpu 8 free < 10");
}
