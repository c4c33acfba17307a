// Unit tests: the authoritative answer algorithm, table-driven over a test zone.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "authority/query.h"
#include "authority/zone.h"
#include "common/ldns_handles.h"
#include "rrtypes/zone_loader.h"

using namespace cdns;
using namespace cdns::authority;

namespace {

std::shared_ptr<const ZoneSet> testZones() {
  static std::shared_ptr<const ZoneSet> set = [] {
    auto file = rrtypes::loadZoneFile(CDNS_TEST_DATA "/authority.zone", "example.test.");
    EXPECT_TRUE(file.ok()) << file.error().message;
    auto zone = Zone::build("example.test.", file->records, "authority.zone");
    EXPECT_TRUE(zone.ok()) << zone.error().message;
    auto s = std::make_shared<ZoneSet>();
    s->add(*zone);
    return std::shared_ptr<const ZoneSet>(s);
  }();
  return set;
}

std::vector<uint8_t> makeQuery(const char* name, ldns_rr_type type, bool edns = false, uint16_t payload = 1232) {
  ldns_pkt* p = ldns_pkt_query_new(ldns_dname_new_frm_str(name), type, LDNS_RR_CLASS_IN, LDNS_RD);
  ldns_pkt_set_id(p, 0x1234);
  if (edns) {
    ldns_pkt_set_edns_udp_size(p, payload);
    ldns_pkt_set_edns_do(p, true);  // makes ldns emit OPT
  }
  std::vector<uint8_t> out = toWire(p);
  ldns_pkt_free(p);
  return out;
}

struct Reply {
  Outcome o;
  PktPtr pkt;
  std::vector<std::string> answer, authority, additional;
};

std::vector<std::string> section(ldns_rr_list* l) {
  std::vector<std::string> out;
  for (size_t i = 0; i < ldns_rr_list_rr_count(l); ++i) out.push_back(rrtypes::rrToText(ldns_rr_list_rr(l, i)));
  std::sort(out.begin(), out.end());
  return out;
}

Reply ask(const std::vector<uint8_t>& q, Transport t = Transport::kUdp) {
  static uint8_t out[65536];
  ParsedQuery pq;
  QueryLimits limits;
  Reply r;
  r.o = processQuery(q.data(), q.size(), out, sizeof out, t, *testZones(), limits, pq);
  if (r.o.action != Action::kRespond) return r;
  ldns_pkt* p = nullptr;
  EXPECT_EQ(ldns_wire2pkt(&p, out, r.o.len), LDNS_STATUS_OK);
  r.pkt.reset(p);
  r.answer = section(ldns_pkt_answer(p));
  r.authority = section(ldns_pkt_authority(p));
  r.additional = section(ldns_pkt_additional(p));
  return r;
}

Reply ask(const char* name, ldns_rr_type type) { return ask(makeQuery(name, type)); }

}  // namespace

TEST(Query, PositiveAnswerIsAuthoritative) {
  auto r = ask("www.example.test.", LDNS_RR_TYPE_A);
  EXPECT_EQ(ldns_pkt_get_rcode(r.pkt.get()), LDNS_RCODE_NOERROR);
  EXPECT_TRUE(ldns_pkt_aa(r.pkt.get()));
  EXPECT_TRUE(ldns_pkt_qr(r.pkt.get()));
  EXPECT_TRUE(ldns_pkt_rd(r.pkt.get()));
  EXPECT_EQ(ldns_pkt_id(r.pkt.get()), 0x1234);
  EXPECT_EQ(r.answer, (std::vector<std::string>{"www.example.test.\t3600\tIN\tA\t192.0.2.80",
                                                "www.example.test.\t3600\tIN\tA\t192.0.2.81"}));
  EXPECT_TRUE(r.authority.empty());
}

