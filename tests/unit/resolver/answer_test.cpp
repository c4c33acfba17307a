// Unit tests of the answerer: service answers in each form (A with CNAME, SRV, SVCB), the client
// subnet (ECS) mapped to access points, reservations spreading a burst, and refusals with their
// rcode and Extended DNS Error.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <map>

#include "common/dns.h"
#include "common/ldns_handles.h"
#include "resolver/answer.h"
#include "tests/unit/resolver/policy_test_util.h"

using namespace cdns;
using namespace cdns::resolver;
using namespace cdns::resolver::testing;

namespace {

std::shared_ptr<const authority::Zone> zone() {
  static auto z = [] {
    auto file = rrtypes::loadZoneFile(CDNS_TEST_DATA "/resolver.zone", "gba.example.");
    EXPECT_TRUE(file.ok());
    auto built = authority::Zone::build("gba.example.", file->records, "resolver.zone");
    EXPECT_TRUE(built.ok());
    return *built;
  }();
  return z;
}

struct Option {
  uint16_t code;
  std::string data;
};

std::vector<uint8_t> query(const std::string& name, uint16_t type, const std::vector<Option>& opts = {}, bool edns = true) {
  std::vector<uint8_t> m = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? uint8_t{1} : uint8_t{0}};
  auto wire = dns::nameFromText(name);
  EXPECT_TRUE(wire.ok());
  m.insert(m.end(), wire->begin(), wire->end());
  m.push_back(static_cast<uint8_t>(type >> 8));
  m.push_back(static_cast<uint8_t>(type));
  m.push_back(0);
  m.push_back(1);
  if (edns) {
    std::string rd;
    for (const auto& o : opts) {
      rd += static_cast<char>(o.code >> 8);
      rd += static_cast<char>(o.code & 0xFF);
      rd += static_cast<char>(o.data.size() >> 8);
      rd += static_cast<char>(o.data.size() & 0xFF);
      rd += o.data;
    }
    std::vector<uint8_t> opt = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, static_cast<uint8_t>(rd.size() >> 8), static_cast<uint8_t>(rd.size())};
    m.insert(m.end(), opt.begin(), opt.end());
    m.insert(m.end(), rd.begin(), rd.end());
  }
  return m;
}

Option ecs(const char* addr, uint8_t source) {
  uint8_t a[16] = {};
  bool v6 = std::string(addr).find(':') != std::string::npos;
  inet_pton(v6 ? AF_INET6 : AF_INET, addr, a);
  std::string d = {0, static_cast<char>(v6 ? 2 : 1), static_cast<char>(source), 0};
  d.append(reinterpret_cast<char*>(a), (source + 7) / 8);
  return {8, d};
}

struct Reply {
  int rcode = -1;
  std::vector<std::string> answer, additional;  // "TYPE rdata" in presentation form
  std::string ede, explanation;
  uint8_t ecsScope = 255;
};

class Answerer {
 public:
  Answerer() {
    ComputeZone cz;
    cz.zone = zone();
    cz.index = Index::build(*cz.zone);
    cz.held = std::make_shared<Reservations>();
    cz.held->follow(*cz.index);
    cz.plans = std::make_shared<Plans>();  // as the server runs: decisions from plans
    zones.push_back(cz);
    auto add = [&](const std::string& name, const char* json) {
      auto c = Chain::fromJson(nlohmann::json::parse(json), registry());
      ASSERT_TRUE(c.ok()) << c.error().message;
      config.chains[name] = std::move(*c);
    };
    add("default", R"({"policies": [{"name": "fits"}, {"name": "load"}]})");
    add("near", R"({"policies": [{"name": "network"}]})");
    add("sticky", R"({"policies": [{"name": "load"}], "select": {"name": "sticky", "top": 3}})");
    config.servicePort["infer"] = 8443;
    config.accessPoints.push_back(*parseAccessPoint("10.1.0.0/16", "gz1"));
    config.accessPoints.push_back(*parseAccessPoint("10.1.2.0/24", "hk1"));
  }

