// What the built-in policies share: filtering and ranking loops that cost nothing extra when no
// explanation was asked for (reasons are only formatted for an explanation), and config checks.
#pragma once

#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "resolver/policy.h"

namespace cdns::resolver::policies {

inline std::string fmt(double v) {
  char b[32];
  snprintf(b, sizeof b, "%.3g", v);
  return b;
}

/// Refuses keys a policy does not know ("price: unknown key \\"wieght\\"").
inline Status checkKeys(const std::string& policy, const nlohmann::json& j, std::initializer_list<const char*> known) {
  if (!j.is_object()) return makeError(policy + ": expected an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = it.key() == "name";
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) return makeError(policy + ": unknown key \"" + it.key() + "\"");
  }
  return {};
}

/// "weight" (a number from 0 to 1e6, default 1: scores stay finite whatever the figures).
inline Result<double> weightOf(const std::string& policy, const nlohmann::json& j) {
  if (!j.contains("weight")) return 1.0;
  if (!j["weight"].is_number() || !(j["weight"].get<double>() >= 0 && j["weight"].get<double>() <= 1e6))
    return makeError(policy + ": \"weight\" must be a number from 0 to 1000000");
  return j["weight"].get<double>();
}

/// Keeps the candidates `keep` accepts, in order. `reason` (called only for an explanation)
/// says why a candidate was dropped.
template <class Keep, class Reason>
void filterBy(const std::string& stage, std::vector<Candidate>& cands, Explanation* why, Keep keep, Reason reason) {
  size_t out = 0, n = cands.size();
  Candidate* c = cands.data();
  if (!why) {
    for (size_t i = 0; i < n; ++i)
      if (keep(c[i])) {
        if (out != i) c[out] = c[i];
        ++out;
      }
  } else {
    for (size_t i = 0; i < n; ++i) {
      bool k = keep(c[i]);
      why->add(stage, c[i].center->name, k ? "kept" : "dropped: " + reason(c[i]));
      if (k) c[out++] = c[i];
    }
  }
  cands.resize(out);
}

/// Adds weight x goodness to each score, goodness 1 for the lowest cost and 0 for the highest
/// (linear between; 1 for all when the costs are equal). Returns the scale: what one unit of
/// cost is worth in score here (weight / spread, or the weight when the costs are equal), for
/// what a stage charges for reservations on the same footing.
template <class Cost>
double rankByCost(const std::string& stage, double weight, std::vector<Candidate>& cands, Explanation* why, Cost cost) {
  if (cands.empty()) return weight;
  thread_local std::vector<double> costs;  // each cost computed once; no allocation once warm
  size_t n = cands.size();
  costs.resize(n);
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    double v = cost(cands[i]);
    costs[i] = v;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  double span = hi - lo;
  double scale = span > 0 ? weight / span : 0;
  for (size_t i = 0; i < n; ++i) {
    double add = span > 0 ? (hi - costs[i]) * scale : weight;
    cands[i].score += add;
    if (why) why->add(stage, cands[i].center->name, "cost " + fmt(costs[i]) + " -> +" + fmt(add));
  }
  return span > 0 ? scale : weight;
}

/// Appends one stage's words to a reservations verdict (build the words only when `why` is set:
/// this runs for every answer).
inline void say(std::string* why, const std::string& words) {
  if (!why) return;
  if (!why->empty()) *why += "; ";
  *why += words;
}

struct NoHolds {};

