// Compute-aware answers.
#include "resolver/answer.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "common/dns.h"
#include "common/msg_writer.h"
#include "common/wire.h"

namespace cdns::resolver {
namespace {

constexpr uint16_t kSVCB = 64;

// The client's subnet: from EDNS Client Subnet when the query carries it, else its address.
struct Subnet {
  uint16_t family = 0;  // 1: IPv4, 2: IPv6 (the ECS family numbers)
  uint8_t source = 0;   // prefix length
  uint8_t addr[16] = {};
  bool fromEcs = false;
};

// Options of the request's OPT record that we act on.
struct OptRequest {
  std::vector<std::pair<std::string, std::string>> requirements;
  bool explain = false;
  Subnet ecs;
  bool badEcs = false;
};

void maskTo(uint8_t* addr, size_t len, uint8_t bits) {
  for (size_t i = 0; i < len; ++i) {
    size_t keep = bits > i * 8 ? std::min<size_t>(8, bits - i * 8) : 0;
    addr[i] &= static_cast<uint8_t>(keep ? 0xFF << (8 - keep) : 0);
  }
}

void parseEcs(const std::vector<uint8_t>& v, OptRequest& r) {
  // RFC 7871 §6: FAMILY, SOURCE PREFIX-LENGTH, SCOPE PREFIX-LENGTH (0 in queries), ADDRESS
  // truncated to the source prefix, with the bits beyond it zero.
  if (v.size() < 4) return void(r.badEcs = true);
  uint16_t family = dns::get16(v.data());
  uint8_t source = v[2], scope = v[3];
  size_t max = family == 1 ? 32 : family == 2 ? 128 : 0;
  size_t need = (source + 7u) / 8u;
  if (!max || source > max || scope != 0 || v.size() - 4 != need) return void(r.badEcs = true);
  Subnet s;
  s.family = family;
  s.source = source;
  s.fromEcs = true;
  std::memcpy(s.addr, v.data() + 4, need);
  uint8_t check[16];
  std::memcpy(check, s.addr, 16);
  maskTo(check, need, source);
  if (std::memcmp(check, s.addr, need) != 0) return void(r.badEcs = true);
  r.ecs = s;
}

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
      if (code == kOptClientSubnet) parseEcs(std::vector<uint8_t>(v.begin(), v.end()), r);
      if (code == kOptRequirements) {
        size_t pos = 0;
        while (pos <= text.size()) {
          size_t comma = text.find(',', pos);
          std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
          auto eq = item.find('=');
          if (eq != std::string::npos) r.requirements.emplace_back(item.substr(0, eq), item.substr(eq + 1));
          else if (!item.empty()) r.requirements.emplace_back(item, "");  // refused by Requirements::parse
          if (comma == std::string::npos) break;
          pos = comma + 1;
        }
      }
    }
  }
}

// The client's subnet: ECS when sent, else the source address cut to the configured length.
Subnet clientSubnet(const OptRequest& opt, const AnswerContext& ctx, const AnswerConfig& config) {
  if (opt.ecs.fromEcs) return opt.ecs;
  Subnet s;
  if (ctx.client && ctx.client->sa_family == AF_INET) {
    s.family = 1;
    s.source = config.subnetV4;
    std::memcpy(s.addr, &reinterpret_cast<const sockaddr_in*>(ctx.client)->sin_addr, 4);
    maskTo(s.addr, 4, s.source);
  } else if (ctx.client && ctx.client->sa_family == AF_INET6) {
    s.family = 2;
    s.source = config.subnetV6;
    std::memcpy(s.addr, &reinterpret_cast<const sockaddr_in6*>(ctx.client)->sin6_addr, 16);
    maskTo(s.addr, 16, s.source);
  }
  return s;
}

uint64_t subnetKey(const Subnet& s) {
  uint64_t h = 1469598103934665603ULL;
  auto eat = [&](uint8_t b) { h = (h ^ b) * 1099511628211ULL; };
  eat(static_cast<uint8_t>(s.family));
  eat(s.source);
  for (size_t i = 0; i < (s.family == 1 ? 4u : 16u); ++i) eat(s.addr[i]);
  return h;
}

