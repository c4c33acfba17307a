// The policy chain and the built-in policies.
#include "resolver/policy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cdns::resolver {
namespace {

bool parseSize(const std::string& s, uint64_t& out) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || v < 0) return false;
  std::string u(end);
  for (auto& c : u) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  uint64_t m = 1;
  if (u == "k" || u == "kb" || u == "kib") m = 1ULL << 10;
  else if (u == "m" || u == "mb" || u == "mib") m = 1ULL << 20;
  else if (u == "g" || u == "gb" || u == "gib") m = 1ULL << 30;
  else if (u == "t" || u == "tb" || u == "tib") m = 1ULL << 40;
  else if (!u.empty()) return false;
  out = static_cast<uint64_t>(v * static_cast<double>(m));
  return true;
}

std::string fmt(double v) {
  char b[32];
  snprintf(b, sizeof b, "%.3g", v);
  return b;
}

// A policy from a lambda: the common shape of the simple built-ins.
class Simple : public Policy {
 public:
  using Fn = std::function<Flow(const Requirements&, std::vector<Candidate>&, Explanation*)>;
  Simple(std::string n, Fn f) : name_(std::move(n)), fn_(std::move(f)) {}
  const std::string& name() const override { return name_; }
  Flow apply(const Requirements& r, std::vector<Candidate>& c, Explanation* w) const override { return fn_(r, c, w); }

 private:
  std::string name_;
  Fn fn_;
};

// Drops the candidates `keep` refuses, explaining each.
void filter(const std::string& stage, std::vector<Candidate>& cands, Explanation* why,
            const std::function<std::string(const Candidate&)>& reject) {
  size_t out = 0;
  for (size_t i = 0; i < cands.size(); ++i) {
    std::string r = reject(cands[i]);
    if (why) why->add(stage, cands[i].center->name, r.empty() ? "kept" : "dropped: " + r);
    if (r.empty()) cands[out++] = cands[i];
  }
  cands.resize(out);
}

// Adds weight * (normalised goodness) to each score; `cost` lower is better.
void rankByCost(const std::string& stage, double weight, std::vector<Candidate>& cands, Explanation* why,
                const std::function<double(const Candidate&)>& cost) {
  if (cands.empty()) return;
  std::vector<double> costs;
  costs.reserve(cands.size());
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& c : cands) {
    double v = cost(c);
    costs.push_back(v);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  for (size_t i = 0; i < cands.size(); ++i) {
    double good = hi > lo ? (hi - costs[i]) / (hi - lo) : 1.0;
    cands[i].score += weight * good;
    if (why) why->add(stage, cands[i].center->name, "cost " + fmt(costs[i]) + " -> +" + fmt(weight * good));
  }
}

double weightOf(const nlohmann::json& j) { return j.is_object() && j.contains("weight") && j["weight"].is_number() ? j["weight"].get<double>() : 1.0; }

}  // namespace

Result<Requirements> Requirements::parse(const std::vector<std::pair<std::string, std::string>>& items) {
  Requirements r;
  for (const auto& [k, v] : items) {
    if (k.empty() || v.empty()) return makeError("requirement \"" + k + "=" + v + "\": empty key or value");
    r.kv[k] = v;
    if (k == "gpu") {
      std::string count = v;
      if (auto colon = v.find(':'); colon != std::string::npos) {
        r.gpuModel = v.substr(0, colon);
        count = v.substr(colon + 1);
      }
      if (!parseSize(count, r.gpus)) return makeError("requirement gpu=" + v + ": expected a count or MODEL:count");
    } else if (k == "cpu") {
      if (!parseSize(v, r.cpus)) return makeError("requirement cpu=" + v + ": expected a count");
    } else if (k == "mem") {
      if (!parseSize(v, r.mem)) return makeError("requirement mem=" + v + ": expected a size like 64g");
    }
  }
  return r;
}

nlohmann::json Explanation::toJson() const {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& v : verdicts) a.push_back({{"stage", v.stage}, {"center", v.center}, {"verdict", v.verdict}});
  return a;
}

