// jurisdiction: keeps work and data inside allowed jurisdictions. An allowed "CN" also admits
// "CN-GD" (ISO 3166-2 subdivisions); a center that does not say where it is is dropped. The query
// may narrow the list further ("jurisdiction-HK"), never widen it.
#include <strings.h>

#include "resolver/policies/helpers.h"

namespace cdns::resolver::policies {
namespace {

// Codes compare without regard to case: a query's labels may arrive lower-cased.
bool within(const std::string& where, const std::string& allowed) {
  if (where.size() < allowed.size() || strncasecmp(where.c_str(), allowed.c_str(), allowed.size()) != 0) return false;
  return where.size() == allowed.size() || where[allowed.size()] == '-';
}

}  // namespace

Result<std::unique_ptr<Policy>> makeJurisdiction(const nlohmann::json& j) {
  if (auto s = checkKeys("jurisdiction", j, {"allow"}); !s) return s.error();
  if (!j.contains("allow") || !j["allow"].is_array() || j["allow"].empty())
    return makeError("jurisdiction: \"allow\" must be a non-empty array of jurisdiction codes");
  std::vector<std::string> allow;
  for (const auto& a : j["allow"]) {
    if (!a.is_string() || a.get<std::string>().empty()) return makeError("jurisdiction: \"allow\" entries must be codes like \"CN\"");
    allow.push_back(a.get<std::string>());
  }
  return makePolicy("jurisdiction", [allow](const Requirements& q, std::vector<Candidate>& c, Explanation* w) {
    const std::string asked = q.get("jurisdiction");
    auto ok = [&](const Candidate& x) {
      const std::string& where = x.center->jurisdiction;
      if (where.empty() || (!asked.empty() && !within(where, asked))) return false;
      for (const auto& a : allow)
        if (within(where, a)) return true;
      return false;
    };
    filterBy("jurisdiction", c, w, ok, [&](const Candidate& x) {
      const std::string& where = x.center->jurisdiction;
      if (where.empty()) return std::string("jurisdiction unknown");
      return "jurisdiction " + where + (!asked.empty() && !within(where, asked) ? " outside " + asked : " not allowed");
    });
    return Policy::Flow::kContinue;
  });
}

}  // namespace cdns::resolver::policies
