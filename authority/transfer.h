// Zone transfers out: AXFR (RFC 5936) as a stream of messages, and IXFR (RFC 1995) requests
// answered from the journal when it has the history, or with the whole zone otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "authority/query.h"
#include "authority/zone.h"

namespace cdns::authority {

/// Produces the messages of one outgoing transfer. The zone snapshot is kept alive for the
/// transfer's lifetime, so updates published meanwhile do not disturb it.
class TransferWriter {
 public:
  /// `query` is the request (its ID and question are echoed). For IXFR, `clientSerial` is the
  /// serial of the client's copy: when it is not older than ours the answer is our SOA alone.
  TransferWriter(std::shared_ptr<const Zone> zone, const uint8_t* query, const ParsedQuery& q,
                 std::optional<uint32_t> clientSerial);

  /// Writes the next message into `out` (at least 65535 bytes); returns 0 when finished.
  size_t next(uint8_t* out, size_t cap);
  bool done() const { return phase_ == Phase::kDone; }
  size_t messages() const { return messages_; }
  size_t records() const { return records_; }

 private:
  enum class Phase { kFirstSoa, kBody, kLastSoa, kDone };
  std::shared_ptr<const Zone> zone_;
  uint16_t id_;
  uint16_t flags_;
  std::string question_;  // wire bytes of the question section
  Phase phase_ = Phase::kFirstSoa;
  bool soaOnly_ = false;
  using NodeIt = std::unordered_map<std::string, Node, StringHash, std::equal_to<>>::const_iterator;
  NodeIt node_;
  size_t rrset_ = 0, rdata_ = 0;
  size_t messages_ = 0, records_ = 0;
};

/// The serial of the SOA in an IXFR request's authority section (RFC 1995 §3), if well formed.
std::optional<uint32_t> ixfrClientSerial(const uint8_t* msg, size_t len, const ParsedQuery& q);

}  // namespace cdns::authority