Result<std::unique_ptr<Policy>> PolicyRegistry::create(const std::string& name, const nlohmann::json& config) const {
  auto it = factories_.find(name);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& [n, f] : factories_) known += (known.empty() ? "" : ", ") + n;
    return makeError("unknown policy \"" + name + "\" (known: " + known + ")");
  }
  return it->second(config);
}

std::vector<std::string> PolicyRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [n, f] : factories_) out.push_back(n);
  return out;
}

void registerBuiltinPolicies(PolicyRegistry& r) {
  using Flow = Policy::Flow;
  // manual: the query names the center ("center=sz1"); nothing else is considered.
  r.add("manual", [](const nlohmann::json&) -> Result<std::unique_ptr<Policy>> {
    return std::unique_ptr<Policy>(new Simple("manual", [](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
      std::string want = q.get("center");
      if (want.empty()) return Flow::kContinue;
      filter("manual", c, w, [&](const Candidate& x) { return x.center->name == want ? "" : "not the center asked for"; });
      return Flow::kStop;
    }));
  });
  // fcfs: the first center in configured order that is still a candidate.
  r.add("fcfs", [](const nlohmann::json& j) -> Result<std::unique_ptr<Policy>> {
    std::vector<std::string> order;
    if (j.contains("order")) {
      if (!j["order"].is_array()) return makeError("fcfs: \"order\" must be an array of center names");
      for (const auto& o : j["order"]) order.push_back(o.get<std::string>());
    }
    return std::unique_ptr<Policy>(new Simple("fcfs", [order](const Requirements&, std::vector<Candidate>& c, Explanation* w) {
      auto rank = [&](const Candidate& x) {
        auto it = std::find(order.begin(), order.end(), x.center->name);
        return it == order.end() ? order.size() : static_cast<size_t>(it - order.begin());
      };
      std::stable_sort(c.begin(), c.end(), [&](const Candidate& a, const Candidate& b) { return rank(a) < rank(b); });
      if (!c.empty()) {
        c.resize(1);
        if (w) w->add("fcfs", c[0].center->name, "first in order");
      }
      return Flow::kStop;
    }));
  });
  // fits: enough free GPUs (of the model asked for), CPUs and memory.
  r.add("fits", [](const nlohmann::json&) -> Result<std::unique_ptr<Policy>> {
    return std::unique_ptr<Policy>(new Simple("fits", [](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
      filter("fits", c, w, [&](const Candidate& x) -> std::string {
        const Center& k = *x.center;
        uint64_t gpus = q.gpuModel.empty() ? k.gpuFree : (k.gpus.count(q.gpuModel) ? k.gpus.at(q.gpuModel).first : 0);
        if (gpus < q.gpus) return "gpu " + std::to_string(gpus) + " free < " + std::to_string(q.gpus);
        if (k.cpuFree < q.cpus) return "cpu " + std::to_string(k.cpuFree) + " free < " + std::to_string(q.cpus);
        if (q.mem && k.memFree < q.mem) return "mem free < asked";
        return "";
      });
      return Flow::kContinue;
    }));
  });
  // fresh: drop centers whose newest ts is older than max_age seconds.
  r.add("fresh", [](const nlohmann::json& j) -> Result<std::unique_ptr<Policy>> {
    uint64_t maxAge = j.contains("max_age") && j["max_age"].is_number_unsigned() ? j["max_age"].get<uint64_t>() : 0;
    if (!maxAge) return makeError("fresh: \"max_age\" (seconds, >= 1) is required");
    return std::unique_ptr<Policy>(new Simple("fresh", [maxAge](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
      filter("fresh", c, w, [&](const Candidate& x) -> std::string {
        if (!x.center->ts) return "no ts";
        uint64_t age = q.now > x.center->ts ? q.now - x.center->ts : 0;
        return age > maxAge ? "data " + std::to_string(age) + " s old > " + std::to_string(maxAge) : "";
      });
      return Flow::kContinue;
    }));
  });
  // jurisdiction: keep work inside allowed jurisdictions ("CN-GD" also matches an allowed "CN").
  r.add("jurisdiction", [](const nlohmann::json& j) -> Result<std::unique_ptr<Policy>> {
    if (!j.contains("allow") || !j["allow"].is_array()) return makeError("jurisdiction: \"allow\" must be an array");
    std::vector<std::string> allow = j["allow"].get<std::vector<std::string>>();
    return std::unique_ptr<Policy>(new Simple("jurisdiction", [allow](const Requirements&, std::vector<Candidate>& c, Explanation* w) {
      filter("jurisdiction", c, w, [&](const Candidate& x) -> std::string {
        for (const auto& a : allow)
          if (x.center->jurisdiction == a || x.center->jurisdiction.rfind(a + "-", 0) == 0) return "";
        return "jurisdiction " + (x.center->jurisdiction.empty() ? std::string("unknown") : x.center->jurisdiction);
      });
      return Flow::kContinue;
    }));
  });
  // load: lower load (and a shorter queue) first.
  r.add("load", [](const nlohmann::json& j) -> Result<std::unique_ptr<Policy>> {
    double wgt = weightOf(j);
    return std::unique_ptr<Policy>(new Simple("load", [wgt](const Requirements&, std::vector<Candidate>& c, Explanation* w) {
      rankByCost("load", wgt, c, w, [](const Candidate& x) { return x.center->load + 0.01 * static_cast<double>(x.center->queue); });
      return Flow::kContinue;
    }));
  });
  // energy: grams of CO2 per unit of work: carbon intensity x PUE, less the renewable share.
  r.add("energy", [](const nlohmann::json& j) -> Result<std::unique_ptr<Policy>> {
    double wgt = weightOf(j);
    return std::unique_ptr<Policy>(new Simple("energy", [wgt](const Requirements&, std::vector<Candidate>& c, Explanation* w) {
      rankByCost("energy", wgt, c, w, [](const Candidate& x) { return x.center->carbonPerWork; });
      return Flow::kContinue;
    }));
  });
  // price: the hourly cost of what was asked for (GPU-hours of the model, or CPU-hours).
  r.add("price", [](const nlohmann::json& j) -> Result<std::unique_ptr<Policy>> {
    double wgt = weightOf(j);
    return std::unique_ptr<Policy>(new Simple("price", [wgt](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
      rankByCost("price", wgt, c, w, [&](const Candidate& x) {
        const Center& k = *x.center;
        if (k.cpuHour < 0 && k.gpuHour.empty()) return 1e12;  // no PRICE: last
        double cost = std::max(k.cpuHour, 0.0) * static_cast<double>(std::max<uint64_t>(q.cpus, 1));
        if (q.gpus) {
          double best = 1e12;
          if (q.gpuModel.empty()) {
            for (const auto& [model, price] : k.gpuHour) best = std::min(best, price);
          } else if (auto it = k.gpuHour.find(q.gpuModel); it != k.gpuHour.end()) {
            best = it->second;
          }
          cost += best * static_cast<double>(q.gpus);
        }
        return cost;
      });
      return Flow::kContinue;
    }));
  });
  // network: the best RTT any of the center's NETQ records reports towards the client's peer
  // ("peer=gz1" in the requirements), else its best RTT overall.
  r.add("network", [](const nlohmann::json& j) -> Result<std::unique_ptr<Policy>> {
    double wgt = weightOf(j);
    return std::unique_ptr<Policy>(new Simple("network", [wgt](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
      std::string peer = q.get("peer");
      rankByCost("network", wgt, c, w, [&](const Candidate& x) {
        if (peer.empty()) return x.center->bestRtt;
        auto it = x.center->links.find(peer);
        return it == x.center->links.end() ? 1e6 : it->second.first;
      });
      return Flow::kContinue;
    }));
  });
  // data: jobs go where the named data set ("data=imagenet-2012") lives; non-movable data is a
  // hard requirement, movable data costs its size in the score.
  r.add("data", [](const nlohmann::json& j) -> Result<std::unique_ptr<Policy>> {
    double wgt = weightOf(j);
    return std::unique_ptr<Policy>(new Simple("data", [wgt](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
      std::string want = q.get("data");
      if (want.empty()) return Flow::kContinue;
      auto holds = [&](const Candidate& x, bool* movable, double* size) {
        auto it = x.center->records.find("DATA");
        if (it == x.center->records.end()) return false;
        for (const auto& d : it->second)
          if (d.value("name", "") == want) {
            *movable = d.value("movable", "yes") == "yes";
            *size = d.value("size", 0.0);
            return true;
          }
        return false;
      };
      bool anyPinned = false;
      double size = 0;
      for (const auto& x : c) {
        bool mov = true;
        double s = 0;
        if (holds(x, &mov, &s) && !mov) anyPinned = true;
        size = std::max(size, s);
      }
      if (anyPinned) {
        filter("data", c, w, [&](const Candidate& x) {
          bool mov = true;
          double s = 0;
          return holds(x, &mov, &s) ? "" : "does not hold " + want + " (not movable)";
        });
        return Flow::kContinue;
      }
      rankByCost("data", wgt, c, w, [&](const Candidate& x) {
        bool mov = true;
        double s = 0;
        return holds(x, &mov, &s) ? 0.0 : size + 1;
      });
      return Flow::kContinue;
    }));
  });
  // qos: hard limits on latency and bandwidth towards the peer, then a weighted composite.
  r.add("qos", [](const nlohmann::json& j) -> Result<std::unique_ptr<Policy>> {
    double maxRttMs = j.value("max_rtt_ms", 0.0), minBw = j.value("min_bw", 0.0), wgt = weightOf(j);
    return std::unique_ptr<Policy>(new Simple("qos", [=](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
      std::string peer = q.get("peer");
      auto link = [&](const Candidate& x, double& rtt, double& bw) {
        rtt = 1e6;
        bw = 0;
        for (const auto& [p, l] : x.center->links)
          if (peer.empty() || p == peer) {
            rtt = std::min(rtt, l.first);
            bw = std::max(bw, l.second);
          }
      };
      filter("qos", c, w, [&](const Candidate& x) -> std::string {
        double rtt, bw;
        link(x, rtt, bw);
        if (maxRttMs > 0 && rtt > maxRttMs) return "rtt " + fmt(rtt) + " ms > " + fmt(maxRttMs);
        if (minBw > 0 && bw < minBw) return "bandwidth " + fmt(bw) + " < " + fmt(minBw);
        return "";
      });
      rankByCost("qos", wgt, c, w, [&](const Candidate& x) {
        double rtt, bw;
        link(x, rtt, bw);
        return rtt + x.center->load * 10.0;
      });
      return Flow::kContinue;
    }));
  });
}