bool inPrefix(const Subnet& s, const AccessPoint& ap) {
  const uint8_t* p;
  size_t len;
  if (ap.prefix.ss_family == AF_INET) {
    if (s.family != 1) return false;
    p = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(&ap.prefix)->sin_addr);
    len = 4;
  } else {
    if (s.family != 2) return false;
    p = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(&ap.prefix)->sin6_addr);
    len = 16;
  }
  if (s.source < ap.length) return false;  // the client's subnet must lie inside the prefix
  uint8_t a[16];
  std::memcpy(a, s.addr, len);
  maskTo(a, len, ap.length);
  return std::memcmp(a, p, len) == 0;
}

// Finishes a response: header counts and flags, then OPT with the options that apply.
struct OptOut {
  std::string ede;  // RFC 8914 extra text (info-code `edeCode`)
  uint16_t edeCode = 0;
  std::string explanation;
  const Subnet* ecs = nullptr;  // echoed with scope = its source length (the answer is for that subnet)
  uint8_t ecsScope = 0;
};

size_t finish(dns::MessageWriter& w, const authority::ParsedQuery& q, uint16_t rcode, uint16_t an, uint16_t ns, uint16_t ar,
              const OptOut& o, size_t udpLimit) {
  bool truncated = false;
  if (q.hasEdns) {
    std::vector<uint8_t> opt = {0, 0, dns::kOPT, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
    if (q.ednsDo) opt[7] = 0x80;
    std::vector<uint8_t> rdata;
    WireWriter rw(rdata);
    if (o.ecs) {
      size_t n = (o.ecs->source + 7u) / 8u;
      rw.u16(kOptClientSubnet);
      rw.u16(static_cast<uint16_t>(4 + n));
      rw.u16(o.ecs->family);
      rw.u8(o.ecs->source);
      rw.u8(o.ecsScope);
      rw.bytes(std::string_view(reinterpret_cast<const char*>(o.ecs->addr), n));
    }
    if (!o.ede.empty()) {
      std::string text = dns::validUtf8(o.ede).substr(0, 1024);  // RFC 8914 §2: UTF-8
      rw.u16(15);
      rw.u16(static_cast<uint16_t>(2 + text.size()));
      rw.u16(o.edeCode);
      rw.bytes(text);
    }
    // The explanation, when it fits: over UDP a message past the client's limit goes without it
    // and with TC set, so the client asks again over TCP (RFC 7766) and gets it all.
    if (!o.explanation.empty() && o.explanation.size() < 60000) {
      if (udpLimit && w.size() + 11 + rdata.size() + 4 + o.explanation.size() > udpLimit) {
        truncated = true;
      } else {
        rw.u16(kOptExplain);
        rw.u16(static_cast<uint16_t>(o.explanation.size()));
        rw.bytes(o.explanation);
      }
    }
    dns::put16(opt.data() + 9, static_cast<uint16_t>(rdata.size()));
    opt.insert(opt.end(), rdata.begin(), rdata.end());
    w.setLimit(65535);
    if (w.raw(opt.data(), opt.size())) ++ar;
  }
  uint8_t* h = w.data();
  uint16_t flags = static_cast<uint16_t>(dns::kFlagQR | dns::kFlagAA | (q.flags & (dns::kFlagRD | dns::kFlagCD)) | (rcode & 0xF) |
                                         (truncated ? dns::kFlagTC : 0));
  dns::put16(h + 2, flags);
  dns::put16(h + 6, an);
  dns::put16(h + 8, ns);
  dns::put16(h + 10, ar);
  return w.size();
}

void putAddressHints(std::string& rd, uint16_t key, const std::vector<std::string>& addrs, size_t size) {
  std::string v;
  for (const auto& a : addrs)
    if (a.size() == size) v += a;
  if (v.empty()) return;
  rd.push_back(static_cast<char>(key >> 8));
  rd.push_back(static_cast<char>(key & 0xFF));
  rd.push_back(static_cast<char>(v.size() >> 8));
  rd.push_back(static_cast<char>(v.size() & 0xFF));
  rd += v;
}

}  // namespace

