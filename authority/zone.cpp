// Building, checking and changing authoritative zones.
#include "authority/zone.h"

#include <algorithm>
#include <map>

#include "common/dns.h"
#include "common/log.h"

namespace cdns::authority {
namespace {

std::string rdataWire(const ldns_rr* rr) {
  BufferPtr buf(ldns_buffer_new(256));
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) ldns_rdf2buffer_wire(buf.get(), ldns_rr_rdf(rr, i));
  return std::string(reinterpret_cast<const char*>(ldns_buffer_begin(buf.get())), ldns_buffer_position(buf.get()));
}

void sortRRsets(Node& n) {
  std::sort(n.rrsets.begin(), n.rrsets.end(), [](const RRset& a, const RRset& b) { return a.type < b.type; });
}

}  // namespace

uint32_t Zone::serial() const { return dns::soaField(soa().rdata[0], 0); }

size_t Zone::nodeCount() const {
  size_t n = base_->size();
  for (const auto& [name, node] : delta_) {
    bool inBase = base_->count(name) != 0;
    if (node && !inBase) ++n;
    if (!node && inBase) --n;
  }
  return n;
}

Result<std::shared_ptr<const Zone>> Zone::build(std::string_view originText, const std::vector<RrPtr>& records,
                                                const std::string& source) {
  std::vector<Record> recs;
  recs.reserve(records.size());
  for (const auto& rrp : records) {
    const ldns_rr* rr = rrp.get();
    const ldns_rdf* owner = ldns_rr_owner(rr);
    std::string name = dns::lowerName(
        std::string_view(reinterpret_cast<const char*>(ldns_rdf_data(owner)), ldns_rdf_size(owner)));
    if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
      auto o = dns::nameFromText(originText);
      return makeError(source + ": zone " + (o ? dns::nameToText(*o) : std::string(originText)) + ": owner " +
                       dns::nameToText(name) + ": only class IN is served");
    }
    recs.push_back(Record{std::move(name), static_cast<uint16_t>(ldns_rr_get_type(rr)), ldns_rr_ttl(rr), rdataWire(rr)});
  }
  return fromRecords(originText, recs, source);
}

Record Zone::recordOf(const ldns_rr* rr) {
  const ldns_rdf* owner = ldns_rr_owner(rr);
  return Record{dns::lowerName(std::string_view(reinterpret_cast<const char*>(ldns_rdf_data(owner)), ldns_rdf_size(owner))),
                static_cast<uint16_t>(ldns_rr_get_type(rr)), ldns_rr_ttl(rr), rdataWire(rr)};
}

