// The policy chain: filters drop candidates, rankers score them, a selector picks. Policies are
// plug-ins behind one small interface, created by name from JSON through an explicit registry.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "resolver/index.h"

namespace cdns::resolver {

/// What the client asked for: "gpu=4", "mem=64g", "policy=price", "center=sz1", ...
struct Requirements {
  std::map<std::string, std::string> kv;
  uint64_t gpus = 0, cpus = 0, mem = 0;  // parsed from gpu=, cpu=, mem=
  std::string gpuModel;                  // gpu=H200:4
  uint64_t gpuModelKey = 0;              // gpuModelKey(gpuModel)
  uint64_t now = 0;                      // Unix seconds, for freshness
  // Filled by the answering side, not by parse():
  std::string peer;        // the client's access point ("peer=" in the query, or its subnet's mapping)
  uint64_t clientKey = 0;  // a hash of the client's subnet (ECS or source address), for "sticky"
  uint64_t nonce = 0;      // a random draw per query, for "weighted"
  /// The resolver's own round-trip measurements to each center's endpoints, in ms, indexed by
  /// Center::id (negative: none yet). Empty when probing is off.
  std::span<const double> probeRttMs;
  /// What this resolver has handed out per center since its last update, indexed by Center::id.
  /// Empty when reservations are off.
  std::span<const Held> held;
  Held heldFor(uint32_t id) const { return id < held.size() ? held[id] : Held{}; }
  /// Parses "gpu-4.mem-64g.policy-price" labels or "gpu=4,mem=64g" lists; errors name the item.
  static Result<Requirements> parse(const std::vector<std::pair<std::string, std::string>>& items);
  std::string get(const std::string& k) const {
    auto it = kv.find(k);
    return it == kv.end() ? "" : it->second;
  }
};

/// Why the chain chose what it chose: each stage's verdict per center.
struct Explanation {
  struct Verdict {
    std::string stage, center, verdict;  // verdict: "dropped: ..." or "score 0.42"
  };
  std::vector<Verdict> verdicts;
  void add(const std::string& stage, const std::string& center, const std::string& verdict) {
    verdicts.push_back({stage, center, verdict});
  }
  nlohmann::json toJson() const;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual const std::string& name() const = 0;
  /// Filters erase candidates; rankers add to `score` (higher wins). kStop ends the chain early
  /// (e.g. `manual` when the query named a center).
  enum class Flow { kContinue, kStop };
  /// What a stage leaves for the reservations step of the same decision: a ranker's scale (the
  /// score one unit of its cost is worth among these candidates).
  struct Note {
    double scale = 0;
  };
  /// Runs the stage on the centers' published figures. Built-in policies do not read
  /// `req.held` here: what this resolver handed out is the business of onHolds().
  virtual Flow apply(const Requirements& req, std::vector<Candidate>& cands, Explanation* why, Note& note) const = 0;
  /// Reservations, once the chain has run: `h` is what this resolver handed out for `x`'s center
  /// since its last update (never all zero). Returns false when the center no longer fits
  /// (fits); may lower `score` (load). `why`, when set, gets the reason in words.
  virtual bool onHolds(const Requirements& req, const Candidate& x, const Held& h, const Note& note, double& score,
                       std::string* why) const {
    (void)req, (void)x, (void)h, (void)note, (void)score, (void)why;
    return true;
  }
  /// True when onHolds() may do anything (false: it is the default, which keeps every center).
  virtual bool countsHolds() const { return false; }
  /// True when apply() depends on nothing but the published figures and the request (not on
  /// `req.held`, the nonce or the client key): its verdicts can be kept for a second and reused.
  virtual bool pure() const { return true; }
};

/// Factories validate their JSON config once; the policy they return is cheap per query.
using PolicyFactory = std::function<Result<std::unique_ptr<Policy>>(const nlohmann::json& config)>;

class PolicyRegistry {
 public:
  void add(const std::string& name, PolicyFactory f) { factories_[name] = std::move(f); }
  Result<std::unique_ptr<Policy>> create(const std::string& name, const nlohmann::json& config) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, PolicyFactory> factories_;
};

/// The built-in policies, registered by one visible call: manual, fcfs, fits, fresh,
/// jurisdiction, load, energy, price, network, data, qos (each in resolver/policies/NAME/).
void registerBuiltinPolicies(PolicyRegistry& r);

/// Loads an external policy plug-in (a shared object with the C entry point of
/// resolver/plugin_api.h) and registers it under the name it declares; errors say why.
Result<std::string> loadPolicyPlugin(PolicyRegistry& r, const std::string& path);

/// The last step of a chain: picks one of the candidates left.
class Selector {
 public:
  virtual ~Selector() = default;
  virtual const std::string& name() const = 0;
  /// `cands` is never empty.
  virtual size_t pick(const Requirements& req, const std::vector<Candidate>& cands, Explanation* why) const = 0;
  /// "best", {"name": "best"}, {"name": "weighted", "top": 3} or {"name": "sticky", "top": 3}.
  static Result<std::unique_ptr<Selector>> fromJson(const nlohmann::json& j);
};

/// A chain in config order, then a selector: "best" (highest score, ties by config order),
/// "weighted" (at random among the top k, in proportion to score) or "sticky" (among the top k,
/// the same one for the same client subnet while the top k stay).
///
/// A decision has three steps: the stages run in order on the centers' published figures
/// (evaluate), then what this resolver has handed out since each center's last update counts
/// (adjust: a center that no longer fits drops out, unless none would be left; a ranker may
/// lower a held center's score), then the selector picks (select). decide() does all three; the
/// plan cache (resolver/plan.h) keeps the first step's result and repeats only the other two.
class Chain {
 public:
  /// {"policies": [{"name": "fits"}, {"name": "load", "weight": 1}, ...], "select": "best"};
  /// errors name the path.
  static Result<std::unique_ptr<Chain>> fromJson(const nlohmann::json& j, const PolicyRegistry& r);
  /// Runs the whole decision over `cands` (the caller's buffer: filtered and scored in place, so a
  /// caller that reuses it allocates nothing); returns the winner, or an error that says what
  /// was missing ("no center left after fits (asked: gpu=8)").
  Result<Candidate> decide(const Requirements& req, std::vector<Candidate>& cands, Explanation* why) const;

