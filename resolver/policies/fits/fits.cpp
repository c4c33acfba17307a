// fits: keeps the centers with enough free GPUs (of the model asked for), CPUs and memory, after
// what this resolver has already handed out since the center's last update (reservations).
#include "resolver/policies/helpers.h"

namespace cdns::resolver::policies {
namespace {

uint64_t left(uint64_t free, uint64_t held) { return free > held ? free - held : 0; }

std::string sizeText(uint64_t bytes) {
  const char* units[] = {"", "K", "M", "G", "T", "P"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) v /= 1024, ++u;
  return fmt(v) + units[u];
}

}  // namespace

Result<std::unique_ptr<Policy>> makeFits(const nlohmann::json& j) {
  if (auto s = checkKeys("fits", j, {}); !s) return s.error();
  auto fits = [](const Requirements& q, const Hot& k, const Held& h) {
    return (!q.gpus || left(k.gpusFree(q.gpuModelKey), h.gpus) >= q.gpus) && left(k.cpuFree, h.cpus) >= q.cpus &&
           (!q.mem || left(k.memFree, h.mem) >= q.mem);
  };
  auto why = [](const Requirements& q, const Hot& k, const Held& h) -> std::string {
    auto held = [](uint64_t n) { return n ? " (" + std::to_string(n) + " handed out)" : std::string(); };
    std::string gpu = q.gpuModel.empty() ? "gpu " : "gpu " + q.gpuModel + " ";
    if (uint64_t g = left(k.gpusFree(q.gpuModelKey), h.gpus); q.gpus && g < q.gpus)
      return gpu + std::to_string(g) + " free" + held(h.gpus) + " < " + std::to_string(q.gpus);
    if (uint64_t n = left(k.cpuFree, h.cpus); n < q.cpus)
      return "cpu " + std::to_string(n) + " free" + held(h.cpus) + " < " + std::to_string(q.cpus);
    return "mem " + sizeText(left(k.memFree, h.mem)) + " free" + (h.mem ? " (" + sizeText(h.mem) + " handed out)" : std::string()) + " < " + sizeText(q.mem);
  };
  return makePolicy(
      "fits",
      [fits, why](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
        filterBy(
            "fits", c, w, [&](const Candidate& x) { return fits(q, *x.hot, Held{}); },
            [&](const Candidate& x) { return why(q, *x.hot, Held{}); });
        return Policy::Flow::kContinue;
      },
      // Holds are an estimate of what earlier answers will take: they spread a burst, but never
      // turn it away (when every center left is full of holds, the published figures decide:
      // the centers' next updates say what was really taken).
      [fits, why](const Requirements& q, const Candidate& x, const Held& h, const Policy::Note&, double&, std::string* w) {
        if (fits(q, *x.hot, h)) return true;
        if (w) say(w, "fits: " + why(q, *x.hot, h));
        return false;
      });
}

}  // namespace cdns::resolver::policies