Result<AccessPoint> parseAccessPoint(const std::string& prefix, const std::string& peer) {
  AccessPoint ap;
  ap.peer = peer;
  auto slash = prefix.find('/');
  if (slash == std::string::npos) return makeError("access point \"" + prefix + "\": expected ADDRESS/LENGTH");
  std::string addr = prefix.substr(0, slash), len = prefix.substr(slash + 1);
  int max;
  uint8_t* bytes;
  size_t size;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ap.prefix);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ap.prefix);
  if (inet_pton(AF_INET, addr.c_str(), &v4->sin_addr) == 1) {
    ap.prefix.ss_family = AF_INET;
    max = 32;
    bytes = reinterpret_cast<uint8_t*>(&v4->sin_addr);
    size = 4;
  } else if (inet_pton(AF_INET6, addr.c_str(), &v6->sin6_addr) == 1) {
    ap.prefix.ss_family = AF_INET6;
    max = 128;
    bytes = reinterpret_cast<uint8_t*>(&v6->sin6_addr);
    size = 16;
  } else {
    return makeError("access point \"" + prefix + "\": \"" + addr + "\" is not an IPv4 or IPv6 address");
  }
  char* end = nullptr;
  long l = std::strtol(len.c_str(), &end, 10);
  if (len.empty() || *end || l < 0 || l > max)
    return makeError("access point \"" + prefix + "\": length must be 0 to " + std::to_string(max));
  ap.length = static_cast<uint8_t>(l);
  uint8_t check[16];
  std::memcpy(check, bytes, size);
  maskTo(check, size, ap.length);
  if (std::memcmp(check, bytes, size) != 0) return makeError("access point \"" + prefix + "\": bits set past the prefix length");
  if (peer.empty()) return makeError("access point \"" + prefix + "\": \"peer\" is required");
  return ap;
}

