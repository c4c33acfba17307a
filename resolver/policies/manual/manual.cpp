// manual: the query names the center ("center-sz1" / "center=sz1"); nothing else is considered
// and the chain stops there. Without a center in the query it passes everyone on.
#include "resolver/policies/helpers.h"

namespace cdns::resolver::policies {

Result<std::unique_ptr<Policy>> makeManual(const nlohmann::json& j) {
  if (auto s = checkKeys("manual", j, {}); !s) return s.error();
  return makePolicy("manual", [](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
    const std::string want = q.get("center");
    if (want.empty()) return Policy::Flow::kContinue;
    filterBy("manual", c, w, [&](const Candidate& x) { return x.center->name == want; },
             [](const Candidate&) { return std::string("not the center asked for"); });
    return Policy::Flow::kStop;
  });
}

}  // namespace cdns::resolver::policies
