// Building the service and center index from a zone version.
#include "resolver/index.h"

#include <algorithm>
#include <set>

#include "common/dns.h"
#include "rrtypes/rdata.h"
#include "rrtypes/registry.h"

namespace cdns::resolver {
namespace {

// "sz1.centers.gba.example." relative to the apex -> "sz1" when it is a center's own name.
bool centerOf(std::string_view name, std::string_view centersWire, std::string& center) {
  if (!dns::isSubdomain(name, centersWire) || name.size() == centersWire.size()) return false;
  std::string_view rest = name.substr(0, name.size() - centersWire.size());
  uint8_t l = static_cast<uint8_t>(rest[0]);
  if (rest.size() != l + 1u) return false;  // exactly one label above "centers"
  center.assign(rest.substr(1, l));
  return true;
}

void summarise(Center& c) {
  auto num = [](const nlohmann::json& j, const char* k) { return j.contains(k) && j[k].is_number() ? j[k].get<double>() : 0.0; };
  for (const auto& [type, rd] : c.records) {
    auto take = [&](const nlohmann::json& r) {
      if (r.is_object() && r.contains("ts")) c.ts = std::max(c.ts, r["ts"].get<uint64_t>());
    };
    if (rd.is_array()) for (const auto& r : rd) take(r);
    else take(rd);
  }
  if (auto it = c.records.find("CAP"); it != c.records.end()) {
    const auto& cap = it->second;
    c.load = num(cap, "load");
    c.queue = static_cast<uint64_t>(num(cap, "queue"));
    if (cap.contains("cpu")) {
      c.cpuFree = cap["cpu"]["free"].get<uint64_t>();
      c.cpuTotal = cap["cpu"]["total"].get<uint64_t>();
    }
    if (cap.contains("mem")) {
      c.memFree = cap["mem"]["free"].get<uint64_t>();
      c.memTotal = cap["mem"]["total"].get<uint64_t>();
    }
    if (cap.contains("gpu"))
      for (const auto& g : cap["gpu"]) {
        auto& m = c.gpuModel(g["model"].get<std::string>());
        m.free += g["free"].get<uint64_t>();
        m.total += g["total"].get<uint64_t>();
        c.gpuFree += g["free"].get<uint64_t>();
        c.gpuTotal += g["total"].get<uint64_t>();
      }
  }
  if (auto it = c.records.find("PRICE"); it != c.records.end()) {
    c.cpuHour = it->second.contains("cpu-hour") ? num(it->second, "cpu-hour") : -1;
    if (it->second.contains("gpu-hour"))
      for (const auto& g : it->second["gpu-hour"]) c.gpuModel(g["model"].get<std::string>()).hourPrice = g["price"].get<double>();
  }
  if (auto it = c.records.find("ENERGY"); it != c.records.end()) {
    const auto& e = it->second;
    c.carbonPerWork = e.value("carbon", 500.0) * e.value("pue", 1.5) * (1.0 - e.value("renewable", 0.0) / 100.0);
  }
  if (auto it = c.records.find("NETQ"); it != c.records.end())
    for (const auto& n : it->second) {
      Center::Link l{n.value("rtt", 1e6), n.value("jitter", 0.0), n.value("loss", 0.0), n.value("bw", 0.0)};
      c.links[dns::lowerText(n.value("peer", ""))] = l;
      c.bestRtt = std::min(c.bestRtt, l.rtt);
    }
  if (auto it = c.records.find("SITE"); it != c.records.end()) {
    c.region = it->second.value("region", "");
    c.jurisdiction = it->second.value("jurisdiction", "");
    c.kind = it->second.value("kind", "");
  }
}

}  // namespace

Hot Hot::of(const Center& c) {
  Hot h;
  h.ts = c.ts;
  h.load = c.load;
  h.cpuFree = c.cpuFree;
  h.cpuTotal = c.cpuTotal;
  h.memFree = c.memFree;
  h.gpuFree = c.gpuFree;
  h.queue = c.queue;
  h.cpuHour = c.cpuHour;
  h.carbonPerWork = c.carbonPerWork;
  h.bestRtt = c.bestRtt;
  h.id = c.id;
  h.models = static_cast<uint8_t>(std::min<size_t>(c.gpus.size(), 255));
  for (size_t i = 0; i < std::min(c.gpus.size(), h.gpus.size()); ++i)
    h.gpus[i] = {c.gpus[i].key, static_cast<uint32_t>(std::min<uint64_t>(c.gpus[i].free, UINT32_MAX)),
                 static_cast<float>(c.gpus[i].hourPrice)};
  h.center = &c;
  return h;
}

// One center from its node: every record decoded, the figures pulled out.
static std::shared_ptr<Center> makeCenter(const authority::Node& n, const std::string& name, uint32_t id) {
  auto c = std::make_shared<Center>();
  c->name = name;
  c->id = id;
  for (const auto& rs : n.rrsets) {
    const rrtypes::TypeDef* t = rrtypes::findType(rs.type);
    if (!t) continue;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& rd : rs.rdata) {
      auto j = rrtypes::toJson(*t, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(rd.data()), rd.size()));
      if (j) list.push_back(std::move(*j));
    }
    if (list.empty()) continue;
    bool many = t->name == "NETQ" || t->name == "DATA";
    c->records[std::string(t->name)] = many ? list : list[0];
  }
  summarise(*c);
  c->recordsJson = nlohmann::json(c->records).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return c;
}