TEST(Query, NodataAndNxdomainCarryTheSoaWithNegativeTtl) {
  auto nodata = ask("www.example.test.", LDNS_RR_TYPE_AAAA);
  EXPECT_EQ(ldns_pkt_get_rcode(nodata.pkt.get()), LDNS_RCODE_NOERROR);
  EXPECT_TRUE(nodata.answer.empty());
  ASSERT_EQ(nodata.authority.size(), 1u);
  // RFC 2308 §3: TTL = min(SOA TTL 3600, MINIMUM 300).
  EXPECT_EQ(nodata.authority[0],
            "example.test.\t300\tIN\tSOA\tns1.example.test. hostmaster.example.test. 2026112801 7200 900 1209600 300");
  auto nx = ask("nope.example.test.", LDNS_RR_TYPE_A);
  EXPECT_EQ(ldns_pkt_get_rcode(nx.pkt.get()), LDNS_RCODE_NXDOMAIN);
  EXPECT_TRUE(ldns_pkt_aa(nx.pkt.get()));
  EXPECT_EQ(nx.authority, nodata.authority);
}

TEST(Query, EmptyNonTerminalIsNodata) {
  for (const char* n : {"b.ent.example.test.", "ent.example.test."}) {
    auto r = ask(n, LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(r.pkt.get()), LDNS_RCODE_NOERROR) << n;
    EXPECT_TRUE(r.answer.empty());
    EXPECT_EQ(r.authority.size(), 1u);
  }
  EXPECT_EQ(ldns_pkt_get_rcode(ask("c.b.ent.example.test.", LDNS_RR_TYPE_A).pkt.get()), LDNS_RCODE_NXDOMAIN);
}

