// Decisions without running the whole chain for every query. A plan keeps step one of a
// decision (the chain's verdicts on the centers' published figures: Chain::evaluate) for one
// kind of request: the same index version, chain, service, requirements and access point, the
// same probe results, within one second. Steps two and three (reservations, then the pick) are
// kept up to date in a tournament tree over the candidates' scores: an answer that hands out a
// center changes that center's leaf only, so the next decision costs O(log n), not O(n).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "resolver/index.h"
#include "resolver/policy.h"
#include "resolver/reservations.h"

namespace cdns::resolver {

class Plans {
 public:
  /// At most `maxPlans` plans, and at most about kBudget bytes of them.
  explicit Plans(size_t maxPlans = 1024) : max_(maxPlans) {}
  static constexpr size_t kBudget = 16u << 20;
  /// The decision `chain.decide(req, index->candidates(service), nullptr)` would make: the same
  /// winner with the same score, or the same error. `held`, when set, is the table `req.held`
  /// shows (the zone's reservations). Chains that are not cacheable() run in full.
  Result<Candidate> decide(const std::shared_ptr<const Index>& index, const std::string& service, const Chain& chain,
                           const Requirements& req, const Reservations* held, uint64_t probeEpoch);
  /// Forgets every plan (a new configuration).
  void clear() { plans_.clear(); }

  struct Stats {
    uint64_t built = 0, reused = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Plan {
    Chain::Evaluation eval;
    std::vector<Candidate> cands;  // the candidates left after step one, with their scores then
    std::vector<double> score;     // each one's score after its holds (per leaf: padding -inf)
    std::vector<uint8_t> fits;     // whether it still fits after its holds (per leaf: padding 0)
    size_t fitting = 0;            // how many do
    std::vector<int32_t> pos;      // by Center::id: the position in `cands` (-1: none)
    bool repeated = false;         // a center came twice (the log cannot be followed by id)
    std::vector<uint32_t> tree;    // tree[1]: the best position; leaves from tree[leaves]
    size_t leaves = 0;
    uint64_t seq = 0;  // Reservations::seq() reflected
  };
  void build(Plan& p, const Index& index, const std::string& service, const Chain& chain, const Requirements& req,
             const Reservations* held);
  void refresh(Plan& p, size_t i, const Chain& chain, const Requirements& req, const Reservations& held);
  void catchUp(Plan& p, const Chain& chain, const Requirements& req, const Reservations* held);
  static bool better(const Plan& p, uint32_t a, uint32_t b);
  static void settle(Plan& p, size_t i);
  static void buildTree(Plan& p);

  size_t max_;
  std::unordered_map<std::string, Plan> plans_;
  std::shared_ptr<const Index> index_;  // kept alive: the plans point into it
  const Reservations* held_ = nullptr;  // the log the plans follow
  uint64_t now_ = 0, probeEpoch_ = 0;
  std::string key_;  // reused for lookups
  Stats stats_;
};

}  // namespace cdns::resolver