/// A policy class from its name, a callable with the signature of Policy::apply (the Note may
/// be left out) and, for a stage that counts reservations, one with that of Policy::onHolds.
template <class Fn, class Holds = NoHolds>
class FnPolicy final : public Policy {
 public:
  FnPolicy(std::string name, Fn fn, Holds holds = {}) : name_(std::move(name)), fn_(std::move(fn)), holds_(std::move(holds)) {}
  const std::string& name() const override { return name_; }
  Flow apply(const Requirements& r, std::vector<Candidate>& c, Explanation* w, Note& n) const override {
    if constexpr (std::is_invocable_v<const Fn&, const Requirements&, std::vector<Candidate>&, Explanation*, Note&>)
      return fn_(r, c, w, n);
    else
      return fn_(r, c, w);
  }
  bool countsHolds() const override { return !std::is_same_v<Holds, NoHolds>; }
  bool onHolds(const Requirements& r, const Candidate& x, const Held& h, const Note& n, double& score,
               std::string* why) const override {
    if constexpr (std::is_same_v<Holds, NoHolds>)
      return Policy::onHolds(r, x, h, n, score, why);
    else
      return holds_(r, x, h, n, score, why);
  }

 private:
  std::string name_;
  Fn fn_;
  Holds holds_;
};

template <class Fn, class Holds = NoHolds>
Result<std::unique_ptr<Policy>> makePolicy(std::string name, Fn fn, Holds holds = {}) {
  return std::unique_ptr<Policy>(new FnPolicy<Fn, Holds>(std::move(name), std::move(fn), std::move(holds)));
}

/// The path from the client to a center, as well as the resolver knows it: the center's NETQ
/// link to the client's access point (`peer`) when it publishes one; else the resolver's own
/// probe of the center's endpoints; else the center's best published link (how well connected it
/// is at all); else `unknown` ms. `source` says which ("netq", "probe", "best", "none").
inline Center::Link linkFor(const Candidate& x, const Requirements& q, double unknown, const char** source = nullptr) {
  const Center& k = *x.center;
  auto say = [&](const char* s) {
    if (source) *source = s;
  };
  if (!q.peer.empty()) {
    if (q.peer == k.name) {  // the client's access point is the center itself
      say("netq");
      return Center::Link{0, 0, 0, 1e15};
    }
    if (auto it = k.links.find(q.peer); it != k.links.end()) {
      say("netq");
      return it->second;
    }
  }
  if (k.id < q.probeRttMs.size() && q.probeRttMs[k.id] >= 0) {
    say("probe");
    return Center::Link{q.probeRttMs[k.id], 0, 0, 0};
  }
  if (!k.links.empty()) {
    Center::Link best;
    for (const auto& [p, l] : k.links)
      if (l.rtt < best.rtt) best = l;
    say("best");
    return best;
  }
  say("none");
  return Center::Link{unknown, 0, 0, 0};
}

/// A number >= 0 from `j[key]`, or `dflt` when absent.
inline Result<double> numberOf(const std::string& policy, const nlohmann::json& j, const char* key, double dflt) {
  if (!j.contains(key)) return dflt;
  if (!j[key].is_number() || j[key].get<double>() < 0) return makeError(policy + ": \"" + key + "\" must be a number >= 0");
  return j[key].get<double>();
}

// The factories, one per folder.
Result<std::unique_ptr<Policy>> makeManual(const nlohmann::json& j);
Result<std::unique_ptr<Policy>> makeFcfs(const nlohmann::json& j);
Result<std::unique_ptr<Policy>> makeFits(const nlohmann::json& j);
Result<std::unique_ptr<Policy>> makeFresh(const nlohmann::json& j);
Result<std::unique_ptr<Policy>> makeJurisdiction(const nlohmann::json& j);
Result<std::unique_ptr<Policy>> makeLoad(const nlohmann::json& j);
Result<std::unique_ptr<Policy>> makeEnergy(const nlohmann::json& j);
Result<std::unique_ptr<Policy>> makePrice(const nlohmann::json& j);
Result<std::unique_ptr<Policy>> makeNetwork(const nlohmann::json& j);
Result<std::unique_ptr<Policy>> makeData(const nlohmann::json& j);
Result<std::unique_ptr<Policy>> makeQos(const nlohmann::json& j);

}  // namespace cdns::resolver::policies
