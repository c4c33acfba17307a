// fits: keeps the centers with enough free GPUs (of the model asked for), CPUs and memory, after
// what this resolver has already handed out since the center's last update (reservations).
#include <algorithm>

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
  return makePolicy("fits", [](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
    auto published = [&](const Candidate& x) {
      const Hot& k = *x.hot;
      return (!q.gpus || k.gpusFree(q.gpuModelKey) >= q.gpus) && k.cpuFree >= q.cpus && (!q.mem || k.memFree >= q.mem);
    };
    auto afterHolds = [&](const Candidate& x) {
      const Hot& k = *x.hot;
      Held h = q.heldFor(k.id);
      return (!q.gpus || left(k.gpusFree(q.gpuModelKey), h.gpus) >= q.gpus) && left(k.cpuFree, h.cpus) >= q.cpus &&
             (!q.mem || left(k.memFree, h.mem) >= q.mem);
    };
    auto why = [&](const Candidate& x, bool holds) -> std::string {
      const Hot& k = *x.hot;
      Held h = holds ? q.heldFor(k.id) : Held{};
      auto held = [](uint64_t n) { return n ? " (" + std::to_string(n) + " handed out)" : std::string(); };
      std::string gpu = q.gpuModel.empty() ? "gpu " : "gpu " + q.gpuModel + " ";
      if (uint64_t g = left(k.gpusFree(q.gpuModelKey), h.gpus); q.gpus && g < q.gpus)
        return gpu + std::to_string(g) + " free" + held(h.gpus) + " < " + std::to_string(q.gpus);
      if (uint64_t n = left(k.cpuFree, h.cpus); n < q.cpus)
        return "cpu " + std::to_string(n) + " free" + held(h.cpus) + " < " + std::to_string(q.cpus);
      return "mem " + sizeText(left(k.memFree, h.mem)) + " free < " + sizeText(q.mem);
    };
    // Holds are an estimate of what earlier answers will take; they spread a burst, but never
    // turn it away: when every center that fits its published figures is "full" of holds, the
    // published figures decide (the centers' next updates say what was really taken).
    bool holds = !q.held.empty() && std::any_of(c.begin(), c.end(), afterHolds);
    if (holds) {
      filterBy("fits", c, w, afterHolds, [&](const Candidate& x) { return why(x, true); });
    } else {
      bool full = !q.held.empty();
      filterBy("fits", c, w, published, [&](const Candidate& x) { return why(x, false); });
      if (w && full && !c.empty())
        for (auto& v : w->verdicts)
          if (v.stage == "fits" && v.verdict == "kept") v.verdict = "kept (on its published figures: all handed out)";
    }
    return Policy::Flow::kContinue;
  });
}

}  // namespace cdns::resolver::policies
