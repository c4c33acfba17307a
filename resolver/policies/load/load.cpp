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
  auto published = [queueWeight](const Hot& k) { return k.load + queueWeight * static_cast<double>(k.queue); };
  return makePolicy(
      "load",
      [wgt = *wgt, published](const Requirements&, std::vector<Candidate>& c, Explanation* w, Policy::Note& note) {
        note.scale = rankByCost("load", wgt, c, w, [&](const Candidate& x) { return published(*x.hot); });
        return Policy::Flow::kContinue;
      },
      // What was handed out adds its share of the center's CPUs to the load, on the scale the
      // published loads were ranked on.
      [](const Requirements&, const Candidate& x, const Held& h, const Policy::Note& note, double& score, std::string* why) {
        if (!h.cpus) return true;
        double minus = note.scale * static_cast<double>(h.cpus) / static_cast<double>(std::max<uint64_t>(x.hot->cpuTotal, 1));
        score -= minus;
        if (why) say(why, "load: " + std::to_string(h.cpus) + " CPUs handed out -> -" + fmt(minus));
        return true;
      });
}

}  // namespace cdns::resolver::policies