TEST(Query, CnameChainsInsideTheZone) {
  auto r = ask("chain1.example.test.", LDNS_RR_TYPE_A);
  EXPECT_EQ(r.answer, (std::vector<std::string>{"chain1.example.test.\t3600\tIN\tCNAME\tchain2.example.test.",
                                                "chain2.example.test.\t3600\tIN\tCNAME\twww.example.test.",
                                                "www.example.test.\t3600\tIN\tA\t192.0.2.80",
                                                "www.example.test.\t3600\tIN\tA\t192.0.2.81"}));
  // RFC 6604: the rcode follows the last name of the chain.
  auto d = ask("dangling.example.test.", LDNS_RR_TYPE_A);
  EXPECT_EQ(ldns_pkt_get_rcode(d.pkt.get()), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(d.answer.size(), 1u);
  auto o = ask("outside.example.test.", LDNS_RR_TYPE_A);
  EXPECT_EQ(ldns_pkt_get_rcode(o.pkt.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(o.answer.size(), 1u);
  EXPECT_TRUE(o.authority.empty());
  auto c = ask("alias.example.test.", LDNS_RR_TYPE_CNAME);
  EXPECT_EQ(c.answer, (std::vector<std::string>{"alias.example.test.\t3600\tIN\tCNAME\twww.example.test."}));
  auto loop = ask("loop1.example.test.", LDNS_RR_TYPE_A);
  EXPECT_EQ(loop.o.action, Action::kRespond);
  EXPECT_LE(loop.answer.size(), 17u);
}

TEST(Query, WildcardsSynthesiseTheQueryName) {
  auto r = ask("anything.wild.example.test.", LDNS_RR_TYPE_A);
  EXPECT_EQ(r.answer, (std::vector<std::string>{"anything.wild.example.test.\t3600\tIN\tA\t192.0.2.99"}));
  auto deep = ask("x.y.wild.example.test.", LDNS_RR_TYPE_TXT);
  EXPECT_EQ(deep.answer, (std::vector<std::string>{"x.y.wild.example.test.\t3600\tIN\tTXT\t\"wild\""}));
  auto nodata = ask("anything.wild.example.test.", LDNS_RR_TYPE_MX);
  EXPECT_EQ(ldns_pkt_get_rcode(nodata.pkt.get()), LDNS_RCODE_NOERROR);
  EXPECT_TRUE(nodata.answer.empty());
  // RFC 4592 §2.2.1: "wild" itself exists (as an empty non-terminal), the wildcard does not apply.
  EXPECT_TRUE(ask("wild.example.test.", LDNS_RR_TYPE_A).answer.empty());
}

TEST(Query, ReferralWithGlueIsNotAuthoritative) {
  for (const char* n : {"sub.example.test.", "host.sub.example.test.", "ns.sub.example.test."}) {
    auto r = ask(n, LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(r.pkt.get()), LDNS_RCODE_NOERROR) << n;
    EXPECT_FALSE(ldns_pkt_aa(r.pkt.get())) << n;
    EXPECT_TRUE(r.answer.empty()) << n;
    EXPECT_EQ(r.authority, (std::vector<std::string>{"sub.example.test.\t3600\tIN\tNS\tns.sub.example.test."}));
    EXPECT_EQ(r.additional, (std::vector<std::string>{"ns.sub.example.test.\t3600\tIN\tA\t192.0.2.53"}));
  }
  // DS is answered by the parent side of the cut (RFC 4035 §3.1.4.1).
  auto ds = ask("sub.example.test.", LDNS_RR_TYPE_DS);
  EXPECT_TRUE(ldns_pkt_aa(ds.pkt.get()));
  EXPECT_EQ(ds.authority.size(), 1u);
}

TEST(Query, AdditionalAddressesForMxNsSrv) {
  auto mx = ask("example.test.", LDNS_RR_TYPE_MX);
  EXPECT_EQ(mx.additional, (std::vector<std::string>{"mail.example.test.\t3600\tIN\tA\t192.0.2.25"}));
  auto ns = ask("example.test.", LDNS_RR_TYPE_NS);
  EXPECT_EQ(ns.additional, (std::vector<std::string>{"ns1.example.test.\t3600\tIN\tA\t192.0.2.1",
                                                     "ns1.example.test.\t3600\tIN\tAAAA\t2001:db8::1"}));
  auto srv = ask("_relay._tcp.sz1.centers.example.test.", LDNS_RR_TYPE_SRV);
  EXPECT_EQ(srv.additional, (std::vector<std::string>{"relay.sz1.centers.example.test.\t3600\tIN\tA\t192.0.2.10"}));
}

TEST(Query, ComputeTypesAndAny) {
  auto cap = ask("sz1.centers.example.test.", static_cast<ldns_rr_type>(65281));
  EXPECT_EQ(cap.answer,
            (std::vector<std::string>{"sz1.centers.example.test.\t3600\tIN\tCAP\tts=1795843200 cpu=1024/4096 load=0.62"}));
  auto any = ask("www.example.test.", LDNS_RR_TYPE_ANY);
  EXPECT_EQ(any.answer.size(), 3u);
}

TEST(Query, RefusedOutsideOurZones) {
  auto r = ask("www.example.org.", LDNS_RR_TYPE_A);
  EXPECT_EQ(ldns_pkt_get_rcode(r.pkt.get()), LDNS_RCODE_REFUSED);
  EXPECT_FALSE(ldns_pkt_aa(r.pkt.get()));
  EXPECT_EQ(ldns_pkt_qdcount(r.pkt.get()), 1);
}

TEST(Query, QuestionEchoedWithCaseAndCompressionPointsAtIt) {
  auto q = makeQuery("WwW.ExAmPlE.TeSt.", LDNS_RR_TYPE_A);
  auto r = ask(q);
  char* s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(r.pkt.get()), 0)));
  EXPECT_STREQ(s, "WwW.ExAmPlE.TeSt.");
  free(s);
  s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(r.pkt.get()), 0)));
  EXPECT_STREQ(s, "WwW.ExAmPlE.TeSt.");
  free(s);
}

TEST(Query, TruncationOverUdpAndFullAnswerOverTcp) {
  auto udp = ask(makeQuery("big.example.test.", LDNS_RR_TYPE_TXT));
  EXPECT_TRUE(ldns_pkt_tc(udp.pkt.get()));
  EXPECT_TRUE(udp.answer.empty());
  EXPECT_LE(udp.o.len, 512u);
  auto edns = ask(makeQuery("big.example.test.", LDNS_RR_TYPE_TXT, true, 4096));
  EXPECT_FALSE(ldns_pkt_tc(edns.pkt.get()));
  EXPECT_EQ(edns.answer.size(), 6u);
  auto small = ask(makeQuery("big.example.test.", LDNS_RR_TYPE_TXT, true, 600));
  EXPECT_TRUE(ldns_pkt_tc(small.pkt.get()));
  EXPECT_LE(small.o.len, 600u);
  EXPECT_EQ(ldns_pkt_edns_udp_size(small.pkt.get()), 1232);
  auto tcp = ask(makeQuery("big.example.test.", LDNS_RR_TYPE_TXT), Transport::kTcp);
  EXPECT_FALSE(ldns_pkt_tc(tcp.pkt.get()));
  EXPECT_EQ(tcp.answer.size(), 6u);
}

