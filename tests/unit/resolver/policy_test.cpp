// Unit tests: the index built from a zone, the chain (config, run order, selectors) and the
// external plug-in loader. Each built-in policy has its own table-driven tests in its folder
// (resolver/policies/NAME/NAME_test.cpp).
#include <gtest/gtest.h>

#include <map>

#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns;
using namespace cdns::resolver;
using namespace cdns::resolver::testing;

TEST(Index, ServicesCentersAndTheirState) {
  auto idx = index();
  EXPECT_TRUE(idx->hasService("infer"));
  EXPECT_FALSE(idx->hasService("train"));
  auto c = idx->candidates("infer");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].center->name, "gz1");
  EXPECT_EQ(c[0].endpoint->endpoint, "infer.gz1.centers.gba.example.");
  ASSERT_EQ(c[0].endpoint->addresses.size(), 1u);
  const Center& sz1 = *idx->centers().at("sz1");
  EXPECT_DOUBLE_EQ(sz1.load, 0.3);
  EXPECT_EQ(sz1.gpuFree, 16u);
  ASSERT_EQ(sz1.gpus.size(), 1u);
  EXPECT_EQ(sz1.gpus[0].model, "H200");
  EXPECT_EQ(sz1.gpus[0].total, 64u);
  EXPECT_EQ(sz1.gpusFree(gpuModelKey("H200")), 16u);
  EXPECT_EQ(sz1.gpusFree(gpuModelKey("A100")), 0u);
  EXPECT_DOUBLE_EQ(sz1.gpuHourPrice(gpuModelKey("H200")), 25);
  EXPECT_LT(sz1.gpuHourPrice(gpuModelKey("A100")), 0);
  EXPECT_EQ(sz1.cpuFree, 512u);
  EXPECT_EQ(sz1.jurisdiction, "CN-GD");
  EXPECT_EQ(sz1.ts, 1795843200u);
  EXPECT_DOUBLE_EQ(sz1.links.at("gz1").rtt, 1.8);
  for (const Center* k : idx->byId()) EXPECT_EQ(idx->byId()[k->id], k);
}

TEST(Chain, RunOrderAndConfigErrors) {
  auto chain = Chain::fromJson(nlohmann::json::parse(R"({"policies": [{"name": "fits"}, {"name": "load"}],
                                                         "select": {"name": "weighted", "top": 2}})"),
                               registry());
  ASSERT_TRUE(chain.ok()) << chain.error().message;
  EXPECT_EQ((*chain)->order(), (std::vector<std::string>{"fits", "load", "select:weighted"}));
  runRows({
      {"unknown policy", R"({"policies": [{"name": "load"}, {"name": "cheapest"}]})", {},
       "config error: /policies/1: unknown policy \"cheapest\" (known: data, energy, fcfs, fits, fresh, jurisdiction, load, "
       "manual, network, price, qos)"},
      {"no policies", R"({"policies": []})", {}, "config error: /policies: expected a non-empty array"},
      {"unknown chain key", R"({"policies": [{"name": "load"}], "selector": "best"})", {},
       "config error: /selector: unknown key (policies, select)"},
      {"unknown selector", R"({"policies": [{"name": "load"}], "select": "random"})", {},
       "config error: /select: unknown selector \"random\" (known: best, weighted, sticky)"},
      {"bad top", R"({"policies": [{"name": "load"}], "select": {"name": "weighted", "top": 0}})", {},
       "config error: /select/top: expected a whole number from 1 to 1000"},
  });
  EXPECT_FALSE(Requirements::parse({{"gpu", "lots"}}).ok());
  EXPECT_EQ(Requirements::parse({{"mem", "64g"}})->mem, 64ULL << 30);
  EXPECT_EQ(Requirements::parse({{"gpu", "H200:4"}})->gpuModel, "H200");
  EXPECT_EQ(Requirements::parse({{"peer", "gz1"}})->peer, "gz1");
}

TEST(Chain, NothingFitsSaysWhatWasMissing) {
  EXPECT_EQ(decide(R"({"policies": [{"name": "fits"}, {"name": "price"}]})", {{"gpu", "100"}}),
            "error: no center left after fits (asked: gpu=100)");
  Explanation why;
  decide(R"({"policies": [{"name": "fits"}, {"name": "load"}]})", {{"gpu", "10"}}, &why);
  EXPECT_EQ(why.verdicts.back().stage, "select");
  EXPECT_EQ(why.verdicts.back().verdict, "chosen: best score 1");
}

