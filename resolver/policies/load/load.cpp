// load: prefers the least loaded center. The cost is the published load (0..1), plus the queue
// (each waiting job counts `queue_weight`, default 0.01), plus the share of the center's CPUs this
// resolver has handed out since the center last published (reservations), so a burst of queries
// spreads instead of piling onto the center that looked best at the last update.
#include <algorithm>

#include "resolver/policies/helpers.h"

namespace cdns::resolver::policies {

Result<std::unique_ptr<Policy>> makeLoad(const nlohmann::json& j) {
  if (auto s = checkKeys("load", j, {"weight", "queue_weight"}); !s) return s.error();
  auto wgt = weightOf("load", j);
  if (!wgt) return wgt.error();
  double queueWeight = 0.01;
  if (j.contains("queue_weight")) {
    if (!j["queue_weight"].is_number() || j["queue_weight"].get<double>() < 0)
      return makeError("load: \"queue_weight\" must be a number >= 0");
    queueWeight = j["queue_weight"].get<double>();
  }
  return makePolicy("load", [wgt = *wgt, queueWeight](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
    rankByCost("load", wgt, c, w, [&](const Candidate& x) {
      const Hot& k = *x.hot;
      double cost = k.load + queueWeight * static_cast<double>(k.queue);
      if (!q.held.empty()) cost += static_cast<double>(q.heldFor(k.id).cpus) / static_cast<double>(std::max<uint64_t>(k.cpuTotal, 1));
      return cost;
    });
    return Policy::Flow::kContinue;
  });
}

}  // namespace cdns::resolver::policies
