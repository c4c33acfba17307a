// Plans against the reference: over long random runs of requests, answers and expiring holds,
// a decision served from a plan (resolver/plan.h) is the one Chain::decide makes over the full
// candidate list: the same center with the same score, or the same error.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "authority/zone.h"
#include "resolver/plan.h"
#include "resolver/reservations.h"
#include "rrtypes/zone_loader.h"
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns;
using namespace cdns::resolver;

namespace {

// `n` centers with small pools (so that holds fill them), a few equal loads (ties), one without
// a price, one stale, one with two GPU models, and two that offer the service twice over.
std::shared_ptr<const Index> zoneOf(size_t n) {
  std::string z = "$ORIGIN plan.example.\n$TTL 300\n@ SOA ns1 hm 1 3600 600 604800 300\n@ NS ns1\nns1 A 127.0.0.1\n";
  for (size_t i = 0; i < n; ++i) {
    std::string c = "c" + std::to_string(i) + ".centers";
    uint64_t ts = i == 3 ? 1795700000 : 1795843200;
    std::string gpus = i == 5 ? "A100:2/8,H200:4/8" : "H200:" + std::to_string(i % 7) + "/8";
    z += c + " CAP cpu=" + std::to_string(4 + (i * 5) % 29) + "/64 gpu=" + gpus + " mem=" + std::to_string(1 + i % 4) +
         "T/8T load=0." + std::to_string(i % 6 == 0 ? 5 : (i * 37) % 10) + " queue=" + std::to_string(i % 4) +
         " ts=" + std::to_string(ts) + "\n";
    if (i != 7)
      z += c + " PRICE currency=CNY cpu-hour=0." + std::to_string(1 + i % 9) + " gpu-hour=H200:" + std::to_string(5 + i % 11) +
           " ts=" + std::to_string(ts) + "\n";
    z += c + " NETQ peer=ap" + std::to_string(i % 3) + " rtt=" + std::to_string(1 + i % 13) + "ms bw=10G ts=" + std::to_string(ts) + "\n";
    z += "infer." + c + " A 10.0." + std::to_string(i / 250) + "." + std::to_string(1 + i % 250) + "\n";
    z += "infer.svc PTR infer." + c + "\n";
  }
  auto file = rrtypes::loadZoneText(z, "plan.zone", "plan.example.");
  EXPECT_TRUE(file.ok()) << file.error().message;
  auto zone = authority::Zone::build("plan.example.", file->records, "plan.zone");
  EXPECT_TRUE(zone.ok()) << zone.error().message;
  return Index::build(**zone);
}

std::string show(const Result<Candidate>& r) {
  if (!r) return "error: " + r.error().message;
  char score[40];
  snprintf(score, sizeof score, "%.17g", r->score);
  return r->center->name + " " + score;
}

// What the reference said about holds over the run: how often a held center was dropped, and
// how often every center left was full of holds (the published figures decided).
struct HoldCounts {
  size_t dropped = 0, allFull = 0;
};

HoldCounts compare(const char* chainJson, size_t centers, size_t steps, unsigned seed, size_t maxPlans = 16) {
  SCOPED_TRACE(chainJson);
  auto index = zoneOf(centers);
  auto chain = Chain::fromJson(nlohmann::json::parse(chainJson), resolver::testing::registry());
  EXPECT_TRUE(chain.ok()) << chain.error().message;
  if (!chain) return {};
  Reservations held;
  held.follow(*index);
  Plans plans(maxPlans);
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::pair<std::string, std::string>>> kinds = {
      {}, {{"cpu", "4"}}, {{"cpu", "12"}}, {{"gpu", "1"}}, {{"gpu", "H200:3"}}, {{"gpu", "A100:1"}},
      {{"mem", "2t"}}, {{"gpu", "2"}, {"cpu", "8"}}, {{"peer", "ap1"}}, {{"gpu", "50"}}, {{"center", "c4"}}};
  uint64_t now = resolver::testing::kNow;
  uint64_t probeEpoch = 0;
  std::vector<double> probes(index->byId().size(), -1);
  size_t served = 0;
  HoldCounts counts;
  for (size_t step = 0; step < steps; ++step) {
    if (rng() % 97 == 0) ++now;  // plans last one second
    if (rng() % 61 == 0) held.expire(now, 1 + rng() % 3);
    if (rng() % 211 == 0) {  // new probe results
      probes[rng() % probes.size()] = static_cast<double>(rng() % 50);
      ++probeEpoch;
    }
    auto req = Requirements::parse(kinds[rng() % kinds.size()]);
    EXPECT_TRUE(req.ok());
    req->now = now;
    req->nonce = rng();
    req->clientKey = rng() % 5;
    req->held = held.table();
    req->probeRttMs = probes;
    std::vector<Candidate> cands = index->candidates("infer");
    Explanation why;  // words for every verdict: for the small zones only (slow under ASan)
    auto reference = (*chain)->decide(*req, cands, centers <= 50 ? &why : nullptr);
    for (const auto& v : why.verdicts) {
      counts.dropped += v.stage == "holds" && v.verdict.rfind("dropped:", 0) == 0;
      counts.allFull += v.stage == "holds" && v.verdict.rfind("kept on its published", 0) == 0;
    }
    auto planned = plans.decide(index, "infer", **chain, *req, &held, probeEpoch);
    EXPECT_EQ(show(planned), show(reference)) << "step " << step;
    if (show(planned) != show(reference)) return counts;
    if (reference) {
      ++served;
      held.hold(*reference->center, *req, now, 1);
    }
  }
  EXPECT_GT(served, steps / 2);
  if (maxPlans > kinds.size()) {
    EXPECT_GT(plans.stats().reused, plans.stats().built);  // plans were used, not only made
  }
  return counts;
}

}  // namespace

