// The policy chain, its selectors, the registry and the plug-in loader. The built-in policies
// live one per folder in resolver/policies/.
#include "resolver/policy.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "common/config.h"
#include "common/dns.h"
#include "resolver/plugin_api.h"
#include "resolver/policies/helpers.h"

namespace cdns::resolver {
namespace {

using policies::fmt;

// A whole number of GPUs or CPUs.
bool parseCount(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoull(s);
  return true;
}

// The order of the top `k` candidates by score (ties: the earlier first).
std::vector<size_t> topK(const std::vector<Candidate>& c, size_t k) {
  std::vector<size_t> idx(c.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  k = std::min(k, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(k), idx.end(), [&](size_t a, size_t b) {
    return c[a].score > c[b].score || (c[a].score == c[b].score && a < b);
  });
  idx.resize(k);
  return idx;
}

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t hashName(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ULL;
  return h;
}

class Best final : public Selector {
 public:
  const std::string& name() const override { return name_; }
  size_t pick(const Requirements&, const std::vector<Candidate>& c, Explanation* why) const override {
    size_t best = 0;
    for (size_t i = 1; i < c.size(); ++i)
      if (c[i].score > c[best].score) best = i;
    if (why) why->add("select", c[best].center->name, "chosen: best score " + fmt(c[best].score));
    return best;
  }

 private:
  std::string name_ = "best";
};

// At random among the top k, each with a chance in proportion to its score (plus a floor, so a
// candidate scored 0 still gets a share); the draw is the query's nonce.
class Weighted final : public Selector {
 public:
  explicit Weighted(size_t k) : k_(k) {}
  const std::string& name() const override { return name_; }
  size_t pick(const Requirements& q, const std::vector<Candidate>& c, Explanation* why) const override {
    auto top = topK(c, k_);
    double lo = c[top.back()].score, hi = c[top.front()].score;
    double floor = hi > lo ? (hi - lo) / static_cast<double>(top.size()) : 1.0;
    double total = 0;
    for (size_t i : top) total += c[i].score - lo + floor;
    double r = static_cast<double>(mix(q.nonce) >> 11) / 9007199254740992.0 * total;  // [0, total)
    size_t chosen = top.back();
    for (size_t i : top) {
      r -= c[i].score - lo + floor;
      if (r < 0) {
        chosen = i;
        break;
      }
    }
    if (why)
      for (size_t i : top)
        why->add("select", c[i].center->name,
                 (i == chosen ? "chosen: drawn among the top " : "not drawn among the top ") + std::to_string(top.size()) +
                     ", chance " + fmt((c[i].score - lo + floor) / total));
    return chosen;
  }

 private:
  size_t k_;
  std::string name_ = "weighted";
};

// Among the top k, the one with the highest hash of (client subnet, center): the same subnet
// gets the same center for as long as it stays in the top k, and when one leaves only its
// clients move (rendezvous hashing).
class Sticky final : public Selector {
 public:
  explicit Sticky(size_t k) : k_(k) {}
  const std::string& name() const override { return name_; }
  size_t pick(const Requirements& q, const std::vector<Candidate>& c, Explanation* why) const override {
    auto top = topK(c, k_);
    size_t chosen = top.front();
    uint64_t best = 0;
    for (size_t i : top) {
      uint64_t h = mix(q.clientKey ^ hashName(c[i].center->name));
      if (h >= best) best = h, chosen = i;
    }
    if (why)
      for (size_t i : top)
        why->add("select", c[i].center->name,
                 i == chosen ? "chosen: sticky for this client subnet among the top " + std::to_string(top.size())
                             : "in the top " + std::to_string(top.size()) + ", another is this subnet's");
    return chosen;
  }

 private:
  size_t k_;
  std::string name_ = "sticky";
};

// An external policy through the C entry point of plugin_api.h.
class PluginPolicy final : public Policy {
 public:
  PluginPolicy(std::string name, const cdns_policy_ops* ops, void* instance)
      : name_(std::move(name)), ops_(ops), instance_(instance) {}
  ~PluginPolicy() override { ops_->destroy(instance_); }
  const std::string& name() const override { return name_; }
  // A plug-in sees what was handed out (cdns_center's held_*) in apply(): its verdicts are not
  // kept between queries.
  bool pure() const override { return false; }
  Flow apply(const Requirements& q, std::vector<Candidate>& c, Explanation* why, Note&) const override {
    if (c.empty()) return Flow::kContinue;
    std::vector<const char*> keys, values;
    for (const auto& [k, v] : q.kv) {
      keys.push_back(k.c_str());
      values.push_back(v.c_str());
    }
    cdns_request req{keys.data(), values.data(), keys.size(), q.gpus, q.cpus, q.mem, q.gpuModel.c_str(), q.peer.c_str(), q.now};
    std::vector<cdns_center> centers(c.size());
    for (size_t i = 0; i < c.size(); ++i) {
      const Center& k = *c[i].center;
      Held h = q.heldFor(k.id);
      centers[i] = cdns_center{k.name.c_str(), k.region.c_str(), k.jurisdiction.c_str(), k.kind.c_str(), k.recordsJson.c_str(),
                               k.load, k.queue, k.ts, k.cpuFree, k.cpuTotal, k.gpuFree, k.gpuTotal, k.memFree, k.memTotal,
                               h.cpus, h.gpus, h.mem, k.cpuHour, k.carbonPerWork, k.bestRtt};
    }
    std::vector<int> keep(c.size(), 1);
    std::vector<double> score(c.size(), 0.0);
    char note[256] = {0};
    int rc = ops_->apply(instance_, &req, centers.data(), c.size(), keep.data(), score.data(), note, sizeof note - 1);
    note[sizeof note - 1] = 0;
    size_t out = 0;
    for (size_t i = 0; i < c.size(); ++i) {
      if (why)
        why->add(name_, c[i].center->name,
                 (keep[i] ? "score +" + fmt(score[i]) : std::string("dropped")) + (note[0] ? std::string(": ") + note : ""));
      if (!keep[i]) continue;
      c[i].score += score[i];
      c[out++] = c[i];
    }
    c.resize(out);
    return rc == 1 ? Flow::kStop : Flow::kContinue;
  }

 private:
  std::string name_;
  const cdns_policy_ops* ops_;
  void* instance_;
};

}  // namespace

Result<Requirements> Requirements::parse(const std::vector<std::pair<std::string, std::string>>& items) {
  Requirements r;
  for (const auto& [k, v] : items) {
    if (k.empty() || v.empty()) return makeError("requirement \"" + k + "=" + v + "\": empty key or value");
    r.kv[k] = v;
    if (k == "gpu") {  // a later gpu= replaces an earlier one whole, model too
      r.gpuModel.clear();
      r.gpuModelKey = 0;
      std::string count = v;
      if (auto colon = v.find(':'); colon != std::string::npos) {
        r.gpuModel = v.substr(0, colon);
        r.gpuModelKey = resolver::gpuModelKey(r.gpuModel);
        count = v.substr(colon + 1);
      }
      if (!parseCount(count, r.gpus)) return makeError("requirement gpu=" + v + ": expected a count or MODEL:count");
    } else if (k == "cpu") {
      if (!parseCount(v, r.cpus)) return makeError("requirement cpu=" + v + ": expected a count");
    } else if (k == "mem") {
      if (!parseByteSize(v, r.mem)) return makeError("requirement mem=" + v + ": expected a size like 64g");
    } else if (k == "peer" || k == "center") {  // names of centers and access points: any case
      std::string lower = dns::lowerText(v);
      r.kv[k] = lower;
      if (k == "peer") r.peer = lower;
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
  r.add("manual", policies::makeManual);
  r.add("fcfs", policies::makeFcfs);
  r.add("fits", policies::makeFits);
  r.add("fresh", policies::makeFresh);
  r.add("jurisdiction", policies::makeJurisdiction);
  r.add("load", policies::makeLoad);
  r.add("energy", policies::makeEnergy);
  r.add("price", policies::makePrice);
  r.add("network", policies::makeNetwork);
  r.add("data", policies::makeData);
  r.add("qos", policies::makeQos);
}

Result<std::string> loadPolicyPlugin(PolicyRegistry& r, const std::string& path) {
  // Plug-ins stay loaded for the life of the process: instances may outlive any one registry.
  void* so = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!so) return makeError("plug-in " + path + ": " + dlerror());
  auto entry = reinterpret_cast<cdns_policy_plugin_fn>(dlsym(so, "cdns_policy_plugin"));
  if (!entry) return makeError("plug-in " + path + ": no cdns_policy_plugin entry point");
  const cdns_policy_ops* ops = entry(CDNS_POLICY_ABI_VERSION);
  if (!ops || ops->abi_version != CDNS_POLICY_ABI_VERSION)
    return makeError("plug-in " + path + ": does not speak policy ABI version " + std::to_string(CDNS_POLICY_ABI_VERSION));
  if (!ops->name || !*ops->name || !ops->create || !ops->destroy || !ops->apply)
    return makeError("plug-in " + path + ": incomplete cdns_policy_ops (name, create, destroy and apply are required)");
  std::string name = ops->name;
  auto known = r.names();
  if (std::find(known.begin(), known.end(), name) != known.end())
    return makeError("plug-in " + path + ": a policy named \"" + name + "\" already exists");
  r.add(name, [name, ops](const nlohmann::json& config) -> Result<std::unique_ptr<Policy>> {
    char err[256] = {0};
    void* instance = ops->create(config.dump().c_str(), err, sizeof err - 1);
    err[sizeof err - 1] = 0;
    if (!instance) return makeError(name + ": " + (err[0] ? err : "the plug-in refused its configuration"));
    return std::unique_ptr<Policy>(new PluginPolicy(name, ops, instance));
  });
  return name;
}

Result<std::unique_ptr<Selector>> Selector::fromJson(const nlohmann::json& j) {
  std::string name;
  size_t top = 3;
  if (j.is_string()) {
    name = j.get<std::string>();
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key() != "name" && it.key() != "top") return makeError("/select: unknown key \"" + it.key() + "\"");
    if (!j.contains("name") || !j["name"].is_string()) return makeError("/select/name: required");
    name = j["name"].get<std::string>();
    if (j.contains("top")) {
      if (!j["top"].is_number_unsigned() || j["top"].get<uint64_t>() < 1 || j["top"].get<uint64_t>() > 1000)
        return makeError("/select/top: expected a whole number from 1 to 1000");
      top = j["top"].get<size_t>();
    }
  } else {
    return makeError("/select: expected \"best\" or {\"name\": ..., \"top\": k}");
  }
  if (name == "best") return std::unique_ptr<Selector>(new Best());
  if (name == "weighted") return std::unique_ptr<Selector>(new Weighted(top));
  if (name == "sticky") return std::unique_ptr<Selector>(new Sticky(top));
  return makeError("/select: unknown selector \"" + name + "\" (known: best, weighted, sticky)");
}

Result<std::unique_ptr<Chain>> Chain::fromJson(const nlohmann::json& j, const PolicyRegistry& r) {
  if (!j.is_object() || !j.contains("policies") || !j["policies"].is_array() || j["policies"].empty())
    return makeError("/policies: expected a non-empty array");
  if (j["policies"].size() > std::tuple_size_v<decltype(Evaluation::notes)>)
    return makeError("/policies: at most " + std::to_string(std::tuple_size_v<decltype(Evaluation::notes)>) + " stages");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "policies" && it.key() != "select") return makeError("/" + it.key() + ": unknown key (policies, select)");
  auto chain = std::make_unique<Chain>();
  for (size_t i = 0; i < j["policies"].size(); ++i) {
    const auto& p = j["policies"][i];
    std::string path = "/policies/" + std::to_string(i);
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) return makeError(path + "/name: required");
    auto policy = r.create(p["name"].get<std::string>(), p);
    if (!policy) return makeError(path + ": " + policy.error().message);
    chain->cacheable_ = chain->cacheable_ && (*policy)->pure();
    if ((*policy)->countsHolds()) chain->holdStages_.push_back(i);
    chain->policies_.push_back(std::move(*policy));
  }
  static std::atomic<uint64_t> serials{0};
  chain->serial_ = ++serials;
  auto sel = Selector::fromJson(j.contains("select") ? j["select"] : nlohmann::json("best"));
  if (!sel) return sel.error();
  chain->selector_ = std::move(*sel);
  return chain;
}