TEST(Selector, WeightedSpreadsAmongTheTopK) {
  // load scores: sz1 1, gz1 0.69, hk1 0. Top 2 share the draws, hk1 never gets one.
  std::map<std::string, int> wins;
  for (uint64_t nonce = 0; nonce < 1000; ++nonce)
    ++wins[decide(R"({"policies": [{"name": "load"}], "select": {"name": "weighted", "top": 2}})", {}, nullptr,
                  [&](Requirements& r) { r.nonce = nonce; })];
  EXPECT_EQ(wins.count("hk1"), 0u);
  EXPECT_GT(wins["sz1"], wins["gz1"]);  // the better score draws more often
  EXPECT_GT(wins["gz1"], 100);
  EXPECT_EQ(wins["sz1"] + wins["gz1"], 1000);
  // The same nonce draws the same center.
  auto once = [](uint64_t n) {
    return decide(R"({"policies": [{"name": "load"}], "select": {"name": "weighted", "top": 3}})", {}, nullptr,
                  [&](Requirements& r) { r.nonce = n; });
  };
  EXPECT_EQ(once(42), once(42));
}

TEST(Selector, StickyKeepsASubnetOnOneCenter) {
  const char* chain = R"({"policies": [{"name": "load"}], "select": {"name": "sticky", "top": 3}})";
  std::map<std::string, int> spread;
  for (uint64_t subnet = 1; subnet <= 300; ++subnet) {
    auto first = decide(chain, {}, nullptr, [&](Requirements& r) { r.clientKey = subnet; });
    for (int again = 0; again < 3; ++again)
      EXPECT_EQ(decide(chain, {}, nullptr, [&](Requirements& r) { r.clientKey = subnet; }), first);
    ++spread[first];
  }
  EXPECT_EQ(spread.size(), 3u);  // different subnets land on different centers
  // With top 1 it is "best".
  EXPECT_EQ(decide(R"({"policies": [{"name": "load"}], "select": {"name": "sticky", "top": 1}})", {}, nullptr,
                   [&](Requirements& r) { r.clientKey = 7; }),
            "sz1");
}

#ifdef CDNS_AFFINITY_PLUGIN
TEST(Plugin, LoadedThroughTheCEntryPoint) {
  PolicyRegistry r;
  registerBuiltinPolicies(r);
  auto name = loadPolicyPlugin(r, CDNS_AFFINITY_PLUGIN);
  ASSERT_TRUE(name.ok()) << name.error().message;
  EXPECT_EQ(*name, "affinity");
  auto again = loadPolicyPlugin(r, CDNS_AFFINITY_PLUGIN);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("a policy named \"affinity\" already exists"), std::string::npos);
  auto run = [&](const std::string& json, std::vector<std::pair<std::string, std::string>> req, Explanation* why) {
    auto chain = Chain::fromJson(nlohmann::json::parse(json), r);
    if (!chain) return "config error: " + chain.error().message;
    auto q = Requirements::parse(req);
    q->now = kNow;
    auto cands = index()->candidates("infer");
    auto d = (*chain)->decide(*q, cands, why);
    return d ? d->center->name : "error: " + d.error().message;
  };
  // A region bonus outweighs load; avoided centers are gone.
  EXPECT_EQ(run(R"({"policies": [{"name": "affinity", "regions": ["guangzhou"], "bonus": 2}, {"name": "load"}]})", {}, nullptr), "gz1");
  EXPECT_EQ(run(R"({"policies": [{"name": "affinity", "regions": ["guangzhou"], "bonus": 2}, {"name": "load"}]})",
                {{"region", "Hong Kong"}}, nullptr),
            "hk1");
  Explanation why;
  EXPECT_EQ(run(R"({"policies": [{"name": "affinity", "avoid": ["sz1"]}, {"name": "load"}]})", {}, &why), "gz1");
  EXPECT_EQ(verdict(why, "affinity", "sz1"), "dropped: 1 avoided, bonus 1 in 0 region(s)");
  EXPECT_EQ(run(R"({"policies": [{"name": "affinity", "avoid": ["sz1", "gz1", "hk1"]}]})", {}, nullptr),
            "error: no center left after affinity");
  // The plug-in's own config check, with the path of the entry.
  EXPECT_EQ(run(R"({"policies": [{"name": "load"}, {"name": "affinity", "regions": "shenzhen"}]})", {}, nullptr),
            "config error: /policies/1: affinity: bad or unknown key \"regions\" (regions, avoid, bonus)");
}
#endif