  Reply ask(const std::vector<uint8_t>& q, const sockaddr* from = nullptr, uint64_t nonce = 0) {
    uint8_t out[4096];
    size_t n = answer(q.data(), q.size(), out, sizeof out, true, zones, config, AnswerContext{from, kNow, nonce, &stats});
    Reply r;
    if (!n) return r;
    ldns_pkt* raw = nullptr;
    EXPECT_EQ(ldns_wire2pkt(&raw, out, n), LDNS_STATUS_OK);
    PktPtr p(raw);
    r.rcode = ldns_pkt_get_rcode(p.get());
    auto list = [](ldns_rr_list* l, std::vector<std::string>& into) {
      for (size_t i = 0; i < ldns_rr_list_rr_count(l); ++i) {
        ldns_rr* rr = ldns_rr_list_rr(l, i);
        char* t = ldns_rr_type2str(ldns_rr_get_type(rr));
        std::string s = t;
        free(t);
        for (size_t k = 0; k < ldns_rr_rd_count(rr); ++k) {
          char* v = ldns_rdf2str(ldns_rr_rdf(rr, k));
          s += std::string(" ") + v;
          free(v);
        }
        into.push_back(s);
      }
    };
    list(ldns_pkt_answer(p.get()), r.answer);
    list(ldns_pkt_additional(p.get()), r.additional);
    // Options of our OPT record, by hand (ldns keeps them as one blob).
    if (ldns_rdf* data = ldns_pkt_edns_data(p.get())) {
      const uint8_t* d = ldns_rdf_data(data);
      size_t len = ldns_rdf_size(data), pos = 0;
      while (pos + 4 <= len) {
        uint16_t code = dns::get16(d + pos), olen = dns::get16(d + pos + 2);
        std::string v(reinterpret_cast<const char*>(d + pos + 4), olen);
        if (code == 15) r.ede = v.substr(2);
        if (code == kOptExplain) r.explanation = v;
        if (code == 8) r.ecsScope = static_cast<uint8_t>(v[3]);
        pos += 4 + olen;
      }
    }
    return r;
  }

  std::vector<ComputeZone> zones;
  AnswerConfig config;
  AnswerStats stats;
};

sockaddr_in from(const char* addr) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  inet_pton(AF_INET, addr, &s.sin_addr);
  return s;
}

}  // namespace

TEST(Answer, ServiceFormsCnameSrvSvcb) {
  Answerer a;
  auto r = a.ask(query("infer.svc.gba.example.", dns::kA));
  EXPECT_EQ(r.rcode, 0);
  EXPECT_EQ(r.answer, (std::vector<std::string>{"CNAME infer.sz1.centers.gba.example.", "A 192.0.2.10"}));
  // SRV: the configured port (sz1 publishes no SRV record for infer), the endpoint, its address.
  r = a.ask(query("infer.svc.gba.example.", dns::kSRV));
  EXPECT_EQ(r.answer, (std::vector<std::string>{"SRV 0 0 8443 infer.sz1.centers.gba.example."}));
  EXPECT_EQ(r.additional, (std::vector<std::string>{"A 192.0.2.10"}));
  // SVCB (RFC 9460): priority 1, target, port and an IPv4 hint.
  r = a.ask(query("policy-near.infer.svc.gba.example.", 64, {ecs("10.1.9.0", 24)}));
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0], "SVCB 1 infer.gz1.centers.gba.example. port=8443 ipv4hint=192.0.2.30");
  EXPECT_EQ(r.additional, (std::vector<std::string>{"A 192.0.2.30"}));
  // Without a port anywhere, SRV cannot be answered: NODATA that says so.
  a.config.servicePort.clear();
  r = a.ask(query("infer.svc.gba.example.", dns::kSRV));
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_EQ(r.ede, "center sz1 publishes no port for infer and none is configured");
}

TEST(Answer, RefusalsSayWhy) {
  Answerer a;
  auto r = a.ask(query("www.infer.svc.gba.example.", dns::kA));
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_EQ(r.ede, "label \"www\" is not a requirement (KEY-VALUE, like gpu-4)");
  r = a.ask(query("gpu-lots.infer.svc.gba.example.", dns::kA));
  EXPECT_EQ(r.ede, "requirement gpu=lots: expected a count or MODEL:count");
  r = a.ask(query("policy-cheapest.infer.svc.gba.example.", dns::kA));
  EXPECT_EQ(r.ede, "no policy \"cheapest\" at this resolver");
  r = a.ask(query("train.svc.gba.example.", dns::kA));
  EXPECT_EQ(r.rcode, 3);
  // A malformed client subnet: FORMERR (RFC 7871 §7.1.1); bits set past the prefix are malformed.
  r = a.ask(query("infer.svc.gba.example.", dns::kA, {{8, std::string("\0\1\x18\0\x0a\x01", 6)}}));
  EXPECT_EQ(r.rcode, 1);
  r = a.ask(query("infer.svc.gba.example.", dns::kA, {{8, std::string("\0\1\x10\0\x0a\x01\x02", 7)}}));
  EXPECT_EQ(r.rcode, 1);
  EXPECT_EQ(a.stats.formerr, 2u);
  EXPECT_EQ(a.stats.nxdomain, 1u);
}

