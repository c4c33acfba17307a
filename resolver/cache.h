// The answer cache of forwarded names: whole upstream responses, positive and negative
// (RFC 2308), kept for their TTL and served with the TTLs lowered by their age; bounded in
// entries and bytes, least recently used out first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace cdns::resolver {

/// How long answers may stay.
struct TtlLimits {
  uint32_t maxTtl = 86400;         // positive answers: longer TTLs are lowered to this
  uint32_t maxNegativeTtl = 3600;  // NXDOMAIN/NODATA (RFC 2308 §5 suggests 1-3 hours at most)
};

/// An upstream response as the cache keeps it: the message without its OPT record (the EDNS of
/// the reply is the client's business), where each TTL sits, and how long it may be kept.
struct CachedResponse {
  std::vector<uint8_t> wire;
  std::vector<uint32_t> ttlOffsets;  // every record's TTL field (OPT removed)
  uint16_t rcode = 0;
  bool negative = false;   // NXDOMAIN, or NOERROR without answers (NODATA), RFC 2308 §2
  bool cacheable = false;  // NOERROR/NXDOMAIN, not truncated, TTL above 0, SOA for a negative one
  uint32_t ttl = 0;        // seconds it may be served from the cache
  bool upstreamEdns = false;  // the upstream's response had an OPT record
};

/// Checks a response (one bounds-checked pass over every record, RFC 1035 §4.1), removes its OPT
/// record, clamps its TTLs to `limits`, and works out how long it may be cached: the least TTL of
/// its records; for a negative answer the SOA's TTL is first lowered to the SOA MINIMUM field
/// (RFC 2308 §5), and a negative answer without an SOA is not cached (RFC 2308 §5). Errors name
/// what is wrong with the message.
Result<CachedResponse> prepareResponse(const uint8_t* msg, size_t len, const TtlLimits& limits);

/// Not thread-safe: one owner (the resolver's loop thread).
class Cache {
 public:
  struct Limits {
    size_t maxEntries = 100000;
    size_t maxBytes = 64u << 20;
  };
  struct Stats {
    uint64_t hits = 0, misses = 0, inserts = 0, evictions = 0, expired = 0;
  };

  explicit Cache(Limits limits) : limits_(limits) {}

  /// The key of a question: lower-case wire name, type, class and the flags that change the
  /// upstream's answer (DO, CD).
  static std::string key(std::string_view lname, uint16_t qtype, uint16_t qclass, bool dnssecOk,
                         bool checkingDisabled);

  /// Keeps `r` under `key` from `nowMs` (a monotonic clock in milliseconds) for r.ttl seconds,
  /// replacing what was there. False (and nothing kept) when `r` is not cacheable or too large.
  bool insert(const std::string& key, const CachedResponse& r, uint64_t nowMs);

  /// A fresh entry's message with every TTL lowered by the whole seconds of its age; nullopt when
  /// missing or expired (an expired entry is removed).
  std::optional<std::vector<uint8_t>> lookup(const std::string& key, uint64_t nowMs);

  size_t size() const { return map_.size(); }
  size_t bytes() const { return bytes_; }
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    std::string key;
    std::vector<uint8_t> wire;
    std::vector<uint32_t> ttlOffsets;
    std::vector<uint32_t> ttls;  // as stored
    uint64_t storedMs = 0;
    uint64_t expiresMs = 0;
  };
  using List = std::list<Entry>;
  static size_t cost(const Entry& e) {
    return e.key.size() + e.wire.size() + 8 * e.ttls.size() + 96;
  }
  void erase(List::iterator it);

  Limits limits_;
  List lru_;  // most recently used first
  std::unordered_map<std::string, List::iterator> map_;
  size_t bytes_ = 0;
  Stats stats_;
};

}  // namespace cdns::resolver
