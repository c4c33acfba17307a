// The answer cache of forwarded names.
#include "resolver/cache.h"

#include <algorithm>
#include <limits>

#include "common/dns.h"
#include "common/wire.h"

namespace cdns::resolver {
namespace {

// The MINIMUM field of SOA rdata at msg[rdStart, rdStart+rdlen) (RFC 1035 §3.3.13); its names may
// be compressed against the rest of the message.
bool soaMinimum(const uint8_t* msg, size_t rdStart, size_t rdlen, uint32_t& minimum) {
  WireReader s(msg, rdStart + rdlen);
  s.seek(rdStart);
  uint8_t name[dns::kMaxName];
  if (!dns::readName(s, name) || !dns::readName(s, name)) return false;
  s.skip(16);  // serial, refresh, retry, expire
  minimum = s.u32();
  return !s.failed();
}

}  // namespace

Result<CachedResponse> prepareResponse(const uint8_t* msg, size_t len, const TtlLimits& limits) {
  if (len < dns::kHeaderSize)
    return makeError("response of " + std::to_string(len) + " bytes, shorter than a header");
  WireReader r(msg, len);
  r.skip(2);
  uint16_t flags = r.u16(), qd = r.u16(), an = r.u16(), ns = r.u16(), ar = r.u16();
  if (!(flags & dns::kFlagQR)) return makeError("not a response (QR clear)");
  if (qd != 1) return makeError("response with " + std::to_string(qd) + " questions");
  uint8_t name[dns::kMaxName];
  if (!dns::readName(r, name) || !r.skip(4)) return makeError("response question malformed");
  CachedResponse out;
  out.rcode = flags & 0xF;
  // RFC 2308 §2.1, §2.2: NXDOMAIN, or NOERROR with nothing in the answer section (NODATA).
  out.negative = out.rcode == dns::kNxDomain || (out.rcode == dns::kNoError && an == 0);
  size_t end = 0, optStart = 0;
  bool soaSeen = false;
  uint32_t minTtl = std::numeric_limits<uint32_t>::max();
  std::vector<uint32_t> ttls;
  uint32_t total = static_cast<uint32_t>(an) + ns + ar;
  for (uint32_t i = 0; i < total; ++i) {
    std::string where = "record " + std::to_string(i + 1) + " of " + std::to_string(total);
    size_t start = r.offset();
    if (!dns::readName(r, name)) return makeError(where + ": bad owner name");
    uint16_t type = r.u16();
    r.skip(2);
    size_t ttlOffset = r.offset();
    uint32_t ttl = r.u32();
    uint16_t rdlen = r.u16();
    size_t rdStart = r.offset();
    if (!r.skip(rdlen)) return makeError(where + ": runs past the end of the message");
    if (out.upstreamEdns) return makeError(where + ": follows the OPT record");
    if (type == dns::kOPT) {
      // RFC 6891 §6.1.1: at most one, in the additional section; its TTL holds the upper rcode
      // bits.
      if (i < static_cast<uint32_t>(an) + ns)
        return makeError(where + ": OPT outside the additional section");
      out.upstreamEdns = true;
      out.rcode = static_cast<uint16_t>(out.rcode | (ttl >> 24) << 4);
      optStart = start;
      continue;
    }
    if (ttl & 0x80000000u) ttl = 0;  // RFC 2181 §8: a TTL with the top bit set means zero
    uint32_t cap = limits.maxTtl;
    bool authority = i >= an && i < static_cast<uint32_t>(an) + ns;
    if (out.negative && authority && type == dns::kSOA) {
      uint32_t minimum = 0;
      if (!soaMinimum(msg, rdStart, rdlen, minimum))
        return makeError(where + ": SOA rdata malformed");
      ttl = std::min(ttl, minimum);  // RFC 2308 §5
      cap = limits.maxNegativeTtl;
      soaSeen = true;
    }
    ttl = std::min(ttl, cap);
    ttls.push_back(static_cast<uint32_t>(ttlOffset));
    ttls.push_back(ttl);
    minTtl = std::min(minTtl, ttl);
  }
  end = out.upstreamEdns ? optStart : r.offset();  // bytes past the counted records are dropped
  out.wire.assign(msg, msg + end);
  if (out.upstreamEdns) dns::put16(out.wire.data() + 10, static_cast<uint16_t>(ar - 1));
  for (size_t i = 0; i < ttls.size(); i += 2) {
    dns::put32(out.wire.data() + ttls[i], ttls[i + 1]);
    out.ttlOffsets.push_back(ttls[i]);
  }
  bool answered = out.rcode == dns::kNoError || out.rcode == dns::kNxDomain;
  out.cacheable = answered && !(flags & dns::kFlagTC) && minTtl > 0 && (!out.negative || soaSeen);
  out.ttl = out.cacheable ? minTtl : 0;
  return out;
}

std::string Cache::key(std::string_view lname, uint16_t qtype, uint16_t qclass, bool dnssecOk,
                       bool checkingDisabled) {
  std::string k(lname);
  k.push_back(static_cast<char>(qtype >> 8));
  k.push_back(static_cast<char>(qtype));
  k.push_back(static_cast<char>(qclass >> 8));
  k.push_back(static_cast<char>(qclass));
  k.push_back(static_cast<char>((dnssecOk ? 1 : 0) | (checkingDisabled ? 2 : 0)));
  return k;
}

void Cache::erase(List::iterator it) {
  bytes_ -= cost(*it);
  map_.erase(it->key);
  lru_.erase(it);
}

bool Cache::insert(const std::string& key, const CachedResponse& r, uint64_t nowMs) {
  if (!r.cacheable || r.ttl == 0 || limits_.maxEntries == 0) return false;
  Entry e{key, r.wire, r.ttlOffsets, {}, nowMs, nowMs + uint64_t{r.ttl} * 1000};
  e.ttls.reserve(e.ttlOffsets.size());
  for (uint32_t off : e.ttlOffsets) e.ttls.push_back(dns::get32(e.wire.data() + off));
  if (cost(e) > limits_.maxBytes) return false;
  if (auto it = map_.find(key); it != map_.end()) erase(it->second);
  bytes_ += cost(e);
  lru_.push_front(std::move(e));
  map_[key] = lru_.begin();
  ++stats_.inserts;
  while (map_.size() > limits_.maxEntries || bytes_ > limits_.maxBytes) {
    erase(std::prev(lru_.end()));
    ++stats_.evictions;
  }
  return true;
}

std::optional<std::vector<uint8_t>> Cache::lookup(const std::string& key, uint64_t nowMs) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  Entry& e = *it->second;
  if (nowMs >= e.expiresMs) {
    erase(it->second);
    ++stats_.expired;
    ++stats_.misses;
    return std::nullopt;
  }
  // Every stored TTL is at least the entry's, so none goes below zero (RFC 1035 §3.2.1 intent).
  uint32_t age = static_cast<uint32_t>((nowMs - std::min(nowMs, e.storedMs)) / 1000);
  std::vector<uint8_t> out = e.wire;
  for (size_t i = 0; i < e.ttlOffsets.size(); ++i)
    dns::put32(out.data() + e.ttlOffsets[i], e.ttls[i] - std::min(age, e.ttls[i]));
  lru_.splice(lru_.begin(), lru_, it->second);
  ++stats_.hits;
  return out;
}

}  // namespace cdns::resolver