  /// The stages that ran (kStop may end the chain early) and their notes.
  struct Evaluation {
    size_t stages = 0;
    std::array<Policy::Note, 16> notes{};
    std::string error;  // not empty: no candidate left, and why
  };
  /// Step one: the stages on the published figures.
  Evaluation evaluate(const Requirements& req, std::vector<Candidate>& cands, Explanation* why) const;
  /// Step two for one candidate whose center has holds `h`: its score after them, and whether it
  /// still fits (false: drop it, unless no candidate would be left).
  bool adjust(const Requirements& req, const Evaluation& e, const Candidate& x, const Held& h, double& score,
              std::string* why) const;
  /// Step three: the selector's pick among `cands` (never empty).
  size_t select(const Requirements& req, const std::vector<Candidate>& cands, Explanation* why) const {
    return selector_->pick(req, cands, why);
  }
  bool selectsBest() const { return selector_->name() == "best"; }
  /// True when every stage is pure (see Policy::pure), so that plans may keep its verdicts.
  bool cacheable() const { return cacheable_; }
  /// A number no other chain of this process has (plans are keyed by it).
  uint64_t serial() const { return serial_; }
  /// The run order, the selector last ("fits,load,select:best").
  std::vector<std::string> order() const;

 private:
  std::vector<std::unique_ptr<Policy>> policies_;
  std::unique_ptr<Selector> selector_;
  bool cacheable_ = true;
  std::vector<size_t> holdStages_;  // the stages whose policy countsHolds()
  uint64_t serial_ = 0;
};

}  // namespace cdns::resolver
