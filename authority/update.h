// RFC 2136 dynamic update processing against one zone version: zone section, prerequisites
// (§2.4, §3.2), per-key policy (§3.3), update checks (§3.4.1) and rules (§3.4.2), computed as an
// exact set of removed and added records so the change can be journaled and served as IXFR.
// Pure logic: no I/O, no clock (the caller passes `now`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "authority/zone.h"
#include "common/result.h"

namespace cdns::authority {

/// One rule of a key's update policy (like BIND's update-policy / Knot's ACL update-owner).
struct UpdateRule {
  enum class Match { kExact, kSubdomain, kWildcard };  // wildcard: "*.x" = names strictly below x
  std::string key;        // key name, absolute, lower-case presentation ("sz1.")
  std::string name;       // lower-case wire
  Match match = Match::kSubdomain;
  std::vector<uint16_t> types;  // empty: none; contains 255 (ANY): every type but SOA
  // When set, the rule covers only records whose target name (PTR, CNAME, NS, MX, SRV) lies at
  // or below this name, and never whole-RRset or whole-name deletions: a center may add and
  // remove its own pointer at a shared name ("infer.svc") but not the other centers' ones.
  std::string targetUnder;      // lower-case wire; empty: no restriction
  bool allows(std::string_view owner, uint16_t type) const;
  bool allowsRecord(std::string_view owner, uint16_t type, uint16_t cls, std::string_view rdata) const;
};

struct LeaseLimits {
  uint32_t min = 1;       // seconds; shorter requests are raised (RFC 9664 §4.1 lets the server pick)
  uint32_t max = 86400 * 7;
};

/// The outcome of one UPDATE message.
struct UpdateResult {
  uint16_t rcode = 0;
  std::string reason;             // for logs and metrics: "prerequisite", "policy", "notzone", ...
  std::vector<Record> removed;    // exact records taken out (SOA included when it changes)
  std::vector<Record> added;      // exact records put in
  std::optional<uint32_t> lease;  // granted lease in seconds (RFC 9664), when requested
  std::vector<Record> leased;     // the records the update adds, present afterwards (lease holders)
};

/// The parts of a request already known to the caller.
struct UpdateRequest {
  const uint8_t* msg = nullptr;
  size_t len = 0;
  std::string keyName;  // verified TSIG key (absolute, lower-case), empty when unsigned
};

/// Processes one UPDATE against `zone` (which the zone section named). On NOERROR with changes,
/// `removed`/`added` hold the change including the SOA serial bump (RFC 1982 increment unless
/// the update itself raised the serial); apply them with Zone::apply.
UpdateResult processUpdate(const UpdateRequest& req, const Zone& zone, const std::vector<UpdateRule>& rules,
                           const LeaseLimits& leases);

/// RFC 1982 serial arithmetic.
bool serialGreater(uint32_t a, uint32_t b);

/// Type name ("CAP", "A", "TYPE65281", "ANY") -> code; 0 when unknown.
uint16_t typeFromName(std::string_view name);

}  // namespace cdns::authority
