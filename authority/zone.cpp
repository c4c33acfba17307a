// Building and checking an authoritative zone from parsed records.
#include "authority/zone.h"

#include <algorithm>

#include "common/dns.h"
#include "common/log.h"

namespace cdns::authority {
namespace {

std::string rdataWire(const ldns_rr* rr) {
  BufferPtr buf(ldns_buffer_new(256));
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) ldns_rdf2buffer_wire(buf.get(), ldns_rr_rdf(rr, i));
  return std::string(reinterpret_cast<const char*>(ldns_buffer_begin(buf.get())), ldns_buffer_position(buf.get()));
}

}  // namespace

uint32_t Zone::serial() const {
  // SOA rdata: mname, rname, then serial (RFC 1035 §3.3.13).
  const std::string& rd = soa_->rdata[0];
  size_t off = 0;
  for (int n = 0; n < 2; ++n) {
    while (off < rd.size() && rd[off] != 0) off += static_cast<uint8_t>(rd[off]) + 1;
    ++off;
  }
  return off + 4 <= rd.size() ? dns::get32(reinterpret_cast<const uint8_t*>(rd.data() + off)) : 0;
}

Result<std::shared_ptr<const Zone>> Zone::build(std::string_view originText, const std::vector<RrPtr>& records,
                                                const std::string& source) {
  auto z = std::make_shared<Zone>();
  auto origin = dns::nameFromText(originText);
  if (!origin) return origin.error();
  z->origin_ = dns::lowerName(*origin);
  z->originText_ = dns::nameToText(z->origin_);
  auto fail = [&](const std::string& msg) { return makeError(source + ": zone " + z->originText_ + ": " + msg); };

  for (const auto& rrp : records) {
    const ldns_rr* rr = rrp.get();
    const ldns_rdf* owner = ldns_rr_owner(rr);
    std::string name = dns::lowerName(
        std::string_view(reinterpret_cast<const char*>(ldns_rdf_data(owner)), ldns_rdf_size(owner)));
    if (!dns::isSubdomain(name, z->origin_)) return fail("owner " + dns::nameToText(name) + " is outside the zone");
    if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
      return fail("owner " + dns::nameToText(name) + ": only class IN is served");
    auto type = static_cast<uint16_t>(ldns_rr_get_type(rr));
    if (type == dns::kOPT || type == dns::kTSIG || type == dns::kTKEY || (type >= 249 && type <= 255))
      return fail("owner " + dns::nameToText(name) + ": meta type " + dns::typeToText(type) + " in a zone");
    Node& node = z->nodes_[name];
    node.name = name;
    std::string rd = rdataWire(rr);
    auto it = std::find_if(node.rrsets.begin(), node.rrsets.end(), [&](const RRset& s) { return s.type == type; });
    if (it == node.rrsets.end()) {
      node.rrsets.push_back(RRset{type, ldns_rr_ttl(rr), {}});
      it = node.rrsets.end() - 1;
    } else if (it->ttl != ldns_rr_ttl(rr)) {
      log::warn("authority.zone").kv("zone", z->originText_).kv("owner", dns::nameToText(name))
          .kv("type", dns::typeToText(type)).msg("TTLs differ inside an RRset; using the first (RFC 2181 §5.2)");
    }
    if (std::find(it->rdata.begin(), it->rdata.end(), rd) == it->rdata.end()) {
      it->rdata.push_back(std::move(rd));
      ++z->records_;
    }
  }

  auto apexIt = z->nodes_.find(z->origin_);
  if (apexIt == z->nodes_.end() || !apexIt->second.find(dns::kSOA)) return fail("no SOA record at the apex");
  if (apexIt->second.find(dns::kSOA)->rdata.size() != 1) return fail("more than one SOA record at the apex");
  if (!apexIt->second.find(dns::kNS)) return fail("no NS records at the apex");

  // Empty non-terminals: every ancestor up to the apex exists (RFC 4592 §2.2.2).
  std::vector<std::string> names;
  names.reserve(z->nodes_.size());
  for (const auto& [name, node] : z->nodes_) names.push_back(name);
  for (const auto& name : names) {
    std::string_view p = dns::parentName(name);
    while (p.size() > z->origin_.size()) {
      auto [it, inserted] = z->nodes_.try_emplace(std::string(p));
      if (!inserted) break;
      it->second.name = std::string(p);
      p = dns::parentName(p);
    }
  }

  // Per-node checks, RRset order, and delegation cuts from the top down.
  std::vector<Node*> byDepth;
  byDepth.reserve(z->nodes_.size());
  for (auto& [name, node] : z->nodes_) byDepth.push_back(&node);
  std::sort(byDepth.begin(), byDepth.end(),
            [](const Node* a, const Node* b) { return a->name.size() < b->name.size(); });
  for (Node* node : byDepth) {
    std::sort(node->rrsets.begin(), node->rrsets.end(), [](const RRset& a, const RRset& b) { return a.type < b.type; });
    bool apex = node->name == z->origin_;
    if (!apex && node->find(dns::kSOA)) return fail("SOA record at " + dns::nameToText(node->name) + ", not the apex");
    if (const RRset* c = node->find(dns::kCNAME)) {
      if (c->rdata.size() > 1) return fail("more than one CNAME at " + dns::nameToText(node->name));
      for (const auto& s : node->rrsets)
        if (s.type != dns::kCNAME && s.type != dns::kRRSIG && s.type != dns::kNSEC)
          return fail("CNAME and other data at " + dns::nameToText(node->name) + " (RFC 1034 §3.6.2)");
      if (apex) return fail("CNAME at the apex");
    }
    const Node* parentCut = nullptr;
    if (!apex) {
      const Node* parent = z->find(dns::parentName(node->name));
      parentCut = parent ? parent->cut : nullptr;
    }
    node->cut = parentCut ? parentCut : (!apex && node->find(dns::kNS) ? node : nullptr);
  }
  z->apex_ = &z->nodes_.find(z->origin_)->second;
  z->soa_ = z->apex_->find(dns::kSOA);
  return std::shared_ptr<const Zone>(std::move(z));
}

const Zone* ZoneSet::findFor(std::string_view name) const {
  std::string_view s = name;
  while (true) {
    auto it = zones_.find(s);
    if (it != zones_.end()) return it->second.get();
    if (s.empty() || s[0] == 0) return nullptr;
    s = dns::parentName(s);
  }
}

}  // namespace cdns::authority