TEST(Answer, RequirementsInEdnsAndTheExplanation) {
  Answerer a;
  auto r = a.ask(query("infer.svc.gba.example.", dns::kA, {{kOptRequirements, "gpu=12"}, {kOptExplain, ""}}));
  ASSERT_FALSE(r.answer.empty());
  EXPECT_EQ(r.answer[0], "CNAME infer.sz1.centers.gba.example.");
  auto j = nlohmann::json::parse(r.explanation);
  EXPECT_EQ(j["chosen"], "sz1");
  EXPECT_EQ(j["candidates"], 3);
  EXPECT_EQ(j["requirements"]["gpu"], "12");
  EXPECT_TRUE(j.contains("replica_age"));
  bool dropped = false;
  for (const auto& v : j["verdicts"])
    if (v["stage"] == "fits" && v["center"] == "hk1" && v["verdict"] == "dropped: gpu 2 free < 12") dropped = true;
  EXPECT_TRUE(dropped) << r.explanation;
}

TEST(Answer, ClientSubnetMapsToAnAccessPoint) {
  Answerer a;
  auto near = [&](const std::vector<uint8_t>& q, const sockaddr* f = nullptr) {
    auto r = a.ask(q, f);
    return r.answer.empty() ? "" : r.answer[0];
  };
  // ECS 10.1.9.0/24 lies in 10.1.0.0/16 -> access point gz1 -> gz1 itself is nearest.
  EXPECT_EQ(near(query("policy-near.infer.svc.gba.example.", dns::kA, {ecs("10.1.9.0", 24)})), "CNAME infer.gz1.centers.gba.example.");
  // The longer prefix wins: 10.1.2.0/24 -> hk1.
  EXPECT_EQ(near(query("policy-near.infer.svc.gba.example.", dns::kA, {ecs("10.1.2.0", 24)})), "CNAME infer.hk1.centers.gba.example.");
  // Without ECS, the source address: 10.1.2.77 -> 10.1.2.0/24 -> hk1.
  auto src = from("10.1.2.77");
  EXPECT_EQ(near(query("policy-near.infer.svc.gba.example.", dns::kA), reinterpret_cast<sockaddr*>(&src)),
            "CNAME infer.hk1.centers.gba.example.");
  // A /8 client subnet is wider than the access point: not mapped (best published link: sz1).
  EXPECT_EQ(near(query("policy-near.infer.svc.gba.example.", dns::kA, {ecs("10.0.0.0", 8)})), "CNAME infer.sz1.centers.gba.example.");
  // ECS is echoed with the scope of the subnet the answer is for.
  EXPECT_EQ(a.ask(query("policy-near.infer.svc.gba.example.", dns::kA, {ecs("10.1.9.0", 24)})).ecsScope, 24);
  EXPECT_FALSE(parseAccessPoint("10.1.0.1/16", "x").ok());
  EXPECT_EQ(parseAccessPoint("10.1.0.0/33", "x").error().message, "access point \"10.1.0.0/33\": length must be 0 to 32");
}

TEST(Answer, StickyPerSubnet) {
  Answerer a;
  std::map<std::string, int> seen;
  for (int net = 0; net < 64; ++net) {
    std::string addr = "172.16." + std::to_string(net) + ".0";
    std::string first;
    for (int i = 0; i < 3; ++i) {
      auto src = from(("172.16." + std::to_string(net) + "." + std::to_string(10 + i)).c_str());
      auto r = a.ask(query("policy-sticky.infer.svc.gba.example.", dns::kA), reinterpret_cast<sockaddr*>(&src));
      ASSERT_FALSE(r.answer.empty());
      if (i == 0) first = r.answer[0];
      EXPECT_EQ(r.answer[0], first) << addr;  // one /24, one center
    }
    ++seen[first];
  }
  EXPECT_EQ(seen.size(), 3u);  // and the subnets spread over the three
}

