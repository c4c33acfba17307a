// Compute-aware answers.
#include "resolver/answer.h"

#include <cstring>

#include "common/dns.h"
#include "common/msg_writer.h"
#include "common/wire.h"

namespace cdns::resolver {
namespace {

// Options of the request's OPT record that we act on.
struct OptRequest {
  std::vector<std::pair<std::string, std::string>> requirements;
  bool explain = false;
};

void parseOpt(const uint8_t* msg, size_t len, OptRequest& r) {
  WireReader rd(msg, len);
  rd.skip(4);
  uint16_t qd = rd.u16(), an = rd.u16(), ns = rd.u16(), ar = rd.u16();
  uint8_t name[dns::kMaxName];
  for (uint16_t i = 0; i < qd; ++i) {
    if (!dns::readName(rd, name)) return;
    rd.skip(4);
  }
  for (uint32_t i = 0; i < static_cast<uint32_t>(an) + ns + ar; ++i) {
    if (!dns::readName(rd, name)) return;
    uint16_t type = rd.u16();
    rd.skip(6);
    uint16_t rdlen = rd.u16();
    size_t start = rd.offset();
    if (!rd.skip(rdlen)) return;
    if (type != dns::kOPT) continue;
    WireReader o(msg + start, rdlen);
    while (!o.atEnd()) {
      uint16_t code = o.u16(), olen = o.u16();
      auto v = o.bytes(olen);
      if (o.failed()) return;
      std::string text(reinterpret_cast<const char*>(v.data()), v.size());
      if (code == kOptExplain) r.explain = true;
      if (code == kOptRequirements) {
        size_t pos = 0;
        while (pos <= text.size()) {
          size_t comma = text.find(',', pos);
          std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
          auto eq = item.find('=');
          if (eq != std::string::npos) r.requirements.emplace_back(item.substr(0, eq), item.substr(eq + 1));
          if (comma == std::string::npos) break;
          pos = comma + 1;
        }
      }
    }
  }
}

// Finishes a response: header counts and flags, then OPT with an optional EDE and explanation.
size_t finish(dns::MessageWriter& w, const authority::ParsedQuery& q, uint16_t rcode, uint16_t an, uint16_t ns,
              const std::string& ede, const std::string& explanation) {
  uint16_t ar = 0;
  if (q.hasEdns) {
    std::vector<uint8_t> opt = {0, 0, dns::kOPT, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
    if (q.ednsDo) opt[7] = 0x80;
    std::vector<uint8_t> rdata;
    WireWriter rw(rdata);
    if (!ede.empty()) {  // RFC 8914: info-code 0 (Other) with the reason as extra text
      rw.u16(15);
      rw.u16(static_cast<uint16_t>(2 + ede.size()));
      rw.u16(0);
      rw.bytes(ede);
    }
    if (!explanation.empty() && explanation.size() < 60000) {
      rw.u16(kOptExplain);
      rw.u16(static_cast<uint16_t>(explanation.size()));
      rw.bytes(explanation);
    }
    dns::put16(opt.data() + 9, static_cast<uint16_t>(rdata.size()));
    opt.insert(opt.end(), rdata.begin(), rdata.end());
    w.setLimit(65535);
    if (w.raw(opt.data(), opt.size())) ar = 1;
  }
  uint8_t* h = w.data();
  uint16_t flags = static_cast<uint16_t>(dns::kFlagQR | dns::kFlagAA | (q.flags & (dns::kFlagRD | dns::kFlagCD)) | (rcode & 0xF));
  dns::put16(h + 2, flags);
  dns::put16(h + 6, an);
  dns::put16(h + 8, ns);
  dns::put16(h + 10, ar);
  return w.size();
}

}  // namespace

size_t answer(const uint8_t* msg, size_t len, uint8_t* out, size_t cap, bool udp, const std::vector<ComputeZone>& zones,
              const AnswerConfig& config, uint64_t now) {
  authority::ParsedQuery q;
  authority::QueryLimits limits;
  auto ps = authority::parseQuery(msg, len, q);
  if (ps == authority::ParseStatus::kDrop) return 0;
  std::string_view lname(reinterpret_cast<const char*>(q.lname), q.qnameLen);
  const ComputeZone* cz = nullptr;
  for (const auto& z : zones)
    if (dns::isSubdomain(lname, z.zone->origin()) && (!cz || z.zone->origin().size() > cz->zone->origin().size())) cz = &z;
  std::string svcWire = cz ? std::string("\x03" "svc", 4) + cz->zone->origin() : "";
  bool serviceName = cz && ps == authority::ParseStatus::kOk && q.opcode == dns::kOpQuery &&
                     dns::isSubdomain(lname, svcWire) && lname.size() > svcWire.size() &&
                     (q.qtype == dns::kA || q.qtype == dns::kAAAA || q.qtype == dns::kANY);
  if (!serviceName) {
    // Everything else: the replica answers as the zone's secondary (or REFUSED outside).
    authority::ZoneSet set;
    for (const auto& z : zones) set.add(z.zone);
    authority::ParsedQuery q2;
    auto o = authority::processQuery(msg, len, out, cap, udp ? authority::Transport::kUdp : authority::Transport::kTcp, set,
                                     limits, q2);
    return o.action == authority::Action::kRespond ? o.len : 0;
  }
  // "<k-v>.<k-v>.<service>.svc.<apex>": the label just above "svc" names the service.
  std::vector<std::string> labels;
  for (std::string_view s = lname; s.size() > svcWire.size(); s = dns::parentName(s))
    labels.emplace_back(s.substr(1, static_cast<uint8_t>(s[0])));
  std::string service = labels.back();
  labels.pop_back();
  OptRequest opt;
  parseOpt(msg, len, opt);
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& l : labels) {
    auto dash = l.find('-');
    if (dash == std::string::npos || dash == 0) continue;
    items.emplace_back(l.substr(0, dash), l.substr(dash + 1));
  }
  items.insert(items.end(), opt.requirements.begin(), opt.requirements.end());
  dns::MessageWriter w(out, cap);
  size_t limit = udp ? (q.hasEdns ? std::max<size_t>(512, std::min<size_t>(q.ednsPayload, 1232)) : 512) : 65535;
  w.setLimit(limit - (q.hasEdns ? 11 : 0));
  w.beginResponse(msg, q.questionEnd, q.qnameLen);
  const authority::Zone& zone = *cz->zone;
  auto negative = [&](uint16_t rcode, const std::string& ede, const std::string& explanation) {
    const auto& soa = zone.soa();
    uint16_t ns = w.rr(zone.origin(), 0, dns::kSOA, std::min<uint32_t>(soa.ttl, config.ttl), soa.rdata[0]) ? 1 : 0;
    return finish(w, q, rcode, 0, ns, ede, explanation);
  };
  if (!cz->index->hasService(service)) return negative(dns::kNxDomain, "", "");
  auto req = Requirements::parse(items);
  if (!req) return negative(dns::kNoError, req.error().message, "");
  req->now = now;
  std::string chainName = req->get("policy");
  if (chainName.empty()) {
    auto it = config.serviceChain.find(service);
    chainName = it == config.serviceChain.end() ? "default" : it->second;
  }
  auto chain = config.chains.find(chainName);
  if (chain == config.chains.end()) return negative(dns::kNoError, "no policy \"" + chainName + "\" at this resolver", "");
  Explanation why;
  thread_local std::vector<Candidate> cands;
  cz->index->candidates(service, cands);
  auto pick = chain->second->decide(*req, cands, opt.explain ? &why : nullptr);
  std::string explanation;
  if (opt.explain) {
    nlohmann::json j{{"service", service}, {"policy", chainName}, {"chain", chain->second->order()},
                     {"serial", cz->index->serial()}, {"verdicts", why.toJson()}};
    if (pick) j["chosen"] = pick->center->name;
    explanation = j.dump();
  }
  if (!pick) return negative(dns::kNoError, pick.error().message, explanation);
  // CNAME to the chosen endpoint (the owner is the question, case as sent), then its addresses.
  uint16_t an = 0;
  const Endpoint& ep = *pick->endpoint;
  if (w.rr("", dns::kHeaderSize, dns::kCNAME, config.ttl, ep.endpointWire)) ++an;
  for (const auto& a : ep.addresses) {
    uint16_t type = a.size() == 4 ? dns::kA : dns::kAAAA;
    if (q.qtype != dns::kANY && q.qtype != type) continue;
    if (w.rr(ep.endpointWire, 0, type, config.ttl, a)) ++an;
  }
  return finish(w, q, dns::kNoError, an, 0, "", explanation);
}

}  // namespace cdns::resolver