TEST(Plugin, RefusesWhatIsNotAPlugin) {
  PolicyRegistry r;
  auto missing = loadPolicyPlugin(r, "/nonexistent/cdns_policy_x.so");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("plug-in /nonexistent/cdns_policy_x.so: "), std::string::npos);
  auto libc = loadPolicyPlugin(r, "libc.so.6");  // loads, but has no entry point
  ASSERT_FALSE(libc.ok());
  EXPECT_NE(libc.error().message.find("no cdns_policy_plugin entry point"), std::string::npos);
}

TEST(Index, UpdateDecodesOnlyTheCentersThatChanged) {
  auto file = rrtypes::loadZoneFile(CDNS_TEST_DATA "/resolver.zone", "gba.example.");
  ASSERT_TRUE(file.ok());
  auto z1 = authority::Zone::build("gba.example.", file->records, "resolver.zone");
  ASSERT_TRUE(z1.ok());
  auto i1 = Index::build(**z1);
  auto record = [](const std::string& text) {
    auto rr = rrtypes::parseRr(text, "gba.example.");
    EXPECT_TRUE(rr.ok()) << text;
    return authority::Zone::recordOf(rr->get());
  };
  // sz1 publishes a new CAP; hk1's endpoint moves to a new address.
  auto oldCap = record("sz1.centers.gba.example. 300 IN CAP cpu=512/4096 gpu=H200:16/64 mem=10T/32T load=0.30 queue=1 ts=1795843200");
  auto newCap = record("sz1.centers.gba.example. 300 IN CAP cpu=512/4096 gpu=H200:16/64 mem=10T/32T load=0.95 queue=1 ts=1795843300");
  auto oldA = record("infer.hk1.centers.gba.example. 300 IN A 192.0.2.20");
  auto newA = record("infer.hk1.centers.gba.example. 300 IN A 192.0.2.99");
  auto z2 = (*z1)->apply({oldCap, oldA}, {newCap, newA});
  auto i2 = Index::update(i1.get(), *z2, {oldCap.owner, oldA.owner});
  EXPECT_NE(i2->centers().at("sz1"), i1->centers().at("sz1"));  // decoded again
  EXPECT_DOUBLE_EQ(i2->centers().at("sz1")->load, 0.95);
  EXPECT_EQ(i2->centers().at("hk1"), i1->centers().at("hk1"));  // shared, not decoded
  EXPECT_EQ(i2->centers().at("gz1"), i1->centers().at("gz1"));
  for (const Center* c : i2->byId()) EXPECT_EQ(i2->byId()[c->id], c);
  auto cands = i2->candidates("infer");
  ASSERT_EQ(cands.size(), 3u);
  for (const auto& c : cands) {
    EXPECT_EQ(c.hot->center, c.center);
    if (c.center->name == "hk1") {
      EXPECT_EQ(c.endpoint->addresses[0], std::string("\xc0\x00\x02\x63", 4));
    }
    if (c.center->name == "sz1") {
      EXPECT_DOUBLE_EQ(c.hot->load, 0.95);
    }
  }
  // A center that joins: everything is decoded, ids stay consistent.
  auto joined = record("aa1.centers.gba.example. 300 IN CAP cpu=1/2 load=0.1 ts=1795843300");
  auto z3 = z2->apply({}, {joined});
  auto i3 = Index::update(i2.get(), *z3, {joined.owner});
  ASSERT_EQ(i3->byId().size(), 4u);
  for (const Center* c : i3->byId()) EXPECT_EQ(i3->byId()[c->id], c);
  EXPECT_EQ(i3->centers().at("aa1")->id, 0u);
  EXPECT_EQ(i3->centers().at("sz1")->id, 3u);
}
