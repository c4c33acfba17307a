// libcdns internals: queries with our EDNS options, and the parts of answers we read.
#include "dns_message.h"

#include <arpa/inet.h>

#include <cstring>
#include <random>

namespace cdns::client::detail {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.empty() || s.back() != '.') s += '.';
  return s;
}

std::string rdfText(const ldns_rdf* rdf) {
  char* t = ldns_rdf2str(rdf);
  std::string s = t ? t : "";
  free(t);
  return s;
}

// The packet and its rcode as an Error when it is not an answer we can read.
struct Packet {
  ldns_pkt* p = nullptr;
  ~Packet() {
    if (p) ldns_pkt_free(p);
  }
};

Result<bool> parse(const std::vector<uint8_t>& wire, Packet& pk, const std::string& qname) {
  if (ldns_wire2pkt(&pk.p, wire.data(), wire.size()) != LDNS_STATUS_OK)
    return Error{Error::Kind::kBadAnswer, "the answer is not a DNS message"};
  auto rcode = ldns_pkt_get_rcode(pk.p);
  if (rcode == LDNS_RCODE_NXDOMAIN) {
    std::string ede = edeText(pk.p);
    return Error{Error::Kind::kNotFound, qname + ": NXDOMAIN" + (ede.empty() ? "" : " (" + ede + ")")};
  }
  if (rcode != LDNS_RCODE_NOERROR) {
    ldns_lookup_table* lt = ldns_lookup_by_id(ldns_rcodes, static_cast<int>(rcode));
    std::string ede = edeText(pk.p);
    return Error{Error::Kind::kRefused, "the resolver answered " + (lt ? std::string(lt->name) : "rcode " + std::to_string(rcode)) +
                                           " for " + qname + (ede.empty() ? "" : " (" + ede + ")")};
  }
  return true;
}

}  // namespace

void appendOption(std::vector<uint8_t>& out, uint16_t code, const std::string& data) {
  out.push_back(static_cast<uint8_t>(code >> 8));
  out.push_back(static_cast<uint8_t>(code));
  out.push_back(static_cast<uint8_t>(data.size() >> 8));
  out.push_back(static_cast<uint8_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
}

std::string requirementsText(const Requirements& req) {
  std::string s;
  for (const auto& [k, v] : req) s += (s.empty() ? "" : ",") + k + "=" + v;
  return s;
}

std::vector<uint8_t> serviceOptions(const Requirements& req, bool explain) {
  std::vector<uint8_t> o;
  if (!req.empty()) appendOption(o, kOptRequirements, requirementsText(req));
  if (explain) appendOption(o, kOptExplain, "");
  return o;
}

Result<std::vector<uint8_t>> buildQuery(const std::string& name, ldns_rr_type type, const std::vector<uint8_t>& options) {
  ldns_rdf* owner = nullptr;
  if (ldns_str2rdf_dname(&owner, name.c_str()) != LDNS_STATUS_OK)
    return Error{Error::Kind::kBadArgument, "\"" + name + "\" is not a domain name"};
  ldns_pkt* q = ldns_pkt_query_new(owner, type, LDNS_RR_CLASS_IN, LDNS_RD);
  static thread_local std::mt19937 rng{std::random_device{}()};
  ldns_pkt_set_id(q, static_cast<uint16_t>(rng()));
  ldns_pkt_set_edns_udp_size(q, 1232);
  ldns_pkt_set_edns_data(q, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, options.size(), options.data()));
  uint8_t* wire = nullptr;
  size_t len = 0;
  ldns_status st = ldns_pkt2wire(&wire, q, &len);
  ldns_pkt_free(q);
  if (st != LDNS_STATUS_OK) return Error{Error::Kind::kBadArgument, std::string("cannot build the query: ") + ldns_get_errorstr_by_id(st)};
  std::vector<uint8_t> out(wire, wire + len);
  free(wire);
  return out;
}

std::vector<std::pair<uint16_t, std::string>> ednsOptions(const ldns_pkt* p) {
  std::vector<std::pair<uint16_t, std::string>> out;
  const ldns_rdf* d = ldns_pkt_edns_data(p);
  if (!d) return out;
  const uint8_t* b = ldns_rdf_data(d);
  size_t n = ldns_rdf_size(d), pos = 0;
  while (pos + 4 <= n) {
    uint16_t code = static_cast<uint16_t>(b[pos] << 8 | b[pos + 1]);
    size_t len = static_cast<size_t>(b[pos + 2] << 8 | b[pos + 3]);
    if (pos + 4 + len > n) break;
    out.emplace_back(code, std::string(reinterpret_cast<const char*>(b + pos + 4), len));
    pos += 4 + len;
  }
  return out;
}

std::string edeText(const ldns_pkt* p) {
  std::string out;
  for (const auto& [code, data] : ednsOptions(p))
    if (code == kOptEde && data.size() >= 2) out += (out.empty() ? "" : "; ") + data.substr(2);
  return out;
}

