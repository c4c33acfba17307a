// Zone transfers out: AXFR (RFC 5936) as a stream of messages, and IXFR (RFC 1995) requests
// answered from the journal when it has the history, or with the whole zone otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "authority/journal.h"
#include "authority/query.h"
#include "authority/zone.h"

namespace cdns::authority {

/// Produces the messages of one outgoing transfer. The zone snapshot is kept alive for the
/// transfer's lifetime, so updates published meanwhile do not disturb it.
class TransferWriter {
 public:
  /// `query` is the request (its ID and question are echoed). For IXFR, `clientSerial` is the
  /// serial of the client's copy: when it is not older than ours the answer is our SOA alone.
  /// `chain`, for IXFR, is the journal's changesets from the client's serial to the zone's; when
  /// empty, an IXFR is answered with the whole zone (RFC 1995 §4).
  TransferWriter(std::shared_ptr<const Zone> zone, const uint8_t* query, const ParsedQuery& q,
                 std::optional<uint32_t> clientSerial, std::vector<std::shared_ptr<const Changeset>> chain = {});

  /// Writes the next message into `out` (at least 65535 bytes); returns 0 when finished.
  size_t next(uint8_t* out, size_t cap);
  bool done() const { return phase_ == Phase::kDone; }
  size_t messages() const { return messages_; }
  size_t records() const { return records_; }

 private:
  enum class Phase { kFirstSoa, kBody, kIxfr, kLastSoa, kDone };
  std::shared_ptr<const Zone> zone_;
  uint16_t id_;
  uint16_t flags_;
  std::string question_;  // wire bytes of the question section
  Phase phase_ = Phase::kFirstSoa;
  bool soaOnly_ = false;
  std::vector<std::shared_ptr<const Changeset>> chain_;
  size_t cs_ = 0, part_ = 0, rec_ = 0;  // position in the IXFR chain
  Zone::Cursor cursor_;
  const Node* node_ = nullptr;
  size_t rrset_ = 0, rdata_ = 0;
  size_t messages_ = 0, records_ = 0;
};

/// The serial of the SOA in an IXFR request's authority section (RFC 1995 §3), if well formed.
std::optional<uint32_t> ixfrClientSerial(const uint8_t* msg, size_t len, const ParsedQuery& q);

}  // namespace cdns::authority