std::vector<std::string> Chain::order() const {
  std::vector<std::string> out;
  for (const auto& p : policies_) out.push_back(p->name());
  out.push_back("select:" + selector_->name());
  return out;
}

Chain::Evaluation Chain::evaluate(const Requirements& req, std::vector<Candidate>& cands, Explanation* why) const {
  Evaluation e;
  if (cands.empty()) {
    e.error = "no center offers this service";
    return e;
  }
  for (const auto& p : policies_) {
    auto flow = p->apply(req, cands, why, e.notes[e.stages++]);
    if (cands.empty()) {
      // Say what was missing, in the terms of the request.
      std::string asked;
      for (const auto& [k, v] : req.kv) asked += (asked.empty() ? "" : ", ") + k + "=" + v;
      e.error = "no center left after " + p->name() + (asked.empty() ? "" : " (asked: " + asked + ")");
      return e;
    }
    if (flow == Policy::Flow::kStop) break;
  }
  return e;
}

bool Chain::adjust(const Requirements& req, const Evaluation& e, const Candidate& x, const Held& h, double& score,
                   std::string* why) const {
  bool fits = true;
  for (size_t i : holdStages_) {
    if (i >= e.stages) break;  // the chain ended before this stage
    fits = policies_[i]->onHolds(req, x, h, e.notes[i], score, why) && fits;
  }
  return fits;
}