Result<std::shared_ptr<const Zone>> Zone::fromRecords(std::string_view originText, const std::vector<Record>& records,
                                                      const std::string& source) {
  auto z = std::make_shared<Zone>();
  auto origin = dns::nameFromText(originText);
  if (!origin) return origin.error();
  z->origin_ = dns::lowerName(*origin);
  z->originText_ = dns::nameToText(z->origin_);
  auto fail = [&](const std::string& msg) { return makeError(source + ": zone " + z->originText_ + ": " + msg); };

  std::unordered_map<std::string, std::shared_ptr<Node>, StringHash, std::equal_to<>> nodes;
  for (const auto& r : records) {
    const std::string& name = r.owner;
    if (!dns::isSubdomain(name, z->origin_)) return fail("owner " + dns::nameToText(name) + " is outside the zone");
    uint16_t type = r.type;
    if (type == dns::kOPT || type == dns::kTSIG || type == dns::kTKEY || (type >= 249 && type <= 255))
      return fail("owner " + dns::nameToText(name) + ": meta type " + dns::typeToText(type) + " in a zone");
    auto& slot = nodes[name];
    if (!slot) {
      slot = std::make_shared<Node>();
      slot->name = name;
    }
    Node& node = *slot;
    auto it = std::find_if(node.rrsets.begin(), node.rrsets.end(), [&](const RRset& s) { return s.type == type; });
    if (it == node.rrsets.end()) {
      node.rrsets.push_back(RRset{type, r.ttl, {}});
      it = node.rrsets.end() - 1;
    } else if (it->ttl != r.ttl) {
      log::warn("authority.zone").kv("zone", z->originText_).kv("owner", dns::nameToText(name))
          .kv("type", dns::typeToText(type)).msg("TTLs differ inside an RRset; using the first (RFC 2181 §5.2)");
    }
    if (std::find(it->rdata.begin(), it->rdata.end(), r.rdata) == it->rdata.end()) {
      it->rdata.push_back(r.rdata);
      ++z->records_;
    }
  }

  auto apexIt = nodes.find(z->origin_);
  if (apexIt == nodes.end() || !apexIt->second->find(dns::kSOA)) return fail("no SOA record at the apex");
  if (apexIt->second->find(dns::kSOA)->rdata.size() != 1) return fail("more than one SOA record at the apex");
  if (!apexIt->second->find(dns::kNS)) return fail("no NS records at the apex");

  // Empty non-terminals: every ancestor up to the apex exists (RFC 4592 §2.2.2); count children.
  std::vector<std::string> names;
  names.reserve(nodes.size());
  for (const auto& [name, node] : nodes) names.push_back(name);
  for (const auto& name : names) {
    std::string_view p = dns::parentName(name);
    while (p.size() >= z->origin_.size()) {
      auto [it, inserted] = nodes.try_emplace(std::string(p));
      if (inserted) {
        it->second = std::make_shared<Node>();
        it->second->name = std::string(p);
      }
      ++it->second->children;
      if (!inserted || p.size() == z->origin_.size()) break;
      p = dns::parentName(p);
    }
  }

  // Per-node checks, RRset order, and delegation cuts from the top down.
  std::vector<Node*> byDepth;
  byDepth.reserve(nodes.size());
  for (auto& [name, node] : nodes) byDepth.push_back(node.get());
  std::sort(byDepth.begin(), byDepth.end(),
            [](const Node* a, const Node* b) { return a->name.size() < b->name.size(); });
  for (Node* node : byDepth) {
    sortRRsets(*node);
    bool apex = node->name == z->origin_;
    if (!apex && node->find(dns::kSOA)) return fail("SOA record at " + dns::nameToText(node->name) + ", not the apex");
    if (const RRset* c = node->find(dns::kCNAME)) {
      if (c->rdata.size() > 1) return fail("more than one CNAME at " + dns::nameToText(node->name));
      for (const auto& s : node->rrsets)
        if (s.type != dns::kCNAME && s.type != dns::kRRSIG && s.type != dns::kNSEC)
          return fail("CNAME and other data at " + dns::nameToText(node->name) + " (RFC 1034 §3.6.2)");
      if (apex) return fail("CNAME at the apex");
    }
    if (!apex) {
      auto parent = nodes.find(dns::parentName(node->name));
      uint16_t inherited = parent->second->cutLen;
      node->cutLen = inherited ? inherited : (node->find(dns::kNS) ? static_cast<uint16_t>(node->name.size()) : 0);
    }
  }
  auto base = std::make_shared<NodeMap>();
  base->reserve(nodes.size());
  for (auto& [name, node] : nodes) base->emplace(name, std::move(node));
  z->base_ = std::move(base);
  z->apex_ = z->base_->find(z->origin_)->second;
  return std::shared_ptr<const Zone>(std::move(z));
}

