// price: prefers the lowest hourly cost of what was asked for: GPU-hours of the model asked for
// (the cheapest model when none was named) times the GPUs, plus CPU-hours times the CPUs (at
// least one). A center that does not price what was asked for ranks last. Prices are compared as
// published: every center of a zone is expected to quote one currency.
#include <algorithm>

#include "resolver/policies/helpers.h"

namespace cdns::resolver::policies {

Result<std::unique_ptr<Policy>> makePrice(const nlohmann::json& j) {
  if (auto s = checkKeys("price", j, {"weight"}); !s) return s.error();
  auto wgt = weightOf("price", j);
  if (!wgt) return wgt.error();
  return makePolicy("price", [wgt = *wgt](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
    constexpr double kUnpriced = 1e12;
    rankByCost("price", wgt, c, w, [&](const Candidate& x) {
      const Hot& k = *x.hot;
      if (k.cpuHour < 0 && k.gpuHourPrice(0) < 0) return kUnpriced;
      double cost = std::max(k.cpuHour, 0.0) * static_cast<double>(std::max<uint64_t>(q.cpus, 1));
      if (q.gpus) {
        double g = k.gpuHourPrice(q.gpuModelKey);
        cost += g < 0 ? kUnpriced : g * static_cast<double>(q.gpus);
      }
      return cost;
    });
    return Policy::Flow::kContinue;
  });
}

}  // namespace cdns::resolver::policies
