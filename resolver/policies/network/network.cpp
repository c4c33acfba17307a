// network: prefers the center with the best path to the client. The client's access point comes
// from "peer-NAME" in the query or from its subnet (EDNS Client Subnet, else its address) through
// the resolver's "access_points" table; the path is that center's NETQ link to the access point,
// else the resolver's own probe of the center, else the center's best published link. Cost in ms:
// rtt + jitter_weight x jitter + loss_weight x loss(%).
#include "resolver/policies/helpers.h"

namespace cdns::resolver::policies {

Result<std::unique_ptr<Policy>> makeNetwork(const nlohmann::json& j) {
  if (auto s = checkKeys("network", j, {"weight", "jitter_weight", "loss_weight", "unknown_rtt_ms"}); !s) return s.error();
  auto wgt = weightOf("network", j);
  auto jw = numberOf("network", j, "jitter_weight", 2.0);
  auto lw = numberOf("network", j, "loss_weight", 50.0);
  auto unknown = numberOf("network", j, "unknown_rtt_ms", 1000.0);
  for (const auto* r : {&wgt, &jw, &lw, &unknown})
    if (!*r) return r->error();
  return makePolicy("network", [wgt = *wgt, jw = *jw, lw = *lw, unknown = *unknown](const Requirements& q,
                                                                                   std::vector<Candidate>& c, Explanation* w) {
    rankByCost("network", wgt, c, w, [&](const Candidate& x) {
      Center::Link l = linkFor(x, q, unknown);
      return l.rtt + jw * l.jitter + lw * l.loss;
    });
    if (w)
      for (const auto& x : c) {
        const char* source = "";
        Center::Link l = linkFor(x, q, unknown, &source);
        w->add("network", x.center->name, std::string("path from ") + source + ": rtt " + fmt(l.rtt) + " ms");
      }
    return Policy::Flow::kContinue;
  });
}

}  // namespace cdns::resolver::policies