TEST(Query, EdnsVersionAndDo) {
  auto q = makeQuery("www.example.test.", LDNS_RR_TYPE_A, true);
  auto r = ask(q);
  EXPECT_TRUE(ldns_pkt_edns_do(r.pkt.get()));
  // Version 1 -> BADVERS: ext-rcode 1 in OPT, header rcode 0 (RFC 6891 §6.1.3).
  size_t optTtl = q.size() - 11 + 5;
  q[optTtl + 1] = 1;
  auto bad = ask(q);
  EXPECT_EQ(ldns_pkt_edns_extended_rcode(bad.pkt.get()), 1);
  EXPECT_EQ(ldns_pkt_get_rcode(bad.pkt.get()), 0);
  EXPECT_TRUE(bad.answer.empty());
}

TEST(Query, MalformedRequests) {
  auto base = makeQuery("www.example.test.", LDNS_RR_TYPE_A);
  struct Case {
    const char* what;
    std::vector<uint8_t> msg;
    int rcode;  // -1: dropped
  };
  std::vector<Case> cases;
  cases.push_back({"runt", std::vector<uint8_t>(base.begin(), base.begin() + 5), -1});
  auto qr = base;
  qr[2] |= 0x80;
  cases.push_back({"QR set", qr, -1});
  auto cut = base;
  cut.resize(base.size() - 3);
  cases.push_back({"truncated question", cut, LDNS_RCODE_FORMERR});
  auto qd2 = base;
  qd2[5] = 2;
  cases.push_back({"qdcount 2", qd2, LDNS_RCODE_FORMERR});
  auto qd0 = base;
  qd0[5] = 0;
  cases.push_back({"qdcount 0", qd0, LDNS_RCODE_FORMERR});
  auto an = base;
  an[7] = 1;
  cases.push_back({"answer count lies", an, LDNS_RCODE_FORMERR});
  auto trailing = base;
  trailing.push_back(0);
  cases.push_back({"trailing garbage", trailing, LDNS_RCODE_FORMERR});
  std::vector<uint8_t> ptr(base.begin(), base.begin() + 12);
  for (uint8_t b : {0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01}) ptr.push_back(b);
  cases.push_back({"compression loop in question", ptr, LDNS_RCODE_FORMERR});
  std::vector<uint8_t> longLabel(base.begin(), base.begin() + 12);
  longLabel.push_back(64);
  longLabel.insert(longLabel.end(), 64, 'a');
  for (uint8_t b : {0x00, 0x00, 0x01, 0x00, 0x01}) longLabel.push_back(b);
  cases.push_back({"label over 63", longLabel, LDNS_RCODE_FORMERR});
  std::vector<uint8_t> longName(base.begin(), base.begin() + 12);
  for (int i = 0; i < 5; ++i) {
    longName.push_back(60);
    longName.insert(longName.end(), 60, 'a');
  }
  for (uint8_t b : {0x00, 0x00, 0x01, 0x00, 0x01}) longName.push_back(b);
  cases.push_back({"name over 255", longName, LDNS_RCODE_FORMERR});
  auto status = base;
  status[2] = static_cast<uint8_t>((status[2] & 0x87) | (2 << 3));
  cases.push_back({"opcode STATUS", status, LDNS_RCODE_NOTIMPL});
  auto axfrUdp = makeQuery("example.test.", LDNS_RR_TYPE_AXFR);
  cases.push_back({"AXFR over UDP", axfrUdp, LDNS_RCODE_NOTIMPL});
  auto optType = makeQuery("example.test.", static_cast<ldns_rr_type>(41));
  cases.push_back({"qtype OPT", optType, LDNS_RCODE_FORMERR});
  for (const auto& c : cases) {
    auto r = ask(c.msg);
    if (c.rcode < 0) {
      EXPECT_EQ(r.o.action, Action::kDrop) << c.what;
      continue;
    }
    ASSERT_EQ(r.o.action, Action::kRespond) << c.what;
    EXPECT_EQ(r.o.rcode, c.rcode) << c.what;
    EXPECT_TRUE(r.answer.empty()) << c.what;
  }
}
