// The policy chain: filters drop candidates, rankers score them, a selector picks. Policies are
// plug-ins behind one small interface, created by name from JSON through an explicit registry.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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
  uint64_t now = 0;                      // Unix seconds, for freshness
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
  virtual Flow apply(const Requirements& req, std::vector<Candidate>& cands, Explanation* why) const = 0;
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
/// jurisdiction, load, energy, price, network, data, qos.
void registerBuiltinPolicies(PolicyRegistry& r);

/// A chain in config order, then a selector: "best" (highest score, ties by config order).
class Chain {
 public:
  /// {"policies": [{"name": "fits"}, {"name": "load", "weight": 1}, ...]}; errors name the path.
  static Result<std::unique_ptr<Chain>> fromJson(const nlohmann::json& j, const PolicyRegistry& r);
  /// Runs the chain; returns the winner's index in the (filtered) candidates, or an error that
  /// says what was missing ("no center with gpu >= 8").
  Result<Candidate> decide(const Requirements& req, std::vector<Candidate> cands, Explanation* why) const;
  std::vector<std::string> order() const;

 private:
  std::vector<std::unique_ptr<Policy>> policies_;
};

}  // namespace cdns::resolver
