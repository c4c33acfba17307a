// fresh: drops centers whose newest record timestamp (ts) is older than max_age seconds, or
// that publish no ts at all: a center that stopped publishing is not chosen on stale figures.
#include "resolver/policies/helpers.h"

namespace cdns::resolver::policies {

Result<std::unique_ptr<Policy>> makeFresh(const nlohmann::json& j) {
  if (auto s = checkKeys("fresh", j, {"max_age"}); !s) return s.error();
  if (!j.contains("max_age") || !j["max_age"].is_number_unsigned() || j["max_age"].get<uint64_t>() == 0)
    return makeError("fresh: \"max_age\" (seconds, >= 1) is required");
  uint64_t maxAge = j["max_age"].get<uint64_t>();
  return makePolicy("fresh", [maxAge](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
    auto age = [&](const Candidate& x) { return q.now > x.hot->ts ? q.now - x.hot->ts : 0; };
    filterBy(
        "fresh", c, w, [&](const Candidate& x) { return x.hot->ts != 0 && age(x) <= maxAge; },
        [&](const Candidate& x) {
          return x.hot->ts == 0 ? std::string("no ts")
                                   : "data " + std::to_string(age(x)) + " s old > " + std::to_string(maxAge);
        });
    return Policy::Flow::kContinue;
  });
}

}  // namespace cdns::resolver::policies