TEST(Plans, SameDecisionsAsTheWholeChain) {
  auto counts = compare(R"({"policies": [{"name": "fits"}, {"name": "load"}]})", 40, 4000, 1);
  EXPECT_GT(counts.dropped, 100u);  // the run went through both of the holds' cases, many times
  EXPECT_GT(counts.allFull, 100u);
  compare(R"({"policies": [{"name": "fits"}, {"name": "load"}]})", 40, 1000, 10, 4);  // plans thrown away when full
  compare(R"({"policies": [{"name": "fits"}, {"name": "fresh", "max_age": 3600}, {"name": "load"}, {"name": "price"}]})", 300,
          3000, 2);
  compare(R"({"policies": [{"name": "load"}]})", 5, 2000, 3);  // holds lower scores, nothing drops
  compare(R"({"policies": [{"name": "fits"}]})", 12, 2000, 4);  // scores all equal: ties by zone order
  compare(R"({"policies": [{"name": "manual"}, {"name": "fits"}, {"name": "price", "weight": 2}, {"name": "load"}]})", 30,
          2000, 5);
  compare(R"({"policies": [{"name": "fits"}, {"name": "network"}, {"name": "load", "weight": 0.5}]})", 30, 2000, 6);
  compare(R"({"policies": [{"name": "fits"}, {"name": "load"}], "select": {"name": "weighted", "top": 3}})", 30, 2000, 7);
  compare(R"({"policies": [{"name": "fits"}, {"name": "load"}], "select": {"name": "sticky", "top": 4}})", 30, 2000, 8);
  compare(R"({"policies": [{"name": "fits"}, {"name": "energy"}, {"name": "qos"}, {"name": "load"}]})", 30, 2000, 9);
}

TEST(Plans, FollowAReservationLogThatOverflows) {
  // More changes between two decisions of one kind than the log keeps: the plan looks at every
  // candidate again and still agrees.
  auto index = zoneOf(50);
  auto chain = Chain::fromJson(nlohmann::json::parse(R"({"policies": [{"name": "fits"}, {"name": "load"}]})"), resolver::testing::registry());
  ASSERT_TRUE(chain.ok());
  Reservations held;
  held.follow(*index);
  Plans plans;
  auto req = Requirements::parse({{"cpu", "2"}});
  req->now = resolver::testing::kNow;
  req->held = held.table();
  ASSERT_TRUE(plans.decide(index, "infer", **chain, *req, &held, 0).ok());
  auto other = Requirements::parse({});
  for (int i = 0; i < 2000; ++i) held.hold(*index->byId()[static_cast<size_t>(i) % 50], *other, resolver::testing::kNow, 1);
  std::vector<Candidate> cands = index->candidates("infer");
  EXPECT_EQ(show(plans.decide(index, "infer", **chain, *req, &held, 0)), show((*chain)->decide(*req, cands, nullptr)));
  EXPECT_EQ(plans.stats().built, 1u);
}

TEST(Plans, UnknownServiceAndPlugInChainsRunInFull) {
  auto index = zoneOf(3);
  auto chain = Chain::fromJson(nlohmann::json::parse(R"({"policies": [{"name": "load"}]})"), resolver::testing::registry());
  ASSERT_TRUE(chain.ok());
  Plans plans;
  Requirements req;
  req.now = resolver::testing::kNow;
  EXPECT_EQ(show(plans.decide(index, "nope", **chain, req, nullptr, 0)), "error: no center offers this service");
}

TEST(Requirements, ALaterItemReplacesAnEarlierOneWhole) {
  // The plan of a request is found by its key=value list: nothing may linger from an item that
  // a later one with the same key replaced (a found bug: gpu=H200:4 then gpu=9 kept the model).
  auto r = Requirements::parse({{"gpu", "H200:4"}, {"gpu", "9"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->gpus, 9u);
  EXPECT_EQ(r->gpuModel, "");
  EXPECT_EQ(r->gpuModelKey, 0u);
  EXPECT_EQ(r->kv.at("gpu"), "9");
}

TEST(Plans, RequestsThatLookAlikeAreNotConfused) {
  // {a: "1\0center=c4"} and {a: "1", center: "c4"} are different requests with a plan each (a
  // found bug: the key joined the parts with separators, and values may hold any byte), as are
  // {"center=c4": "1"} and {center: "c4=1"}.
  auto index = zoneOf(8);
  auto chain = Chain::fromJson(nlohmann::json::parse(R"({"policies": [{"name": "manual"}, {"name": "fits"}, {"name": "load"}]})"),
                               resolver::testing::registry());
  ASSERT_TRUE(chain.ok());
  Plans plans;
  std::vector<std::vector<std::pair<std::string, std::string>>> kinds = {
      {{"a", std::string("1\0center=c4", 11)}}, {{"a", "1"}, {"center", "c4"}}, {{"center=c4", "1"}}, {{"center", "c4=1"}}};
  for (int round = 0; round < 2; ++round)
    for (const auto& items : kinds) {
      auto req = Requirements::parse(items);
      ASSERT_TRUE(req.ok());
      req->now = resolver::testing::kNow;
      std::vector<Candidate> cands = index->candidates("infer");
      EXPECT_EQ(show(plans.decide(index, "infer", **chain, *req, nullptr, 0)), show((*chain)->decide(*req, cands, nullptr)))
          << items.size() << " items, round " << round;
    }
  EXPECT_EQ(plans.stats().built, kinds.size());
}