std::shared_ptr<const Index> Index::build(const authority::Zone& zone) { return update(nullptr, zone, {}); }

std::shared_ptr<const Index> Index::update(const Index* prev, const authority::Zone& zone,
                                           const std::vector<std::string>& changedOwners) {
  auto idx = std::make_shared<Index>();
  idx->serial_ = zone.serial();
  std::string centersWire = std::string("\x07" "centers", 8) + zone.origin();
  std::string svcWire = std::string("\x03" "svc", 4) + zone.origin();
  std::set<std::string> changed;
  for (const auto& o : changedOwners)
    if (std::string center; centerOf(o, centersWire, center)) changed.insert(center);
  // The centers: those whose node did not change are shared with the previous version (no
  // decoding); the others are decoded again. Ids are positions in name order, so they only hold
  // while the set of centers stays the same; a center that joins or leaves means decoding all.
  std::vector<std::pair<std::string, const authority::Node*>> nodes;
  authority::Zone::Cursor cur;
  while (const authority::Node* n = zone.next(cur))
    if (std::string center; centerOf(n->name, centersWire, center)) nodes.emplace_back(center, n);
  std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  bool sameSet = prev && prev->centers_.size() == nodes.size();
  for (size_t i = 0; sameSet && i < nodes.size(); ++i) sameSet = prev->byId_[i]->name == nodes[i].first;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& [name, node] = nodes[i];
    std::shared_ptr<const Center> c;
    if (sameSet && !changed.count(name)) c = prev->centers_.at(name);
    else c = makeCenter(*node, name, static_cast<uint32_t>(i));
    idx->byId_.push_back(c.get());
    idx->centers_.emplace(name, std::move(c));
  }
  // Services: <service>.svc PTR <service>.<center>.centers (one RR per offering center).
  authority::Zone::Cursor cur2;
  while (const authority::Node* n = zone.next(cur2)) {
    if (!dns::isSubdomain(n->name, svcWire) || n->name.size() == svcWire.size()) continue;
    const authority::RRset* ptr = n->find(dns::kPTR);
    if (!ptr) continue;
    std::string_view rest = std::string_view(n->name).substr(0, n->name.size() - svcWire.size());
    std::string service(rest.substr(1, static_cast<uint8_t>(rest[0])));
    for (const auto& target : ptr->rdata) {
      std::string tw = dns::lowerName(target);
      std::string center;
      if (!centerOf(dns::parentName(tw), centersWire, center) || !idx->centers_.count(center)) continue;
      Endpoint e{center, dns::nameToText(tw), tw, {}, idx->centers_.at(center)->id};
      auto addressesOf = [&](const std::string& owner, std::vector<std::string>& out) {
        if (const authority::Node* en = zone.find(owner))
          for (uint16_t t : {uint16_t{dns::kA}, uint16_t{dns::kAAAA}})
            if (const authority::RRset* a = en->find(t))
              for (const auto& rd : a->rdata) out.push_back(rd);
      };
      addressesOf(tw, e.addresses);
      // "_<service>._tcp.<center>.centers.<apex>" SRV: the port (and target) for SRV/SVCB answers.
      std::string srvOwner = std::string(1, static_cast<char>(service.size() + 1)) + "_" + service + std::string("\x04_tcp", 5) +
                             std::string(dns::parentName(tw));
      if (service.size() < 62)
        if (const authority::Node* sn = zone.find(srvOwner))
          if (const authority::RRset* srv = sn->find(dns::kSRV); srv && !srv->rdata.empty() && srv->rdata[0].size() > 6) {
            const std::string& rd = srv->rdata[0];
            e.port = dns::get16(reinterpret_cast<const uint8_t*>(rd.data()) + 4);
            e.srvTargetWire = dns::lowerName(rd.substr(6));
            addressesOf(e.srvTargetWire, e.srvAddresses);
          }
      idx->services_[service].push_back(std::move(e));
    }
  }
  idx->hot_.reserve(idx->byId_.size());
  for (const Center* c : idx->byId_) idx->hot_.push_back(Hot::of(*c));
  idx->endpointsById_.resize(idx->byId_.size());
  for (auto& [svc, eps] : idx->services_) {
    std::sort(eps.begin(), eps.end(), [](const Endpoint& a, const Endpoint& b) { return a.center < b.center; });
    for (const auto& e : eps) idx->endpointsById_[e.centerId].push_back(&e);
  }
  return idx;
}

std::vector<Candidate> Index::candidates(const std::string& service) const {
  std::vector<Candidate> out;
  candidates(service, out);
  return out;
}

void Index::candidates(const std::string& service, std::vector<Candidate>& out) const {
  out.clear();
  auto it = services_.find(service);
  if (it == services_.end()) return;
  out.reserve(it->second.size());
  for (const auto& e : it->second) out.push_back(Candidate{&hot_[e.centerId], byId_[e.centerId], &e});
}

}  // namespace cdns::resolver