Result<Resolution> readResolution(const std::vector<uint8_t>& wire, const std::string& service, const std::string& qname) {
  Packet pk;
  if (auto r = parse(wire, pk, qname); !r) return r.error();
  Resolution res;
  res.service = service;
  for (const auto& [code, data] : ednsOptions(pk.p))
    if (code == kOptExplain) {
      auto e = parseExplanation(data);
      if (e) res.explanation = *e;
    }
  std::string want = lower(qname);
  const ldns_rr_list* an = ldns_pkt_answer(pk.p);
  for (size_t i = 0; i < ldns_rr_list_rr_count(an); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(an, i);
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && lower(rdfText(ldns_rr_owner(rr))) == want) {
      res.endpoint = lower(rdfText(ldns_rr_rdf(rr, 0)));
      res.ttl = ldns_rr_ttl(rr);
    }
  }
  if (res.endpoint.empty()) {
    std::string ede = edeText(pk.p);
    if (ldns_rr_list_rr_count(an) == 0)
      return Error{Error::Kind::kNoFit, ede.empty() ? "no center offers " + service + " with these requirements" : ede};
    return Error{Error::Kind::kBadAnswer, qname + ": the answer has no CNAME to an endpoint"};
  }
  for (size_t i = 0; i < ldns_rr_list_rr_count(an); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(an, i);
    auto t = ldns_rr_get_type(rr);
    if ((t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) && lower(rdfText(ldns_rr_owner(rr))) == res.endpoint) {
      res.addresses.push_back(rdfText(ldns_rr_rdf(rr, 0)));
      res.ttl = std::min(res.ttl, ldns_rr_ttl(rr));
    }
  }
  // "<service>.<center>.centers.<zone>.": the label before "centers".
  auto at = res.endpoint.find(".centers.");
  if (at != std::string::npos) {
    std::string head = res.endpoint.substr(0, at);
    res.center = head.substr(head.rfind('.') == std::string::npos ? 0 : head.rfind('.') + 1);
  }
  if (res.explanation && !res.explanation->chosen.empty()) res.center = res.explanation->chosen;
  if (res.center.empty()) return Error{Error::Kind::kBadAnswer, "endpoint " + res.endpoint + " is not under centers.<zone>"};
  return res;
}

Result<RelayEndpoint> readRelay(const std::vector<uint8_t>& wire, const std::string& center, const std::string& qname) {
  Packet pk;
  if (auto r = parse(wire, pk, qname); !r) {
    if (r.error().kind == Error::Kind::kNotFound)
      return Error{Error::Kind::kNotFound, "center " + center + " publishes no relay (" + r.error().message + ")"};
    return r.error();
  }
  const ldns_rr_list* an = ldns_pkt_answer(pk.p);
  const ldns_rr* best = nullptr;
  for (size_t i = 0; i < ldns_rr_list_rr_count(an); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(an, i);
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SRV || ldns_rr_rd_count(rr) != 4) continue;
    // RFC 2782: the lowest priority; among equals, the highest weight (deterministic here).
    auto pri = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)), wt = ldns_rdf2native_int16(ldns_rr_rdf(rr, 1));
    if (!best || pri < ldns_rdf2native_int16(ldns_rr_rdf(best, 0)) ||
        (pri == ldns_rdf2native_int16(ldns_rr_rdf(best, 0)) && wt > ldns_rdf2native_int16(ldns_rr_rdf(best, 1))))
      best = rr;
  }
  if (!best) return Error{Error::Kind::kNotFound, "center " + center + " publishes no relay (" + qname + " has no SRV)"};
  RelayEndpoint ep;
  ep.center = center;
  ep.port = ldns_rdf2native_int16(ldns_rr_rdf(best, 2));
  ep.host = lower(rdfText(ldns_rr_rdf(best, 3)));
  if (ep.host == ".") return Error{Error::Kind::kNotFound, "center " + center + " says it has no relay (SRV target \".\")"};
  ep.address = firstAddress(wire, ep.host);
  return ep;
}

std::string firstAddress(const std::vector<uint8_t>& wire, const std::string& host) {
  Packet pk;
  if (ldns_wire2pkt(&pk.p, wire.data(), wire.size()) != LDNS_STATUS_OK) return "";
  std::string want = lower(host);
  for (const ldns_rr_list* l : {ldns_pkt_answer(pk.p), ldns_pkt_additional(pk.p)})
    for (size_t i = 0; i < ldns_rr_list_rr_count(l); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(l, i);
      auto t = ldns_rr_get_type(rr);
      if ((t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) && lower(rdfText(ldns_rr_owner(rr))) == want)
        return rdfText(ldns_rr_rdf(rr, 0));
    }
  return "";
}

}  // namespace cdns::client::detail
