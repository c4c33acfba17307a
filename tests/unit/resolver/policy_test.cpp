// Unit tests: the index built from a zone, and each policy, table-driven (candidates in,
// ranking out).
#include <gtest/gtest.h>

#include "resolver/index.h"
#include "resolver/policy.h"
#include "rrtypes/zone_loader.h"

using namespace cdns;
using namespace cdns::resolver;

namespace {

std::shared_ptr<const Index> index() {
  static auto idx = [] {
    auto file = rrtypes::loadZoneFile(CDNS_TEST_DATA "/resolver.zone", "gba.example.");
    EXPECT_TRUE(file.ok()) << file.error().message;
    auto zone = authority::Zone::build("gba.example.", file->records, "resolver.zone");
    EXPECT_TRUE(zone.ok()) << zone.error().message;
    return Index::build(**zone);
  }();
  return idx;
}

const PolicyRegistry& registry() {
  static PolicyRegistry r = [] {
    PolicyRegistry x;
    registerBuiltinPolicies(x);
    return x;
  }();
  return r;
}

// Runs a chain given as JSON on the "infer" candidates with `req`; returns the winner or the error.
std::string decide(const std::string& chainJson, const std::vector<std::pair<std::string, std::string>>& req,
                   Explanation* why = nullptr) {
  auto chain = Chain::fromJson(nlohmann::json::parse(chainJson), registry());
  EXPECT_TRUE(chain.ok()) << chain.error().message;
  auto r = Requirements::parse(req);
  EXPECT_TRUE(r.ok());
  r->now = 1795843260;
  auto d = (*chain)->decide(*r, index()->candidates("infer"), why);
  return d ? d->center->name : "error: " + d.error().message;
}

}  // namespace

TEST(Index, ServicesCentersAndTheirState) {
  auto idx = index();
  EXPECT_TRUE(idx->hasService("infer"));
  EXPECT_FALSE(idx->hasService("train"));
  auto c = idx->candidates("infer");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].center->name, "gz1");
  EXPECT_EQ(c[0].endpoint->endpoint, "infer.gz1.centers.gba.example.");
  ASSERT_EQ(c[0].endpoint->addresses.size(), 1u);
  const Center& sz1 = idx->centers().at("sz1");
  EXPECT_DOUBLE_EQ(sz1.load, 0.3);
  EXPECT_EQ(sz1.gpuFree, 16u);
  EXPECT_EQ(sz1.gpus.at("H200").second, 64u);
  EXPECT_EQ(sz1.cpuFree, 512u);
  EXPECT_EQ(sz1.jurisdiction, "CN-GD");
  EXPECT_EQ(sz1.ts, 1795843200u);
}

TEST(Policies, EachPicksItsCenter) {
  struct Row {
    const char* what;
    const char* chain;
    std::vector<std::pair<std::string, std::string>> req;
    const char* winner;
  };
  const Row rows[] = {
      {"load: least loaded", R"({"policies": [{"name": "load"}]})", {}, "sz1"},
      {"energy: greenest", R"({"policies": [{"name": "energy"}]})", {}, "hk1"},
      {"price: cheapest CPU", R"({"policies": [{"name": "price"}]})", {}, "gz1"},
      {"price: cheapest A100 hour", R"({"policies": [{"name": "fits"}, {"name": "price"}]})", {{"gpu", "A100:1"}}, "hk1"},
      {"network: best rtt to gz1", R"({"policies": [{"name": "network"}]})", {{"peer", "gz1"}}, "sz1"},
      {"manual", R"({"policies": [{"name": "manual"}, {"name": "load"}]})", {{"center", "hk1"}}, "hk1"},
      {"fcfs: configured order", R"({"policies": [{"name": "fits"}, {"name": "fcfs", "order": ["hk1", "gz1", "sz1"]}]})", {}, "hk1"},
      {"fcfs: first that fits", R"({"policies": [{"name": "fits"}, {"name": "fcfs", "order": ["hk1", "gz1", "sz1"]}]})",
       {{"gpu", "4"}}, "gz1"},
      {"fits: 12 GPUs", R"({"policies": [{"name": "fits"}, {"name": "price"}]})", {{"gpu", "12"}}, "sz1"},
      {"fresh drops stale gz1", R"({"policies": [{"name": "fresh", "max_age": 3600}, {"name": "price"}]})", {}, "hk1"},
      {"jurisdiction HK only", R"({"policies": [{"name": "jurisdiction", "allow": ["HK"]}, {"name": "load"}]})", {}, "hk1"},
      {"jurisdiction CN", R"({"policies": [{"name": "jurisdiction", "allow": ["CN"]}, {"name": "energy"}]})", {}, "gz1"},
      {"data: pinned data set", R"({"policies": [{"name": "data"}, {"name": "load"}]})", {{"data", "genomes"}}, "gz1"},
      {"data: movable data weighs", R"({"policies": [{"name": "data", "weight": 5}, {"name": "price"}]})",
       {{"data", "imagenet-2012"}}, "sz1"},
      {"qos: rtt limit", R"({"policies": [{"name": "qos", "max_rtt_ms": 3}, {"name": "price"}]})", {{"peer", "gz1"}}, "sz1"},
      {"weights: price outweighs load",
       R"({"policies": [{"name": "load", "weight": 1}, {"name": "price", "weight": 3}]})", {}, "gz1"},
  };
  for (const auto& row : rows) EXPECT_EQ(decide(row.chain, row.req), row.winner) << row.what;
}

TEST(Policies, NothingFitsSaysWhatWasMissing) {
  std::string r = decide(R"({"policies": [{"name": "fits"}, {"name": "price"}]})", {{"gpu", "100"}});
  EXPECT_EQ(r, "error: no center left after fits (asked: gpu=100)");
  Explanation why;
  decide(R"({"policies": [{"name": "fits"}, {"name": "load"}]})", {{"gpu", "10"}}, &why);
  bool saw = false;
  for (const auto& v : why.verdicts)
    if (v.stage == "fits" && v.center == "hk1" && v.verdict == "dropped: gpu 2 free < 10") saw = true;
  EXPECT_TRUE(saw) << why.toJson().dump();
  EXPECT_EQ(why.verdicts.back().stage, "select");
}

TEST(Policies, ConfigErrorsNameThePath) {
  auto bad = Chain::fromJson(nlohmann::json::parse(R"({"policies": [{"name": "load"}, {"name": "cheapest"}]})"), registry());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("/policies/1: unknown policy \"cheapest\""), std::string::npos) << bad.error().message;
  auto fresh = Chain::fromJson(nlohmann::json::parse(R"({"policies": [{"name": "fresh"}]})"), registry());
  EXPECT_NE(fresh.error().message.find("/policies/0: fresh: \"max_age\""), std::string::npos);
  EXPECT_FALSE(Requirements::parse({{"gpu", "lots"}}).ok());
  EXPECT_EQ(Requirements::parse({{"mem", "64g"}})->mem, 64ULL << 30);
}