Result<std::unique_ptr<Chain>> Chain::fromJson(const nlohmann::json& j, const PolicyRegistry& r) {
  if (!j.is_object() || !j.contains("policies") || !j["policies"].is_array() || j["policies"].empty())
    return makeError("/policies: expected a non-empty array");
  auto chain = std::make_unique<Chain>();
  for (size_t i = 0; i < j["policies"].size(); ++i) {
    const auto& p = j["policies"][i];
    std::string path = "/policies/" + std::to_string(i);
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) return makeError(path + "/name: required");
    auto policy = r.create(p["name"].get<std::string>(), p);
    if (!policy) return makeError(path + ": " + policy.error().message);
    chain->policies_.push_back(std::move(*policy));
  }
  return chain;
}

std::vector<std::string> Chain::order() const {
  std::vector<std::string> out;
  for (const auto& p : policies_) out.push_back(p->name());
  return out;
}

Result<Candidate> Chain::decide(const Requirements& req, std::vector<Candidate> cands, Explanation* why) const {
  for (const auto& p : policies_) {
    if (why == nullptr && cands.size() == 0) break;
    auto flow = p->apply(req, cands, why);
    if (cands.empty()) {
      // Say what was missing, in the terms of the request.
      std::string asked;
      for (const auto& [k, v] : req.kv) asked += (asked.empty() ? "" : ", ") + k + "=" + v;
      return makeError("no center left after " + p->name() + (asked.empty() ? "" : " (asked: " + asked + ")"));
    }
    if (flow == Policy::Flow::kStop) break;
  }
  if (cands.empty()) return makeError("no center offers this service");
  // Selector "best": the highest score; ties go to the earlier candidate.
  size_t best = 0;
  for (size_t i = 1; i < cands.size(); ++i)
    if (cands[i].score > cands[best].score) best = i;
  if (why) why->add("select", cands[best].center->name, "chosen, score " + fmt(cands[best].score));
  return cands[best];
}

}  // namespace cdns::resolver