TEST(Answer, ReservationsSpreadABurst) {
  Answerer a;
  // gpu-4: sz1 has 16 free, gz1 8, hk1 2. The first four answers go to sz1 (least loaded);
  // then sz1's 16 are handed out and the next two go to gz1; then every center that fits is
  // "full" of holds, and the published figures decide again (holds spread, never refuse).
  std::vector<std::string> got;
  for (int i = 0; i < 7; ++i) {
    auto r = a.ask(query("gpu-4.infer.svc.gba.example.", dns::kA));
    got.push_back(r.answer.empty() ? "none: " + r.ede : r.answer[0].substr(12, 3));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"sz1", "sz1", "sz1", "sz1", "gz1", "gz1", "sz1"}));
  EXPECT_EQ(a.stats.chosen[std::make_pair(std::string("gba.example."), std::string("sz1"))], 5u);
  // What does not fit the published figures is still refused.
  EXPECT_EQ(a.ask(query("gpu-17.infer.svc.gba.example.", dns::kA)).ede, "no center left after fits (asked: gpu=17)");
  // The holds end after the hold time, or when the center publishes (a new index with a new ts).
  a.zones[0].held->expire(kNow + 31, 30);
  EXPECT_EQ(a.ask(query("gpu-4.infer.svc.gba.example.", dns::kA)).answer[0], "CNAME infer.sz1.centers.gba.example.");
  // Off: every answer is sz1.
  a.config.holdSeconds = 0;
  for (int i = 0; i < 6; ++i) EXPECT_EQ(a.ask(query("gpu-4.infer.svc.gba.example.", dns::kA)).answer[0], "CNAME infer.sz1.centers.gba.example.");
}

TEST(Answer, RequirementsIgnoreCase) {
  // Resolvers on the way may lower-case the query's labels (and 0x20 mixes case): GPU models,
  // jurisdictions, data sets, centers and access points match in any case.
  Answerer a;
  a.config.holdSeconds = 0;
  auto first = [&](const std::string& name) {
    auto r = a.ask(query(name, dns::kA));
    return r.answer.empty() ? "none: " + r.ede : r.answer[0];
  };
  EXPECT_EQ(first("gpu-h200:12.infer.svc.gba.example."), "CNAME infer.sz1.centers.gba.example.");
  EXPECT_EQ(first("GPU-A100:1.infer.svc.gba.example."), "CNAME infer.hk1.centers.gba.example.");
  auto pick = Chain::fromJson(nlohmann::json::parse(R"({"policies": [{"name": "manual"}, {"name": "load"}]})"), registry());
  ASSERT_TRUE(pick.ok());
  a.config.chains["pick"] = std::move(*pick);
  EXPECT_EQ(first("center-HK1.policy-pick.infer.svc.gba.example."), "CNAME infer.hk1.centers.gba.example.");
}

TEST(Answer, AnExplanationTooBigForUdpSetsTc) {
  Answerer a;
  auto q = query("infer.svc.gba.example.", dns::kA, {{kOptExplain, ""}});
  // The client's EDNS buffer: 512 bytes (the OPT record's class, 4 bytes of option data before the end).
  q[q.size() - 4 - 8] = 0x02;
  q[q.size() - 4 - 7] = 0x00;
  uint8_t out[4096];
  size_t n = answer(q.data(), q.size(), out, sizeof out, true, a.zones, a.config, AnswerContext{nullptr, kNow, 0, nullptr});
  ASSERT_GT(n, 12u);
  EXPECT_LE(n, 512u);
  EXPECT_TRUE(dns::get16(out + 2) & dns::kFlagTC);
  // Over TCP the whole explanation comes.
  n = answer(q.data(), q.size(), out, sizeof out, false, a.zones, a.config, AnswerContext{nullptr, kNow, 0, nullptr});
  EXPECT_GT(n, 512u);
  EXPECT_FALSE(dns::get16(out + 2) & dns::kFlagTC);
}

TEST(Answer, AnyBytesInRequirementsWithAnExplanation) {
  // Requirements are bytes from the network: not UTF-8 here. The explanation is still JSON (the
  // bad bytes replaced), and the answer says what was wrong.
  Answerer a;
  auto r = a.ask(query("infer.svc.gba.example.", dns::kA, {{kOptRequirements, "gpu=\xb8\xcd""01:4,x=\xff"}, {kOptExplain, ""}}));
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_EQ(r.ede, "no center left after fits (asked: gpu=\xef\xbf\xbd\xef\xbf\xbd" "01:4, x=\xef\xbf\xbd)");  // EDE text is UTF-8
  r = a.ask(query("infer.svc.gba.example.", dns::kA, {{kOptRequirements, "x=\xff\xfe,gpu=1"}, {kOptExplain, ""}}));
  ASSERT_FALSE(r.answer.empty());
  auto j = nlohmann::json::parse(r.explanation, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.explanation;
  EXPECT_EQ(j["requirements"]["x"], "\xef\xbf\xbd\xef\xbf\xbd");  // U+FFFD twice
}
