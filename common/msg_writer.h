// Builds DNS messages into a caller's buffer with name compression (RFC 1035 §4.1.4) and a
// size limit, without allocating: the per-packet path of every responder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/dns.h"

namespace cdns::dns {

class MessageWriter {
 public:
  /// `buf` must hold `cap` bytes; nothing is written past `limit` (<= cap).
  MessageWriter(uint8_t* buf, size_t cap) : buf_(buf), cap_(cap), limit_(cap) {}

  void setLimit(size_t limit) { limit_ = limit < cap_ ? limit : cap_; }
  size_t limit() const { return limit_; }
  size_t size() const { return len_; }
  uint8_t* data() { return buf_; }

  /// Copies raw bytes (the header, the question as sent). False when over the limit.
  bool raw(const void* p, size_t n);
  bool u16(uint16_t v);
  bool u32(uint32_t v);
  /// Writes an uncompressed wire name, compressed against names written before when `compress`.
  /// Names written are remembered as compression targets either way.
  bool name(std::string_view wire, bool compress = true);
  /// Registers a name already in the buffer (the question) as a compression target.
  void remember(size_t offset, size_t len);
  /// Starts a response to `query`: a header with its ID, QDCOUNT 1 and every other field zero,
  /// then its question (bytes 12..questionEnd) as sent, the name remembered for compression.
  bool beginResponse(const uint8_t* query, size_t questionEnd, size_t qnameLen);
  /// Writes a pointer to a name at `offset` (e.g. 12, the question name, case as sent).
  bool pointer(size_t offset);

  /// Writes one RR: owner (as a pointer when ownerOffset != 0, else compressed wire name), type,
  /// class IN, TTL, and rdata; names inside the rdata of NS, CNAME, PTR, MX and SOA are compressed
  /// (RFC 3597 §4: only those well-known types).
  bool rr(std::string_view owner, size_t ownerOffset, uint16_t type, uint32_t ttl, std::string_view rdata,
          uint16_t cls = kIN);

  struct Mark {
    size_t len;
    int targets;
  };
  Mark mark() const { return Mark{len_, ntargets_}; }
  void rollback(Mark m) {
    len_ = m.len;
    ntargets_ = m.targets;
  }

 private:
  bool matchAt(size_t off, std::string_view suffix) const;
  bool rdataNames(uint16_t type, std::string_view rdata);

  static constexpr int kMaxTargets = 96;
  uint8_t* buf_;
  size_t cap_, limit_;
  size_t len_ = 0;
  uint16_t targets_[kMaxTargets];  // offsets of label sequences written, usable as pointers
  int ntargets_ = 0;
};

}  // namespace cdns::dns
