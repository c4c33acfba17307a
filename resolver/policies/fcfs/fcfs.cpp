// fcfs: first come, first served — the first center in the configured order that is still a
// candidate; centers not in "order" follow, in zone order. The chain stops there.
#include <algorithm>

#include "common/dns.h"
#include "resolver/policies/helpers.h"

namespace cdns::resolver::policies {

Result<std::unique_ptr<Policy>> makeFcfs(const nlohmann::json& j) {
  if (auto s = checkKeys("fcfs", j, {"order"}); !s) return s.error();
  std::vector<std::string> order;
  if (j.contains("order")) {
    if (!j["order"].is_array()) return makeError("fcfs: \"order\" must be an array of center names");
    for (const auto& o : j["order"]) {
      if (!o.is_string()) return makeError("fcfs: \"order\" must be an array of center names");
      order.push_back(dns::lowerText(o.get<std::string>()));  // center names are owner names: any case
    }
  }
  return makePolicy("fcfs", [order](const Requirements&, std::vector<Candidate>& c, Explanation* w) {
    if (c.empty()) return Policy::Flow::kStop;
    auto rank = [&](const Candidate& x) {
      auto it = std::find(order.begin(), order.end(), x.center->name);
      return it == order.end() ? order.size() : static_cast<size_t>(it - order.begin());
    };
    size_t first = 0, firstRank = rank(c[0]);
    for (size_t i = 1; i < c.size() && firstRank > 0; ++i)
      if (size_t r = rank(c[i]); r < firstRank) first = i, firstRank = r;
    if (w)
      for (size_t i = 0; i < c.size(); ++i)
        w->add("fcfs", c[i].center->name, i == first ? "first in order" : "dropped: later in order");
    c[0] = c[first];
    c.resize(1);
    return Policy::Flow::kStop;
  });
}

}  // namespace cdns::resolver::policies
