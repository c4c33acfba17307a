// The authoritative query path: one request's wire bytes in, one response's wire bytes out.
// Called on worker threads; reads an immutable ZoneSet and allocates nothing per query.
#pragma once

#include <cstddef>
#include <cstdint>

#include "authority/zone.h"
#include "common/dns.h"
#include "common/msg_writer.h"

namespace cdns::authority {

enum class Transport : uint8_t { kUdp = 0, kTcp = 1, kTls = 2 };

/// A request, parsed and checked (RFC 1035 §4.1, RFC 6891 §6.1).
struct ParsedQuery {
  uint16_t id = 0;
  uint16_t flags = 0;
  uint8_t opcode = 0;
  uint8_t qname[dns::kMaxName];   // as sent (case kept)
  uint8_t lname[dns::kMaxName];   // lower-case
  size_t qnameLen = 0;
  uint16_t qtype = 0, qclass = 0;
  size_t questionEnd = 0;  // offset just past the question
  bool hasQuestion = false;
  bool hasEdns = false;
  uint16_t ednsPayload = 0;
  uint8_t ednsVersion = 0;
  bool ednsDo = false;
  bool hasTsig = false;
  size_t tsigOffset = 0;
};

/// What the transport should do with the request.
enum class Action : uint8_t {
  kRespond,   // send `len` bytes
  kDrop,      // send nothing (a response, or too short to answer)
  kTransfer,  // AXFR/IXFR over a stream: hand the query to the transfer code
  kUpdate,    // RFC 2136 UPDATE: hand to the update processor
};

struct Outcome {
  Action action = Action::kDrop;
  size_t len = 0;
  uint16_t rcode = 0;
  uint16_t qtype = 0;
  bool truncated = false;
  const Zone* zone = nullptr;  // for transfers: the zone asked for
};

struct QueryLimits {
  uint16_t udpMaxPayload = 1232;  // our EDNS buffer size (RFC 6891 §6.2.5; DNS Flag Day 2020)
};

/// Parses a request. On failure returns the rcode to answer with (FORMERR), or kDrop semantics
/// through `drop` when no answer is possible (under 12 bytes, QR set).
enum class ParseStatus { kOk, kFormErr, kDrop };
ParseStatus parseQuery(const uint8_t* msg, size_t len, ParsedQuery& q);

/// Answers one request into `out` (`cap` bytes, at least 65535 for streams). The UDP size limit
/// comes from EDNS (RFC 6891 §6.2.3-6.2.5), 512 without it; streams allow 65535.
Outcome processQuery(const uint8_t* msg, size_t len, uint8_t* out, size_t cap, Transport transport,
                     const ZoneSet& zones, const QueryLimits& limits, ParsedQuery& q);

/// Writes a header-and-question-only response with `rcode` (used by FORMERR, NOTIMP, REFUSED and
/// by callers such as the transfer code). Keeps the OPT record when the request had one.
/// `ede` >= 0 adds an Extended DNS Error (RFC 8914) with that info-code when the request had EDNS.
size_t writeErrorResponse(const uint8_t* msg, const ParsedQuery& q, uint16_t rcode, uint8_t* out, size_t cap,
                          const QueryLimits& limits, int ede = -1);

/// Extended DNS Error info-codes (RFC 8914 §4) we use.
inline constexpr int kEdeNotAuthoritative = 20;
inline constexpr int kEdeNotSupported = 21;
inline constexpr int kEdeProhibited = 18;

/// Appends an OPT record (RFC 6891 §6.1.2) for a response to `q`; `extRcode` is the upper 8 bits.
bool writeOpt(dns::MessageWriter& w, const ParsedQuery& q, const QueryLimits& limits, uint8_t extRcode = 0,
              int ede = -1);

}  // namespace cdns::authority
