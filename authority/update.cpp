// RFC 2136 UPDATE processing.
#include "authority/update.h"

#include <strings.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/dns.h"
#include "common/ldns_handles.h"
#include "rrtypes/registry.h"

namespace cdns::authority {
namespace {

struct Rr {
  std::string owner;  // lower-case wire
  uint16_t type, cls;
  uint32_t ttl;
  std::string rdata;
};

UpdateResult fail(uint16_t rcode, std::string reason) {
  UpdateResult r;
  r.rcode = rcode;
  r.reason = std::move(reason);
  return r;
}

bool isMeta(uint16_t t) { return t == dns::kOPT || t == dns::kTSIG || t == dns::kTKEY || (t >= 249 && t <= 255); }

// Reads `count` RRs of one section.
bool readSection(WireReader& r, uint16_t count, std::vector<Rr>& out) {
  for (uint16_t i = 0; i < count; ++i) {
    uint8_t name[dns::kMaxName];
    auto n = dns::readName(r, name);
    if (!n) return false;
    dns::lowerName(name, *n);
    Rr rr;
    rr.owner.assign(reinterpret_cast<char*>(name), *n);
    rr.type = r.u16();
    rr.cls = r.u16();
    rr.ttl = r.u32();
    uint16_t rdlen = r.u16();
    size_t start = r.offset();
    auto rd = r.bytes(rdlen);
    if (r.failed()) return false;
    // Names inside well-known rdata may be compressed in the message: expand them (RFC 3597 §4).
    if (rdlen > 0 && (rr.type == dns::kNS || rr.type == dns::kCNAME || rr.type == dns::kPTR ||
                      rr.type == dns::kMX || rr.type == dns::kSOA)) {
      WireReader sub(r);
      sub.seek(start);
      std::string expanded;
      if (rr.type == dns::kMX) {
        uint16_t pref = sub.u16();
        expanded.push_back(static_cast<char>(pref >> 8));
        expanded.push_back(static_cast<char>(pref));
      }
      int names = rr.type == dns::kSOA ? 2 : 1;
      for (int k = 0; k < names; ++k) {
        std::string nm;
        if (!dns::readName(sub, nm)) return false;
        expanded += nm;
      }
      if (rr.type == dns::kSOA) {
        auto rest = sub.bytes(20);
        if (sub.failed()) return false;
        expanded.append(reinterpret_cast<const char*>(rest.data()), rest.size());
      }
      if (sub.offset() != start + rdlen) return false;
      rr.rdata = std::move(expanded);
    } else {
      rr.rdata.assign(reinterpret_cast<const char*>(rd.data()), rd.size());
    }
    out.push_back(std::move(rr));
  }
  return true;
}

uint32_t soaSerial(const std::string& rd) { return dns::soaField(rd, 0); }
std::string withSerial(std::string rd, uint32_t serial) { return dns::withSoaSerial(std::move(rd), serial); }

// The working state of one update: the zone's RRsets for the names it touches.
class Working {
 public:
  explicit Working(const Zone& z) : zone_(z) {}
  using Key = std::pair<std::string, uint16_t>;
  // Current rdata set of an RRset (after this update's earlier changes).
  std::set<std::string>& rrset(const std::string& owner, uint16_t type) {
    auto k = Key{owner, type};
    auto it = sets_.find(k);
    if (it != sets_.end()) return it->second;
    std::set<std::string>& s = sets_[k];
    if (const Node* n = zone_.find(owner))
      if (const RRset* r = n->find(type)) {
        s.insert(r->rdata.begin(), r->rdata.end());
        ttl_[k] = r->ttl;
      }
    return s;
  }
  uint32_t ttl(const std::string& owner, uint16_t type) { return ttl_[Key{owner, type}]; }
  void setTtl(const std::string& owner, uint16_t type, uint32_t t) { ttl_[Key{owner, type}] = t; }
  // Types present at a name now.
  std::set<uint16_t> types(const std::string& owner) {
    std::set<uint16_t> t;
    if (const Node* n = zone_.find(owner))
      for (const auto& s : n->rrsets) t.insert(s.type);
    for (auto& [k, v] : sets_)
      if (k.first == owner) {
        if (v.empty()) t.erase(k.second);
        else t.insert(k.second);
      }
    return t;
  }
  // The exact change against the zone.
  void diff(std::vector<Record>& removed, std::vector<Record>& added) {
    for (auto& [k, now] : sets_) {
      std::set<std::string> before;
      uint32_t oldTtl = 0;
      if (const Node* n = zone_.find(k.first))
        if (const RRset* r = n->find(k.second)) {
          before.insert(r->rdata.begin(), r->rdata.end());
          oldTtl = r->ttl;
        }
      uint32_t newTtl = ttl_[k];
      bool ttlChanged = !before.empty() && !now.empty() && oldTtl != newTtl;
      for (const auto& rd : before)
        if (!now.count(rd) || ttlChanged) removed.push_back(Record{k.first, k.second, oldTtl, rd});
      for (const auto& rd : now)
        if (!before.count(rd) || ttlChanged) added.push_back(Record{k.first, k.second, newTtl, rd});
    }
  }