Result<Candidate> Chain::decide(const Requirements& req, std::vector<Candidate>& cands, Explanation* why) const {
  Evaluation e = evaluate(req, cands, why);
  if (!e.error.empty()) return makeError(e.error);
  if (!req.held.empty()) {
    thread_local std::vector<uint8_t> fits;
    thread_local std::vector<std::string> words;
    size_t n = cands.size(), left = 0;
    fits.assign(n, 1);
    if (why) words.assign(n, std::string());
    for (size_t i = 0; i < n; ++i) {
      Held h = req.heldFor(cands[i].center->id);
      if (h.cpus || h.gpus || h.mem) fits[i] = adjust(req, e, cands[i], h, cands[i].score, why ? &words[i] : nullptr);
      left += fits[i];
    }
    // Holds spread a burst but never turn it away: when no candidate is left after them, the
    // published figures decide (the scores keep what the holds took off).
    if (why)
      for (size_t i = 0; i < n; ++i)
        if (!words[i].empty())
          why->add("holds", cands[i].center->name,
                   fits[i] ? words[i] : (left ? "dropped: " : "kept on its published figures (all handed out): ") + words[i]);
    if (left && left < n) {
      size_t out = 0;
      for (size_t i = 0; i < n; ++i)
        if (fits[i]) cands[out++] = cands[i];
      cands.resize(out);
    }
  }
  return cands[select(req, cands, why)];
}

}  // namespace cdns::resolver
