// The authoritative answer algorithm (RFC 1034 §4.3.2, RFC 2308, RFC 4592, RFC 6604, RFC 6891).
#include "authority/query.h"

#include <cstring>

namespace cdns::authority {
namespace {

using dns::MessageWriter;

constexpr int kMaxChain = 16;  // CNAME hops followed inside a zone

struct Answer {
  MessageWriter& w;
  const ParsedQuery& q;
  const Zone& zone;
  uint16_t an = 0, ns = 0, ar = 0;
  bool aa = true;
  bool tc = false;
  uint16_t rcode = dns::kNoError;
};

// The SOA for negative answers: TTL = min(SOA TTL, SOA MINIMUM) (RFC 2308 §3).
bool writeNegativeSoa(Answer& a) {
  const RRset& soa = a.zone.soa();
  const std::string& rd = soa.rdata[0];
  uint32_t minimum = rd.size() >= 4 ? dns::get32(reinterpret_cast<const uint8_t*>(rd.data() + rd.size() - 4)) : 0;
  uint32_t ttl = soa.ttl < minimum ? soa.ttl : minimum;
  if (!a.w.rr(a.zone.origin(), 0, dns::kSOA, ttl, rd)) return false;
  ++a.ns;
  return true;
}

bool writeRRset(Answer& a, std::string_view owner, size_t ownerOffset, const RRset& s, uint16_t& count) {
  for (const auto& rd : s.rdata) {
    if (!a.w.rr(owner, ownerOffset, s.type, s.ttl, rd)) return false;
    ++count;
  }
  return true;
}

// The target name inside NS, MX and SRV rdata (RFC 1035 §3.3.9, RFC 2782).
std::string_view targetOf(uint16_t type, std::string_view rd) {
  size_t off = type == dns::kMX ? 2 : type == dns::kSRV ? 6 : 0;
  return off <= rd.size() ? rd.substr(off) : std::string_view();
}

// Adds A and AAAA of in-zone targets to the additional section; whole RRsets or nothing
// (RFC 2181 §9: additional data may be left out without TC). Glue for a referral must fit.
void addAdditional(Answer& a, const RRset& s, bool glue) {
  for (const auto& rd : s.rdata) {
    std::string_view target = targetOf(s.type, rd);
    uint8_t lower[dns::kMaxName];
    if (target.empty() || target.size() > sizeof lower) continue;
    std::memcpy(lower, target.data(), target.size());
    dns::lowerName(lower, target.size());
    std::string_view lt(reinterpret_cast<const char*>(lower), target.size());
    if (!dns::isSubdomain(lt, a.zone.origin())) continue;
    const Node* n = a.zone.find(lt);
    if (!n || (n->hasCut() && !glue)) continue;
    for (uint16_t type : {uint16_t{dns::kA}, uint16_t{dns::kAAAA}}) {
      const RRset* addr = n->find(type);
      if (!addr) continue;
      auto m = a.w.mark();
      uint16_t before = a.ar;
      if (!writeRRset(a, target, 0, *addr, a.ar)) {
        a.w.rollback(m);
        a.ar = before;
        if (glue) a.tc = true;  // RFC 9471: in-domain glue that does not fit sets TC
        return;
      }
    }
  }
}

void referral(Answer& a, const Node& cut) {
  const RRset* ns = cut.find(dns::kNS);
  if (!writeRRset(a, cut.name, 0, *ns, a.ns)) {
    a.tc = true;
    return;
  }
  addAdditional(a, *ns, /*glue=*/true);
}

// Runs the lookup for one name; returns false when the message ran out of room.
void answer(Answer& a) {
  uint8_t nameBuf[dns::kMaxName];
  std::string_view name(reinterpret_cast<const char*>(a.q.lname), a.q.qnameLen);
  std::string_view ownerWire = name;
  size_t ownerOffset = dns::kHeaderSize;  // the question's name, case as sent
  const uint16_t qtype = a.q.qtype;
  for (int hop = 0; hop <= kMaxChain; ++hop) {
    if (!dns::isSubdomain(name, a.zone.origin())) return;  // chain left the zone: done (RFC 6604 §2)
    const Node* node = a.zone.find(name);
    const Node* match = node;
    if (!node) {
      // Closest encloser, then the wildcard below it (RFC 4592 §3.3.1).
      std::string_view ce = dns::parentName(name);
      const Node* enc = a.zone.find(ce);
      while (!enc) {
        ce = dns::parentName(ce);
        enc = a.zone.find(ce);
      }
      if (enc->hasCut()) {
        if (hop == 0) a.aa = false;
        referral(a, *a.zone.cutOf(*enc));
        return;
      }
      uint8_t wild[dns::kMaxName];
      if (ce.size() + 2 <= sizeof wild) {
        wild[0] = 1;
        wild[1] = '*';
        std::memcpy(wild + 2, ce.data(), ce.size());
        match = a.zone.find(std::string_view(reinterpret_cast<const char*>(wild), ce.size() + 2));
      }
      if (!match) {
        a.rcode = dns::kNxDomain;
        if (!writeNegativeSoa(a)) a.tc = true;
        return;
      }
    } else if (node->hasCut() && !(qtype == dns::kDS && node->isDelegation())) {
      // At or below a zone cut: refer (RFC 1034 §4.3.2 step 3b). DS lives at the parent side.
      if (hop == 0) a.aa = false;
      referral(a, *a.zone.cutOf(*node));
      return;
    }
    const RRset* cname = match->find(dns::kCNAME);
    if (cname && qtype != dns::kCNAME && qtype != dns::kANY) {
      if (!writeRRset(a, ownerWire, ownerOffset, *cname, a.an)) {
        a.tc = true;
        return;
      }
      const std::string& target = cname->rdata[0];
      std::memcpy(nameBuf, target.data(), target.size());
      dns::lowerName(nameBuf, target.size());
      name = std::string_view(reinterpret_cast<const char*>(nameBuf), target.size());
      ownerWire = target;
      ownerOffset = 0;
      continue;
    }
    if (qtype == dns::kANY) {
      for (const auto& s : match->rrsets)
        if (!writeRRset(a, ownerWire, ownerOffset, s, a.an)) {
          a.tc = true;
          return;
        }
      if (match->rrsets.empty() && !writeNegativeSoa(a)) a.tc = true;
      return;
    }
    const RRset* s = match->find(qtype);
    if (!s) {
      if (!writeNegativeSoa(a)) a.tc = true;  // NODATA (RFC 2308 §2.2)
      return;
    }
    if (!writeRRset(a, ownerWire, ownerOffset, *s, a.an)) {
      a.tc = true;
      return;
    }
    if (s->type == dns::kNS || s->type == dns::kMX || s->type == dns::kSRV) addAdditional(a, *s, false);
    return;
  }
  // A chain longer than we follow: answer with what we have (the client resolves the rest).
}

}  // namespace

ParseStatus parseQuery(const uint8_t* msg, size_t len, ParsedQuery& q) {
  if (len < dns::kHeaderSize) return ParseStatus::kDrop;
  q.id = dns::get16(msg);
  q.flags = dns::get16(msg + 2);
  if (q.flags & dns::kFlagQR) return ParseStatus::kDrop;  // never answer a response
  q.opcode = static_cast<uint8_t>((q.flags >> 11) & 0xF);
  uint16_t qd = dns::get16(msg + 4), an = dns::get16(msg + 6), ns = dns::get16(msg + 8), ar = dns::get16(msg + 10);
  q.hasQuestion = false;
  q.hasEdns = false;
  q.hasTsig = false;
  WireReader r(msg, len);
  r.skip(dns::kHeaderSize);
  if (qd != 1) return ParseStatus::kFormErr;
  auto n = dns::readName(r, q.qname, /*allowCompression=*/false);
  if (!n) return ParseStatus::kFormErr;
  q.qnameLen = *n;
  q.qtype = r.u16();
  q.qclass = r.u16();
  if (r.failed()) return ParseStatus::kFormErr;
  std::memcpy(q.lname, q.qname, q.qnameLen);
  dns::lowerName(q.lname, q.qnameLen);
  q.questionEnd = r.offset();
  q.hasQuestion = true;
  // Queries carry no answer records; UPDATE uses these sections for prerequisites and updates
  // and NOTIFY may carry an SOA, so only skip them for those (their processors parse them).
  if (q.opcode == dns::kOpQuery && (an != 0 || (ns != 0 && q.qtype != dns::kIXFR))) return ParseStatus::kFormErr;
  uint8_t scratch[dns::kMaxName];
  for (uint32_t i = 0; i < static_cast<uint32_t>(an) + ns; ++i) {
    if (!dns::readName(r, scratch)) return ParseStatus::kFormErr;
    r.skip(8);
    uint16_t rdlen = r.u16();
    if (!r.skip(rdlen)) return ParseStatus::kFormErr;
  }
  for (uint16_t i = 0; i < ar; ++i) {
    size_t start = r.offset();
    if (q.hasTsig) return ParseStatus::kFormErr;  // TSIG must be last (RFC 8945 §5.1)
    auto owner = dns::readName(r, scratch);
    if (!owner) return ParseStatus::kFormErr;
    uint16_t type = r.u16();
    uint16_t cls = r.u16();
    uint32_t ttl = r.u32();
    uint16_t rdlen = r.u16();
    size_t rdStart = r.offset();
    if (!r.skip(rdlen)) return ParseStatus::kFormErr;
    if (type == dns::kOPT) {
      // RFC 6891 §6.1.1: one OPT, owner the root.
      if (q.hasEdns || *owner != 1 || scratch[0] != 0) return ParseStatus::kFormErr;
      q.hasEdns = true;
      q.ednsPayload = cls;
      q.ednsVersion = static_cast<uint8_t>(ttl >> 16);
      q.ednsDo = (ttl & 0x8000) != 0;
      // Options must tile the rdata exactly.
      WireReader o(msg + rdStart, rdlen);
      while (!o.atEnd()) {
        o.u16();
        uint16_t olen = o.u16();
        if (!o.skip(olen)) return ParseStatus::kFormErr;
      }
    } else if (type == dns::kTSIG) {
      q.hasTsig = true;
      q.tsigOffset = start;
    }
  }
  if (!r.atEnd()) return ParseStatus::kFormErr;  // bytes beyond what the counts describe
  return ParseStatus::kOk;
}

bool writeOpt(MessageWriter& w, const ParsedQuery& q, const QueryLimits& limits, uint8_t extRcode, int ede) {
  uint8_t opt[17] = {0, 0, dns::kOPT, 0, 0, extRcode, 0, static_cast<uint8_t>(q.ednsDo ? 0x80 : 0), 0, 0, 0};
  size_t len = 11;
  dns::put16(opt + 3, limits.udpMaxPayload);
  if (ede >= 0) {
    // RFC 8914 §2: option 15, info-code, no extra text.
    dns::put16(opt + 9, 6);
    dns::put16(opt + 11, 15);
    dns::put16(opt + 13, 2);
    dns::put16(opt + 15, static_cast<uint16_t>(ede));
    len = 17;
  }
  w.setLimit(w.limit() + len);
  return w.raw(opt, len);
}

size_t writeErrorResponse(const uint8_t* msg, const ParsedQuery& q, uint16_t rcode, uint8_t* out, size_t cap,
                          const QueryLimits& limits, int ede) {
  MessageWriter w(out, cap);
  uint8_t hdr[dns::kHeaderSize] = {};
  std::memcpy(hdr, msg, 4);
  // QR, opcode and RD as sent; everything else cleared; rcode low bits (RFC 6891 §6.1.3).
  uint16_t flags = static_cast<uint16_t>(dns::kFlagQR | (q.flags & (0x7800 | dns::kFlagRD | dns::kFlagCD)) | (rcode & 0xF));
  dns::put16(hdr + 2, flags);
  if (q.hasQuestion) dns::put16(hdr + 4, 1);
  if (q.hasEdns) dns::put16(hdr + 10, 1);
  w.raw(hdr, sizeof hdr);
  if (q.hasQuestion) w.raw(msg + dns::kHeaderSize, q.questionEnd - dns::kHeaderSize);
  if (q.hasEdns) {
    w.setLimit(w.size());
    writeOpt(w, q, limits, static_cast<uint8_t>(rcode >> 4), ede);
  }
  return w.size();
}

Outcome processQuery(const uint8_t* msg, size_t len, uint8_t* out, size_t cap, Transport transport,
                     const ZoneSet& zones, const QueryLimits& limits, ParsedQuery& q) {
  Outcome o;
  ParseStatus ps = parseQuery(msg, len, q);
  if (ps == ParseStatus::kDrop) return o;
  o.qtype = q.hasQuestion ? q.qtype : 0;
  auto error = [&](uint16_t rcode, int ede = -1) {
    o.action = Action::kRespond;
    o.rcode = rcode;
    o.len = writeErrorResponse(msg, q, rcode, out, cap, limits, ede);
    return o;
  };
  bool implemented = q.opcode == dns::kOpQuery || q.opcode == dns::kOpUpdate;
  if (!implemented) return error(dns::kNotImp);
  if (ps == ParseStatus::kFormErr) return error(dns::kFormErr);
  if (q.hasEdns && q.ednsVersion > 0) return error(dns::kBadVers);  // RFC 6891 §6.1.3
  if (q.opcode == dns::kOpUpdate) {
    o.action = Action::kUpdate;
    o.zone = zones.exact(std::string_view(reinterpret_cast<const char*>(q.lname), q.qnameLen));
    return o;
  }
  if (q.qclass != dns::kIN && q.qclass != dns::kCLASS_ANY) return error(dns::kRefused);
  switch (q.qtype) {
    case dns::kOPT:
    case dns::kTSIG:
    case dns::kTKEY:
      return error(dns::kFormErr);
    case dns::kMAILA:
    case dns::kMAILB:
      return error(dns::kNotImp);
    default:
      break;
  }
  std::string_view lname(reinterpret_cast<const char*>(q.lname), q.qnameLen);
  const Zone* zone = zones.findFor(lname);
  if (!zone) return error(dns::kRefused, kEdeNotAuthoritative);  // no enclosing zone here
  if (q.qtype == dns::kAXFR || q.qtype == dns::kIXFR) {
    o.zone = zones.exact(lname);
    if (!o.zone) return error(dns::kNotAuth);
    if (transport != Transport::kUdp) {
      o.action = Action::kTransfer;
      return o;
    }
    if (q.qtype == dns::kAXFR) return error(dns::kNotImp);  // AXFR needs a stream (RFC 5936 §4.2)
    // IXFR over UDP: the current SOA tells the client to retry over TCP (RFC 1995 §2).
  }

  size_t limit = transport == Transport::kUdp ? 512 : 65535;
  if (transport == Transport::kUdp && q.hasEdns) {
    size_t want = q.ednsPayload < 512 ? 512 : q.ednsPayload;  // RFC 6891 §6.2.5
    limit = want < limits.udpMaxPayload ? want : limits.udpMaxPayload;
  }
  if (limit > cap) limit = cap;
  MessageWriter w(out, cap);
  w.setLimit(limit - (q.hasEdns ? 11 : 0));
  w.beginResponse(msg, q.questionEnd, q.qnameLen);
  auto afterQuestion = w.mark();

  Answer a{w, q, *zone};
  if (q.qtype == dns::kIXFR) {
    if (!writeRRset(a, zone->origin(), 0, zone->soa(), a.an)) a.tc = true;
  } else {
    answer(a);
  }
  if (a.tc) {
    // Required data did not fit: the question alone, TC set (RFC 2181 §9, RFC 1035 §4.2.1).
    w.rollback(afterQuestion);
    a.an = a.ns = a.ar = 0;
  }
  uint16_t flags = static_cast<uint16_t>(dns::kFlagQR | (q.flags & (dns::kFlagRD | dns::kFlagCD)) |
                                         (a.aa ? dns::kFlagAA : 0) | (a.tc ? dns::kFlagTC : 0) | a.rcode);
  if (q.hasEdns) {
    writeOpt(w, q, limits);
    ++a.ar;
  }
  uint8_t* h = w.data();
  dns::put16(h + 2, flags);
  dns::put16(h + 6, a.an);
  dns::put16(h + 8, a.ns);
  dns::put16(h + 10, a.ar);
  o.action = Action::kRespond;
  o.len = w.size();
  o.rcode = a.rcode;
  o.truncated = a.tc;
  o.zone = zone;
  return o;
}

}  // namespace cdns::authority
