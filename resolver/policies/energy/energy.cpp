// energy: prefers the center that emits least per unit of work: grid carbon intensity (g/kWh)
// x PUE x (1 - renewable share). A center without an ENERGY record counts as 500 g/kWh at PUE
// 1.5 with no renewables — a poor default on purpose.
#include "resolver/policies/helpers.h"

namespace cdns::resolver::policies {

Result<std::unique_ptr<Policy>> makeEnergy(const nlohmann::json& j) {
  if (auto s = checkKeys("energy", j, {"weight"}); !s) return s.error();
  auto wgt = weightOf("energy", j);
  if (!wgt) return wgt.error();
  return makePolicy("energy", [wgt = *wgt](const Requirements&, std::vector<Candidate>& c, Explanation* w) {
    rankByCost("energy", wgt, c, w, [](const Candidate& x) { return x.hot->carbonPerWork; });
    return Policy::Flow::kContinue;
  });
}

}  // namespace cdns::resolver::policies