 private:
  const Zone& zone_;
  std::map<Key, std::set<std::string>> sets_;
  std::map<Key, uint32_t> ttl_;
};

}  // namespace

bool serialGreater(uint32_t a, uint32_t b) { return a != b && static_cast<uint32_t>(a - b) < 0x80000000u; }

uint16_t typeFromName(std::string_view name) {
  if (strncasecmp(name.data(), "ANY", name.size()) == 0 && name.size() == 3) return dns::kANY;
  if (const auto* t = rrtypes::findType(name)) return t->code;
  std::string s(name);
  ldns_rr_type t = ldns_get_rr_type_by_name(s.c_str());
  return static_cast<uint16_t>(t);
}

bool UpdateRule::allows(std::string_view owner, uint16_t type) const {
  bool nameOk = false;
  switch (match) {
    case Match::kExact: nameOk = owner == name; break;
    case Match::kSubdomain: nameOk = dns::isSubdomain(owner, name); break;
    case Match::kWildcard: nameOk = owner.size() > name.size() && dns::isSubdomain(owner, name); break;
  }
  if (!nameOk) return false;
  for (uint16_t t : types) {
    if (t == type) return true;
    if (t == dns::kANY && type != dns::kSOA) return true;
  }
  return false;
}

bool UpdateRule::allowsRecord(std::string_view owner, uint16_t type, uint16_t cls, std::string_view rdata) const {
  if (!allows(owner, type)) return false;
  if (targetUnder.empty()) return true;
  if (cls == dns::kCLASS_ANY) return false;  // deleting a whole RRset or name touches others' records
  size_t off = type == dns::kMX ? 2 : type == dns::kSRV ? 6 : 0;
  if (type != dns::kPTR && type != dns::kCNAME && type != dns::kNS && type != dns::kMX && type != dns::kSRV) return false;
  if (rdata.size() <= off) return false;
  return dns::isSubdomain(dns::lowerName(rdata.substr(off)), targetUnder);
}

UpdateResult processUpdate(const UpdateRequest& req, const Zone& zone, const std::vector<UpdateRule>& rules,
                           const LeaseLimits& leaseLimits) {
  WireReader r(req.msg, req.len);
  r.skip(4);
  uint16_t zocount = r.u16(), prcount = r.u16(), upcount = r.u16(), adcount = r.u16();
  // RFC 2136 §3.1.1: exactly one zone, type SOA.
  if (zocount != 1) return fail(dns::kFormErr, "zone count");
  uint8_t zname[dns::kMaxName];
  if (!dns::readName(r, zname)) return fail(dns::kFormErr, "zone name");
  uint16_t ztype = r.u16(), zclass = r.u16();
  if (r.failed() || ztype != dns::kSOA) return fail(dns::kFormErr, "zone type");
  if (zclass != dns::kIN) return fail(dns::kNotAuth, "zone class");
  std::vector<Rr> prereqs, updates;
  if (!readSection(r, prcount, prereqs) || !readSection(r, upcount, updates)) return fail(dns::kFormErr, "malformed");
  // Additional: OPT (with the Update Lease option, RFC 9664) and TSIG (checked by the caller).
  std::optional<uint32_t> requestedLease;
  for (uint16_t i = 0; i < adcount; ++i) {
    uint8_t name[dns::kMaxName];
    if (!dns::readName(r, name)) return fail(dns::kFormErr, "malformed");
    uint16_t type = r.u16();
    r.skip(6);
    uint16_t rdlen = r.u16();
    size_t start = r.offset();
    if (!r.skip(rdlen)) return fail(dns::kFormErr, "malformed");
    if (type != dns::kOPT) continue;
    WireReader o(req.msg + start, rdlen);
    while (!o.atEnd()) {
      uint16_t code = o.u16(), olen = o.u16();
      size_t ostart = o.offset();
      if (!o.skip(olen)) return fail(dns::kFormErr, "EDNS option");
      if (code == 2) {  // RFC 9664 §4: LEASE (4 bytes), optionally KEY-LEASE (4 more)
        if (olen != 4 && olen != 8) return fail(dns::kFormErr, "lease option length");
        requestedLease = dns::get32(req.msg + start + ostart);
      }
    }
  }
  const std::string& origin = zone.origin();
  Working w(zone);

  // Prerequisites (RFC 2136 §3.2).
  std::map<std::pair<std::string, uint16_t>, std::set<std::string>> valueSets;
  for (const auto& p : prereqs) {
    if (p.ttl != 0) return fail(dns::kFormErr, "prerequisite TTL");
    if (!dns::isSubdomain(p.owner, origin)) return fail(dns::kNotZone, "notzone");
    if (p.cls == dns::kCLASS_ANY) {
      if (!p.rdata.empty()) return fail(dns::kFormErr, "prerequisite rdata");
      if (p.type == dns::kANY) {
        if (w.types(p.owner).empty()) return fail(dns::kNxDomain, "prerequisite");  // name is in use
      } else if (w.rrset(p.owner, p.type).empty()) {
        return fail(dns::kNxRrset, "prerequisite");  // RRset exists (value independent)
      }
    } else if (p.cls == dns::kNONE) {
      if (!p.rdata.empty()) return fail(dns::kFormErr, "prerequisite rdata");
      if (p.type == dns::kANY) {
        if (!w.types(p.owner).empty()) return fail(dns::kYxDomain, "prerequisite");  // name not in use
      } else if (!w.rrset(p.owner, p.type).empty()) {
        return fail(dns::kYxRrset, "prerequisite");  // RRset does not exist
      }
    } else if (p.cls == zclass) {
      if (isMeta(p.type)) return fail(dns::kFormErr, "prerequisite type");
      valueSets[{p.owner, p.type}].insert(p.rdata);  // RRset exists (value dependent), §3.2.3
    } else {
      return fail(dns::kFormErr, "prerequisite class");
    }
  }
  for (auto& [k, want] : valueSets)
    if (w.rrset(k.first, k.second) != want) return fail(dns::kNxRrset, "prerequisite");

  // Policy (§3.3) and prescan (§3.4.1).
  for (const auto& u : updates) {
    if (!dns::isSubdomain(u.owner, origin)) return fail(dns::kNotZone, "notzone");
    if (u.cls == zclass) {
      if (isMeta(u.type)) return fail(dns::kFormErr, "update type");
    } else if (u.cls == dns::kCLASS_ANY) {
      if (u.ttl != 0 || !u.rdata.empty() || (isMeta(u.type) && u.type != dns::kANY)) return fail(dns::kFormErr, "update");
    } else if (u.cls == dns::kNONE) {
      if (u.ttl != 0 || isMeta(u.type)) return fail(dns::kFormErr, "update");
    } else {
      return fail(dns::kFormErr, "update class");
    }
    bool allowed = false;
    for (const auto& rule : rules)
      if (rule.key == req.keyName && rule.allowsRecord(u.owner, u.type, u.cls, u.rdata)) allowed = true;
    if (!allowed) return fail(dns::kRefused, "policy");
  }

  // Apply (§3.4.2) to the working copy.
  bool soaChanged = false;
  for (const auto& u : updates) {
    bool apex = u.owner == origin;
    if (u.cls == zclass) {
      if (u.type == dns::kSOA) {
        // Only a newer serial replaces the SOA (§3.4.2.2).
        if (!apex || !serialGreater(soaSerial(u.rdata), soaSerial(*w.rrset(origin, dns::kSOA).begin()))) continue;
        auto& s = w.rrset(origin, dns::kSOA);
        s.clear();
        s.insert(u.rdata);
        w.setTtl(origin, dns::kSOA, u.ttl);
        soaChanged = true;
        continue;
      }
      auto present = w.types(u.owner);
      if (u.type == dns::kCNAME) {
        bool other = false;
        for (uint16_t t : present)
          if (t != dns::kCNAME && t != dns::kRRSIG && t != dns::kNSEC) other = true;
        if (other) continue;  // CNAME beside other data: ignored (§3.4.2.2)
        auto& s = w.rrset(u.owner, dns::kCNAME);
        s.clear();  // one CNAME per name: replace
        s.insert(u.rdata);
      } else {
        if (present.count(dns::kCNAME) && u.type != dns::kRRSIG && u.type != dns::kNSEC) continue;
        w.rrset(u.owner, u.type).insert(u.rdata);
      }
      w.setTtl(u.owner, u.type, u.ttl);
    } else if (u.cls == dns::kCLASS_ANY) {
      if (u.type == dns::kANY) {
        for (uint16_t t : w.types(u.owner))
          if (!(apex && (t == dns::kSOA || t == dns::kNS))) w.rrset(u.owner, t).clear();
      } else if (!(apex && (u.type == dns::kSOA || u.type == dns::kNS))) {
        w.rrset(u.owner, u.type).clear();
      }
    } else {  // NONE: delete one RR
      if (u.type == dns::kSOA) continue;
      auto& s = w.rrset(u.owner, u.type);
      if (apex && u.type == dns::kNS && s.size() == 1 && s.count(u.rdata)) continue;  // keep the last apex NS
      s.erase(u.rdata);
    }
  }
  UpdateResult res;
  w.diff(res.removed, res.added);
  if (requestedLease) res.lease = std::clamp(*requestedLease, leaseLimits.min, leaseLimits.max);
  for (const auto& u : updates)
    if (u.cls == zclass && u.type != dns::kSOA && w.rrset(u.owner, u.type).count(u.rdata))
      res.leased.push_back(Record{u.owner, u.type, w.ttl(u.owner, u.type), u.rdata});
  if (res.removed.empty() && res.added.empty()) return res;  // nothing changed: no serial bump
  if (!soaChanged) {
    const RRset& soa = zone.soa();
    uint32_t next = soaSerial(soa.rdata[0]) + 1;  // RFC 1982 §3.1: wraps
    if (next == 0) next = 1;
    res.removed.push_back(Record{origin, dns::kSOA, soa.ttl, soa.rdata[0]});
    res.added.push_back(Record{origin, dns::kSOA, soa.ttl, withSerial(soa.rdata[0], next)});
  }
  return res;
}

}  // namespace cdns::authority
