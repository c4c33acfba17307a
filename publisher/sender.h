// Sends signed RFC 2136 updates to the zone's primaries: UDP first, TCP when truncated or large,
// failover across primaries, retries with exponential back-off and jitter, TSIG on both ways.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/tsig.h"

namespace cdns::publisher {

/// One change in an update section (RFC 2136 §2.5).
struct UpdateOp {
  enum class Kind { kAdd, kDeleteRRset, kDeleteRR };
  Kind kind;
  std::string owner;  // uncompressed wire name
  uint16_t type;
  uint32_t ttl = 0;
  std::string rdata;  // wire
};

/// Builds the UPDATE message (zone section, no prerequisites, the ops, an OPT carrying the
/// Update Lease option of RFC 9664 when `lease` is set). Unsigned.
std::vector<uint8_t> buildUpdate(uint16_t id, const std::string& zoneWire, const std::vector<UpdateOp>& ops,
                                 std::optional<uint32_t> lease);

struct SendOptions {
  std::vector<std::string> primaries;  // "127.0.0.1:53"
  int timeoutMs = 1000;
  int attempts = 4;          // tries over all primaries before giving up
  int backoffMs = 200;       // first back-off; doubles, with jitter
};

struct SendResult {
  uint16_t rcode = 0;
  std::string primary;       // who answered
  std::optional<uint32_t> lease;  // the lease the server granted
};

/// Signs and sends; returns the server's answer (a refusal is a result, not an Error). Error:
/// no primary answered, or an answer failed TSIG verification (named in the message).
Result<SendResult> sendUpdate(const std::string& zoneWire, const std::vector<UpdateOp>& ops,
                              std::optional<uint32_t> lease, const tsig::Key& key, const SendOptions& opts);

}  // namespace cdns::publisher
