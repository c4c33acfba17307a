// Outgoing zone transfers (RFC 5936 AXFR, RFC 1995 IXFR).
#include "authority/transfer.h"

#include <cstring>

#include "common/msg_writer.h"

namespace cdns::authority {

// RFC 1982 serial arithmetic: is a older than b?
static bool serialLess(uint32_t a, uint32_t b) {
  return a != b && static_cast<uint32_t>(b - a) < 0x80000000u;
}

TransferWriter::TransferWriter(std::shared_ptr<const Zone> zone, const uint8_t* query, const ParsedQuery& q,
                               std::optional<uint32_t> clientSerial, std::vector<std::shared_ptr<const Changeset>> chain)
    : zone_(std::move(zone)),
      id_(q.id),
      flags_(static_cast<uint16_t>(dns::kFlagQR | dns::kFlagAA | (q.flags & dns::kFlagRD))),
      question_(reinterpret_cast<const char*>(query + dns::kHeaderSize), q.questionEnd - dns::kHeaderSize) {
  node_ = zone_->next(cursor_);
  if (q.qtype == dns::kIXFR && clientSerial && !serialLess(*clientSerial, zone_->serial())) soaOnly_ = true;
  if (q.qtype == dns::kIXFR && !soaOnly_ && !chain.empty()) chain_ = std::move(chain);
}

size_t TransferWriter::next(uint8_t* out, size_t cap) {
  if (phase_ == Phase::kDone) return 0;
  dns::MessageWriter w(out, cap < 65535 ? cap : 65535);
  uint8_t hdr[dns::kHeaderSize] = {};
  dns::put16(hdr, id_);
  dns::put16(hdr + 2, flags_);
  w.raw(hdr, sizeof hdr);
  // The question goes in the first message only (RFC 5936 §2.2.1).
  if (messages_ == 0) {
    w.raw(question_.data(), question_.size());
    dns::put16(out + 4, 1);
    w.remember(dns::kHeaderSize, question_.size() - 4);
  }
  uint16_t count = 0;
  const RRset& soa = zone_->soa();
  const std::string& origin = zone_->origin();
  auto put = [&](std::string_view owner, uint16_t type, uint32_t ttl, std::string_view rd) {
    if (!w.rr(owner, 0, type, ttl, rd)) return false;
    ++count;
    ++records_;
    return true;
  };
  if (phase_ == Phase::kFirstSoa) {
    put(origin, dns::kSOA, soa.ttl, soa.rdata[0]);
    phase_ = soaOnly_ ? Phase::kDone : chain_.empty() ? Phase::kBody : Phase::kIxfr;
  }
  // IXFR (RFC 1995 §4): for each change, the old SOA and what went, the new SOA and what came.
  while (phase_ == Phase::kIxfr) {
    if (cs_ >= chain_.size()) {
      phase_ = Phase::kLastSoa;
      break;
    }
    const Changeset& c = *chain_[cs_];
    const std::vector<Record>& list = part_ == 0 ? c.removed : c.added;
    if (rec_ >= list.size()) {
      rec_ = 0;
      if (++part_ == 2) {
        part_ = 0;
        ++cs_;
      }
      continue;
    }
    const Record& r = list[rec_];
    if (!put(r.owner, r.type, r.ttl, r.rdata)) {
      if (count == 0) ++rec_;
      break;
    }
    ++rec_;
  }
  while (phase_ == Phase::kBody) {
    if (!node_) {
      phase_ = Phase::kLastSoa;
      break;
    }
    const Node& n = *node_;
    if (rrset_ >= n.rrsets.size()) {
      node_ = zone_->next(cursor_);
      rrset_ = rdata_ = 0;
      continue;
    }
    const RRset& s = n.rrsets[rrset_];
    if (s.type == dns::kSOA || rdata_ >= s.rdata.size()) {
      ++rrset_;
      rdata_ = 0;
      continue;
    }
    if (!put(n.name, s.type, s.ttl, s.rdata[rdata_])) {
      if (count == 0) ++rdata_;  // a record larger than a message: cannot be sent, skip it
      break;                     // message full
    }
    ++rdata_;
  }
  if (phase_ == Phase::kLastSoa && put(origin, dns::kSOA, soa.ttl, soa.rdata[0])) phase_ = Phase::kDone;
  dns::put16(out + 6, count);
  ++messages_;
  return w.size();
}

std::optional<uint32_t> ixfrClientSerial(const uint8_t* msg, size_t len, const ParsedQuery& q) {
  if (dns::get16(msg + 8) != 1) return std::nullopt;
  WireReader r(msg, len);
  r.seek(q.questionEnd);
  uint8_t name[dns::kMaxName];
  if (!dns::readName(r, name)) return std::nullopt;
  uint16_t type = r.u16();
  r.skip(6);
  uint16_t rdlen = r.u16();
  if (r.failed() || type != dns::kSOA || rdlen < 22) return std::nullopt;
  for (int i = 0; i < 2; ++i)
    if (!dns::readName(r, name)) return std::nullopt;
  uint32_t serial = r.u32();
  if (r.failed()) return std::nullopt;
  return serial;
}

}  // namespace cdns::authority