std::shared_ptr<const Zone> Zone::apply(const std::vector<Record>& removed, const std::vector<Record>& added) const {
  auto next = std::make_shared<Zone>(*this);
  std::map<std::string, std::shared_ptr<Node>> touched;  // ordered: parents before children
  std::map<std::string, bool> existed;
  auto mut = [&](const std::string& owner) -> Node& {
    auto it = touched.find(owner);
    if (it != touched.end()) return *it->second;
    const Node* cur = find(owner);
    auto n = cur ? std::make_shared<Node>(*cur) : std::make_shared<Node>();
    if (!cur) n->name = owner;
    existed[owner] = cur != nullptr;
    return *(touched[owner] = n);
  };
  bool delegationChanged = false;
  auto noteNs = [&](const Node& n) {
    if (n.name != origin_ && n.find(dns::kNS)) delegationChanged = true;
  };
  for (const auto& r : removed) {
    const Node* cur = find(r.owner);
    if (!cur || !cur->find(r.type)) continue;
    Node& n = mut(r.owner);
    noteNs(n);
    for (auto s = n.rrsets.begin(); s != n.rrsets.end(); ++s) {
      if (s->type != r.type) continue;
      auto rd = std::find(s->rdata.begin(), s->rdata.end(), r.rdata);
      if (rd != s->rdata.end()) {
        s->rdata.erase(rd);
        --next->records_;
      }
      if (s->rdata.empty()) n.rrsets.erase(s);
      break;
    }
  }
  for (const auto& r : added) {
    Node& n = mut(r.owner);
    auto s = std::find_if(n.rrsets.begin(), n.rrsets.end(), [&](const RRset& x) { return x.type == r.type; });
    if (s == n.rrsets.end()) {
      n.rrsets.push_back(RRset{r.type, r.ttl, {}});
      s = n.rrsets.end() - 1;
    }
    s->ttl = r.ttl;  // one TTL per RRset (RFC 2181 §5.2): the newest
    if (std::find(s->rdata.begin(), s->rdata.end(), r.rdata) == s->rdata.end()) {
      s->rdata.push_back(r.rdata);
      ++next->records_;
    }
    noteNs(n);
  }
  // New names are linked to their parents, creating empty non-terminals on the way up.
  std::vector<std::string> created;
  for (auto& [name, node] : touched)
    if (!existed[name] && !node->rrsets.empty()) created.push_back(name);
  std::map<std::string, bool> linked;
  for (const auto& name : created) {
    std::string child = name;
    while (child != origin_ && !linked[child]) {
      linked[child] = true;
      std::string parent(dns::parentName(child));
      bool parentExisted = find(parent) != nullptr;
      bool parentLinked = linked[parent];
      ++mut(parent).children;
      if (parentExisted || parentLinked) break;
      child = parent;
    }
  }
  // Names left with no records and no children disappear, and so may their emptied ancestors.
  std::vector<std::string> gone;
  std::vector<std::string> work;
  for (auto& [name, node] : touched)
    if (existed[name] && node->rrsets.empty() && node->children == 0 && name != origin_) work.push_back(name);
  while (!work.empty()) {
    std::string name = work.back();
    work.pop_back();
    gone.push_back(name);
    std::string parent(dns::parentName(name));
    Node& p = mut(parent);
    if (p.children) --p.children;
    if (p.rrsets.empty() && p.children == 0 && parent != origin_) work.push_back(parent);
  }
  std::sort(gone.begin(), gone.end());
  auto isGone = [&](const std::string& n) { return std::binary_search(gone.begin(), gone.end(), n); };
  // Cuts: recomputed for touched nodes from their parents (touched parents first: shorter
  // names sort first only within one branch, so walk by depth), or everywhere when a delegation
  // changed.
  std::vector<std::pair<std::string, std::shared_ptr<Node>>> byDepth(touched.begin(), touched.end());
  std::sort(byDepth.begin(), byDepth.end(), [](const auto& a, const auto& b) { return a.first.size() < b.first.size(); });
  for (auto& [name, node] : byDepth) {
    sortRRsets(*node);
    if (name != origin_ && node->find(dns::kNS)) delegationChanged = true;
    if (isGone(name) || (!existed[name] && node->rrsets.empty() && node->children == 0)) {
      if (base_->count(name)) next->delta_[name] = nullptr;
      else next->delta_.erase(name);
      continue;
    }
    if (name != origin_) {
      std::string parent(dns::parentName(name));
      auto pt = touched.find(parent);
      const Node* p = pt != touched.end() ? pt->second.get() : find(parent);
      uint16_t inherited = p ? p->cutLen : 0;
      node->cutLen = inherited ? inherited : (node->find(dns::kNS) ? static_cast<uint16_t>(name.size()) : 0);
    }
    next->delta_[name] = node;
  }
  if (auto a = touched.find(origin_); a != touched.end()) next->apex_ = a->second;
  if (delegationChanged) next->recomputeCuts();
  else if (next->delta_.size() > 256 && next->delta_.size() * 8 > next->base_->size()) next->compact();
  return next;
}

void Zone::compact() {
  auto merged = std::make_shared<NodeMap>(*base_);
  for (auto& [name, node] : delta_) {
    if (node) (*merged)[name] = node;
    else merged->erase(name);
  }
  base_ = std::move(merged);
  delta_.clear();
}

void Zone::recomputeCuts() {
  compact();
  std::vector<std::pair<std::string, NodePtr>> all(base_->begin(), base_->end());
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first.size() < b.first.size(); });
  auto rebuilt = std::make_shared<NodeMap>();
  rebuilt->reserve(all.size());
  for (auto& [name, node] : all) {
    uint16_t cut = 0;
    if (name != origin_) {
      const NodePtr& p = rebuilt->at(std::string(dns::parentName(name)));
      cut = p->cutLen ? p->cutLen : (node->find(dns::kNS) ? static_cast<uint16_t>(name.size()) : 0);
    }
    if (cut != node->cutLen) {
      auto copy = std::make_shared<Node>(*node);
      copy->cutLen = cut;
      (*rebuilt)[name] = copy;
    } else {
      (*rebuilt)[name] = node;
    }
  }
  base_ = std::move(rebuilt);
  apex_ = base_->at(origin_);
}

const Node* Zone::next(Cursor& c) const {
  if (!c.started) {
    c.started = true;
    c.inDelta = false;
    c.it = base_->begin();
  }
  while (true) {
    if (!c.inDelta) {
      if (c.it == base_->end()) {
        c.inDelta = true;
        c.it = delta_.begin();
        continue;
      }
      const auto& [name, node] = *c.it++;
      if (!delta_.empty() && delta_.count(name)) continue;  // superseded by the overlay
      return node.get();
    }
    if (c.it == delta_.end()) return nullptr;
    const Node* n = (c.it++)->second.get();
    if (n) return n;
  }
}

std::vector<Record> Zone::records() const {
  std::vector<Record> out;
  out.reserve(records_);
  const RRset& s = soa();
  out.push_back(Record{origin_, dns::kSOA, s.ttl, s.rdata[0]});
  Cursor c;
  while (const Node* n = next(c))
    for (const auto& set : n->rrsets)
      if (set.type != dns::kSOA || n->name != origin_)
        for (const auto& rd : set.rdata) out.push_back(Record{n->name, set.type, set.ttl, rd});
  return out;
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