size_t answer(const uint8_t* msg, size_t len, uint8_t* out, size_t cap, bool udp, const std::vector<ComputeZone>& zones,
              const AnswerConfig& config, const AnswerContext& ctx) {
  authority::ParsedQuery q;
  authority::QueryLimits limits;
  auto ps = authority::parseQuery(msg, len, q);
  if (ps == authority::ParseStatus::kDrop) return 0;
  // The lower-case name is only there once the whole question was read.
  std::string_view lname = q.hasQuestion ? std::string_view(reinterpret_cast<const char*>(q.lname), q.qnameLen)
                                         : std::string_view();
  const ComputeZone* cz = nullptr;
  for (const auto& z : zones)
    if (dns::isSubdomain(lname, z.zone->origin()) && (!cz || z.zone->origin().size() > cz->zone->origin().size())) cz = &z;
  std::string svcWire = cz ? std::string("\x03" "svc", 4) + cz->zone->origin() : "";
  bool serviceName = cz && ps == authority::ParseStatus::kOk && q.opcode == dns::kOpQuery &&
                     dns::isSubdomain(lname, svcWire) && lname.size() > svcWire.size() &&
                     (q.qtype == dns::kA || q.qtype == dns::kAAAA || q.qtype == dns::kANY || q.qtype == dns::kSRV ||
                      q.qtype == kSVCB);
  if (!serviceName) {
    // Everything else: the replica answers as the zone's secondary (or REFUSED outside).
    // The set of zone versions is built once per change of versions, not once per query.
    thread_local std::vector<const authority::Zone*> built;
    thread_local authority::ZoneSet set;
    bool same = built.size() == zones.size();
    for (size_t i = 0; same && i < zones.size(); ++i) same = built[i] == zones[i].zone.get();
    if (!same) {
      set = authority::ZoneSet();
      built.clear();
      for (const auto& z : zones) {
        set.add(z.zone);
        built.push_back(z.zone.get());
      }
    }
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
  std::string badLabel;
  for (auto l = labels.rbegin(); l != labels.rend(); ++l) {  // nearest the service first
    auto dash = l->find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == l->size()) {
      if (badLabel.empty()) badLabel = *l;
      continue;
    }
    items.emplace_back(l->substr(0, dash), l->substr(dash + 1));
  }
  items.insert(items.end(), opt.requirements.begin(), opt.requirements.end());
  dns::MessageWriter w(out, cap);
  size_t limit = udp ? (q.hasEdns ? std::max<size_t>(512, std::min<size_t>(q.ednsPayload, 1232)) : 512) : 65535;
  w.setLimit(limit - (q.hasEdns ? 64 : 0));  // room for OPT, ECS and a short EDE
  size_t udpLimit = udp ? limit : 0;
  w.beginResponse(msg, q.questionEnd, q.qnameLen);
  const authority::Zone& zone = *cz->zone;
  Subnet subnet = clientSubnet(opt, ctx, config);
  OptOut oo;
  if (opt.ecs.fromEcs) oo.ecs = &opt.ecs;
  auto count = [&](uint64_t AnswerStats::*field) {
    if (ctx.stats) ++(ctx.stats->*field);
  };
  auto negative = [&](uint16_t rcode) {
    count(rcode == dns::kNxDomain ? &AnswerStats::nxdomain : &AnswerStats::nodata);
    const auto& soa = zone.soa();
    uint16_t ns = w.rr(zone.origin(), 0, dns::kSOA, std::min<uint32_t>(soa.ttl, config.ttl), soa.rdata[0]) ? 1 : 0;
    return finish(w, q, rcode, 0, ns, 0, oo, udpLimit);
  };
  if (opt.badEcs) {  // RFC 7871 §7.1.1: FORMERR for a malformed ECS option
    oo.ecs = nullptr;
    oo.ede = "malformed EDNS Client Subnet option";
    count(&AnswerStats::formerr);
    return finish(w, q, dns::kFormErr, 0, 0, 0, oo, udpLimit);
  }
  if (!cz->index->hasService(service)) return negative(dns::kNxDomain);
  if (!badLabel.empty()) {
    oo.ede = "label \"" + badLabel + "\" is not a requirement (KEY-VALUE, like gpu-4)";
    return negative(dns::kNoError);
  }
  auto req = Requirements::parse(items);
  if (!req) {
    oo.ede = req.error().message;
    return negative(dns::kNoError);
  }
  req->now = ctx.now;
  req->nonce = ctx.nonce;
  req->clientKey = subnetKey(subnet);
  if (req->peer.empty() && subnet.family) {
    const AccessPoint* best = nullptr;
    for (const auto& ap : config.accessPoints)
      if (inPrefix(subnet, ap) && (!best || ap.length > best->length)) best = &ap;
    if (best) req->peer = best->peer;
  }
  if (cz->held && config.holdSeconds) req->held = cz->held->table();
  if (!cz->probeRttMs.empty()) req->probeRttMs = cz->probeRttMs;
  // The answer depends on the client's subnet: say so to caches that sent ECS (RFC 7871 §7.2.1).
  oo.ecsScope = opt.ecs.source;
  std::string chainName = req->get("policy");
  if (chainName.empty()) {
    auto it = config.serviceChain.find(service);
    chainName = it == config.serviceChain.end() ? "default" : it->second;
  }
  auto chain = config.chains.find(chainName);
  if (chain == config.chains.end()) {
    oo.ede = "no policy \"" + chainName + "\" at this resolver";
    return negative(dns::kNoError);
  }
  Explanation why;
  const Reservations* held = cz->held && config.holdSeconds ? cz->held.get() : nullptr;
  thread_local std::vector<Candidate> cands;
  size_t candidateCount = 0;
  auto pick = [&]() -> Result<Candidate> {
    if (cz->plans && !opt.explain) return cz->plans->decide(cz->index, service, *chain->second, *req, held, cz->probeEpoch);
    cz->index->candidates(service, cands);  // an explanation: every stage's words, so the whole chain
    candidateCount = cands.size();
    return chain->second->decide(*req, cands, opt.explain ? &why : nullptr);
  }();
  if (opt.explain) {
    nlohmann::json j{{"service", service},
                     {"policy", chainName},
                     {"chain", chain->second->order()},
                     {"serial", cz->index->serial()},
                     {"candidates", candidateCount},
                     {"replica_age", ctx.now > cz->lastSuccess ? ctx.now - cz->lastSuccess : 0},
                     {"verdicts", why.toJson()}};
    nlohmann::json asked = nlohmann::json::object();
    for (const auto& [k, v] : req->kv) asked[k] = v;
    j["requirements"] = asked;
    if (!req->peer.empty()) j["peer"] = req->peer;
    if (pick) {
      j["chosen"] = pick->center->name;
      j["endpoint"] = pick->endpoint->endpoint;
    } else {
      j["error"] = pick.error().message;
    }
    oo.explanation = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // requirements may be any bytes
  }
  if (!pick) {
    oo.ede = pick.error().message;
    return negative(dns::kNoError);
  }
  if (cz->held && config.holdSeconds) cz->held->hold(*pick->center, *req, ctx.now, config.holdMinCpus);
  count(&AnswerStats::answers);
  if (ctx.stats) ++ctx.stats->chosen[{zone.originText(), pick->center->name}];
  const Endpoint& ep = *pick->endpoint;
  uint16_t an = 0, ar = 0;
  if (q.qtype == dns::kSRV || q.qtype == kSVCB) {
    // The endpoint in SRV (RFC 2782) or SVCB (RFC 9460) form: the center's own SRV record gives
    // port and target; else the service's configured port and the endpoint's name.
    uint16_t port = ep.port;
    if (!port)
      if (auto it = config.servicePort.find(service); it != config.servicePort.end()) port = it->second;
    const std::string& target = ep.srvTargetWire.empty() ? ep.endpointWire : ep.srvTargetWire;
    const auto& addrs = ep.srvTargetWire.empty() ? ep.addresses : ep.srvAddresses;
    if (!port && q.qtype == dns::kSRV) {
      oo.ede = "center " + pick->center->name + " publishes no port for " + service + " and none is configured";
      return negative(dns::kNoError);
    }
    std::string rd;
    if (q.qtype == dns::kSRV) {
      rd = std::string("\0\0\0\0", 4) + static_cast<char>(port >> 8) + static_cast<char>(port & 0xFF) + target;
    } else {
      rd = std::string("\0\1", 2) + target;
      if (port) rd += std::string("\0\3\0\2", 4) + static_cast<char>(port >> 8) + static_cast<char>(port & 0xFF);
      putAddressHints(rd, 4, addrs, 4);
      putAddressHints(rd, 6, addrs, 16);
    }
    if (w.rr("", dns::kHeaderSize, q.qtype, config.ttl, rd)) ++an;
    for (const auto& a : addrs)
      if (w.rr(target, 0, a.size() == 4 ? dns::kA : dns::kAAAA, config.ttl, a)) ++ar;
    return finish(w, q, dns::kNoError, an, 0, ar, oo, udpLimit);
  }
  // CNAME to the chosen endpoint (the owner is the question, case as sent), then its addresses.
  if (w.rr("", dns::kHeaderSize, dns::kCNAME, config.ttl, ep.endpointWire)) ++an;
  for (const auto& a : ep.addresses) {
    uint16_t type = a.size() == 4 ? dns::kA : dns::kAAAA;
    if (q.qtype != dns::kANY && q.qtype != type) continue;
    if (w.rr(ep.endpointWire, 0, type, config.ttl, a)) ++an;
  }
  return finish(w, q, dns::kNoError, an, 0, 0, oo, udpLimit);
}

}  // namespace cdns::resolver
