// data: jobs go to their data. With "data-NAME" in the query: if any candidate holds NAME and
// marks it not movable, only the holders stay. Otherwise every center pays the time it would
// take to bring the data in: its size over the bandwidth of the best NETQ link between the
// center and a holder (either direction), else over `default_bw` (bit/s, default 1G); holders
// pay nothing. Without "data-" in the query the policy does nothing.
#include <strings.h>

#include <algorithm>

#include "resolver/policies/helpers.h"

namespace cdns::resolver::policies {
namespace {

struct Holding {
  bool held = false, movable = true;
  double size = 0;  // bytes
};

Holding holding(const Center& k, const std::string& name) {
  auto it = k.records.find("DATA");
  if (it == k.records.end()) return {};
  for (const auto& d : it->second)
    if (strcasecmp(d.value("name", "").c_str(), name.c_str()) == 0) return {true, d.value("movable", "yes") != "no", d.value("size", 0.0)};
  return {};
}

double linkBw(const Center& a, const Center& b) {
  double bw = 0;
  if (auto it = a.links.find(b.name); it != a.links.end()) bw = std::max(bw, it->second.bw);
  if (auto it = b.links.find(a.name); it != b.links.end()) bw = std::max(bw, it->second.bw);
  return bw;
}

}  // namespace

Result<std::unique_ptr<Policy>> makeData(const nlohmann::json& j) {
  if (auto s = checkKeys("data", j, {"weight", "default_bw"}); !s) return s.error();
  auto wgt = weightOf("data", j);
  if (!wgt) return wgt.error();
  auto defaultBw = numberOf("data", j, "default_bw", 1e9);
  if (!defaultBw) return defaultBw.error();
  if (*defaultBw <= 0) return makeError("data: \"default_bw\" must be > 0");
  return makePolicy("data", [wgt = *wgt, defaultBw = *defaultBw](const Requirements& q, std::vector<Candidate>& c,
                                                                 Explanation* w) {
    const std::string want = q.get("data");
    if (want.empty()) return Policy::Flow::kContinue;
    std::vector<Holding> h(c.size());
    std::vector<const Center*> holders;
    bool pinned = false;
    double size = 0;
    for (size_t i = 0; i < c.size(); ++i) {
      h[i] = holding(*c[i].center, want);
      if (!h[i].held) continue;
      holders.push_back(c[i].center);
      pinned = pinned || !h[i].movable;
      size = std::max(size, h[i].size);
    }
    if (pinned) {
      filterBy(
          "data", c, w, [&](const Candidate& x) { return holding(*x.center, want).held; },
          [&](const Candidate&) { return "does not hold " + want + " (not movable)"; });
      return Policy::Flow::kContinue;
    }
    // Seconds to bring the data in (0 for holders; the size is unknown when nobody holds it).
    rankByCost("data", wgt, c, w, [&](const Candidate& x) {
      if (holders.empty()) return 0.0;
      double bw = 0;
      for (const Center* from : holders) {
        if (from == x.center) return 0.0;
        bw = std::max(bw, linkBw(*from, *x.center));
      }
      return size * 8 / (bw > 0 ? bw : defaultBw);
    });
    return Policy::Flow::kContinue;
  });
}

}  // namespace cdns::resolver::policies
