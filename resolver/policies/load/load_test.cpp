// load: the least loaded center, reservations counted.
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns::resolver;
using namespace cdns::resolver::testing;


TEST(Load, LeastLoaded) {
  runRows({
      {"least loaded", R"({"policies": [{"name": "load"}]})", {}, "sz1"},
      {"a long queue weighs", R"({"policies": [{"name": "load", "queue_weight": 0.5}]})", {}, "sz1"},
      {"price outweighs load", R"({"policies": [{"name": "load", "weight": 1}, {"name": "price", "weight": 3}]})", {}, "gz1"},
      {"bad weight", R"({"policies": [{"name": "load", "weight": -1}]})", {}, "config error: /policies/0: load: \"weight\" must be a number from 0 to 1000000"},
      {"weight too big", R"({"policies": [{"name": "load", "weight": 1e300}]})", {}, "config error: /policies/0: load: \"weight\" must be a number from 0 to 1000000"},
  });
}

TEST(Load, WhatWasHandedOutCounts) {
  // sz1 (load 0.30) has had 1,000 of its 4,096 CPUs handed out since it last published: gz1
  // (0.50 + 3 queued) is now the better bet.
  std::vector<Held> held(index()->byId().size());
  held[index()->centers().at("sz1")->id].cpus = 1000;
  EXPECT_EQ(decide(R"({"policies": [{"name": "load"}]})", {}, nullptr, [&](Requirements& r) { r.held = held; }), "gz1");
}

TEST(Load, HoldsCountOnThePublishedScale) {
  // One stage's holds verdict: what the CPUs handed out took off the score.
  std::vector<Held> held(index()->byId().size());
  held[index()->centers().at("sz1")->id].cpus = 512;
  Explanation why;
  decide(R"({"policies": [{"name": "fits"}, {"name": "load"}]})", {}, &why, [&](Requirements& r) { r.held = held; });
  // sz1: 512 of 4,096 CPUs held (0.125) on loads+queues that span 0.31 to 1.02: 0.125 / 0.71.
  EXPECT_EQ(verdict(why, "holds", "sz1"), "load: 512 CPUs handed out -> -0.176");
  EXPECT_EQ(verdict(why, "holds", "gz1"), "");
}
