// Shared by the policy tests (here and in each resolver/policies/NAME/ folder): the index of
// tests/data/resolver.zone (centers sz1, hk1, gz1 offering "infer") and a one-call decision.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "resolver/index.h"
#include "resolver/policy.h"
#include "rrtypes/zone_loader.h"

namespace cdns::resolver::testing {

inline std::shared_ptr<const Index> index() {
  static auto idx = [] {
    auto file = rrtypes::loadZoneFile(CDNS_TEST_DATA "/resolver.zone", "gba.example.");
    EXPECT_TRUE(file.ok()) << file.error().message;
    auto zone = authority::Zone::build("gba.example.", file->records, "resolver.zone");
    EXPECT_TRUE(zone.ok()) << zone.error().message;
    return Index::build(**zone);
  }();
  return idx;
}

inline const PolicyRegistry& registry() {
  static PolicyRegistry r = [] {
    PolicyRegistry x;
    registerBuiltinPolicies(x);
    return x;
  }();
  return r;
}

inline constexpr uint64_t kNow = 1795843260;  // 60 s after sz1 and hk1 published, 43260 s after gz1

/// Runs a chain given as JSON on the "infer" candidates with `req`; returns the winner or
/// "error: <message>". `adjust` may change the requirements (peer, probes, nonce) first.
template <class Adjust>
std::string decide(const std::string& chainJson, const std::vector<std::pair<std::string, std::string>>& req,
                   Explanation* why, Adjust adjust, std::vector<Candidate> cands = {}) {
  auto chain = Chain::fromJson(nlohmann::json::parse(chainJson), registry());
  if (!chain) return "config error: " + chain.error().message;
  auto r = Requirements::parse(req);
  if (!r) return "request error: " + r.error().message;
  r->now = kNow;
  adjust(*r);
  if (cands.empty()) cands = index()->candidates("infer");
  auto d = (*chain)->decide(*r, cands, why);
  return d ? d->center->name : "error: " + d.error().message;
}

inline std::string decide(const std::string& chainJson, const std::vector<std::pair<std::string, std::string>>& req = {},
                          Explanation* why = nullptr) {
  return decide(chainJson, req, why, [](Requirements&) {});
}

/// The verdict `stage` gave `center`, "" when none.
inline std::string verdict(const Explanation& why, const std::string& stage, const std::string& center) {
  for (const auto& v : why.verdicts)
    if (v.stage == stage && v.center == center) return v.verdict;
  return "";
}

/// One row of a table-driven policy test.
struct Row {
  const char* what;
  const char* chain;
  std::vector<std::pair<std::string, std::string>> req;
  const char* expect;  // the winner, or "error: ..." / "config error: ..."
};

inline void runRows(const std::vector<Row>& rows) {
  for (const auto& row : rows) EXPECT_EQ(decide(row.chain, row.req), row.expect) << row.what;
}

}  // namespace cdns::resolver::testing
