// An example external policy plug-in, built as its own shared object and loaded by the resolver
// through the C entry point of resolver/plugin_api.h, exactly as a plug-in from elsewhere would
// be. "affinity" drops the centers listed in "avoid" and adds "bonus" to the score of centers in
// one of the "regions" (a query's "region-NAME" label replaces the list).
//   {"name": "affinity", "regions": ["shenzhen"], "avoid": ["hk1"], "bonus": 1}
#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "resolver/plugin_api.h"

namespace {

struct Affinity {
  std::set<std::string> regions, avoid;
  double bonus = 1;
};

void say(char* error, size_t len, const std::string& msg) { snprintf(error, len, "%s", msg.c_str()); }

void* create(const char* config, char* error, size_t len) {
  auto j = nlohmann::json::parse(config, nullptr, false);
  if (!j.is_object()) {
    say(error, len, "expected a JSON object");
    return nullptr;
  }
  auto a = new Affinity();
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& v = it.value();
    if (it.key() == "name") continue;
    if (it.key() == "bonus" && v.is_number() && v.get<double>() >= 0) {
      a->bonus = v.get<double>();
    } else if ((it.key() == "regions" || it.key() == "avoid") && v.is_array()) {
      for (const auto& x : v) {
        if (!x.is_string()) {
          say(error, len, "\"" + it.key() + "\" must be an array of strings");
          delete a;
          return nullptr;
        }
        (it.key() == "regions" ? a->regions : a->avoid).insert(x.get<std::string>());
      }
    } else {
      say(error, len, "bad or unknown key \"" + it.key() + "\" (regions, avoid, bonus)");
      delete a;
      return nullptr;
    }
  }
  return a;
}

void destroy(void* instance) { delete static_cast<Affinity*>(instance); }

int apply(void* instance, const cdns_request* req, const cdns_center* centers, size_t n, int* keep, double* score,
          char* note, size_t noteLen) {
  const auto* a = static_cast<const Affinity*>(instance);
  std::set<std::string> regions = a->regions;
  for (size_t i = 0; i < req->count; ++i)
    if (std::strcmp(req->keys[i], "region") == 0) regions = {req->values[i]};
  size_t dropped = 0;
  for (size_t i = 0; i < n; ++i) {
    if (a->avoid.count(centers[i].name)) {
      keep[i] = 0;
      ++dropped;
    } else if (regions.count(centers[i].region)) {
      score[i] += a->bonus;
    }
  }
  snprintf(note, noteLen, "%zu avoided, bonus %.3g in %zu region(s)", dropped, a->bonus, regions.size());
  return 0;
}

const cdns_policy_ops kOps = {CDNS_POLICY_ABI_VERSION, "affinity", create, destroy, apply};

}  // namespace

extern "C" __attribute__((visibility("default"))) const cdns_policy_ops* cdns_policy_plugin(uint32_t abi) {
  return abi == CDNS_POLICY_ABI_VERSION ? &kOps : nullptr;
}
