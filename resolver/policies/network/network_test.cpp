// network: the best path from the client to the center.
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns::resolver;
using namespace cdns::resolver::testing;


TEST(Network, BestPathToTheClient) {
  runRows({
      {"a client at gz1 is nearest gz1", R"({"policies": [{"name": "network"}]})", {{"peer", "gz1"}}, "gz1"},
      {"then sz1 (1.8 ms) before hk1 (4 ms)", R"({"policies": [{"name": "fresh", "max_age": 3600}, {"name": "network"}]})",
       {{"peer", "gz1"}}, "sz1"},
      {"no peer, no probes: best published link", R"({"policies": [{"name": "network"}]})", {}, "sz1"},
  });
}

TEST(Network, ProbesWhenNoLinkIsPublished) {
  // The resolver measured gz1 at 5 ms, hk1 at 2 ms, sz1 at 9 ms (by center id).
  std::vector<double> probes(index()->byId().size(), -1);
  for (const Center* c : index()->byId()) probes[c->id] = c->name == "gz1" ? 5 : c->name == "hk1" ? 2 : 9;
  Explanation why;
  EXPECT_EQ(decide(R"({"policies": [{"name": "network"}]})", {}, &why, [&](Requirements& r) { r.probeRttMs = probes; }), "hk1");
  EXPECT_EQ(verdict(why, "network", "hk1"), "cost 2 -> +1");
  // A published link to the client beats a probe; loss is expensive.
  EXPECT_EQ(decide(R"({"policies": [{"name": "network"}]})", {{"peer", "gz1"}}, nullptr, [&](Requirements& r) { r.probeRttMs = probes; }),
            "gz1");
}
