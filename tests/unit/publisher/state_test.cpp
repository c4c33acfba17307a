// Unit tests: records from state, thresholds, overrides, and the update a publisher sends.
#include <gtest/gtest.h>

#include "common/config.h"
#include "common/dns.h"
#include "common/ldns_handles.h"
#include "publisher/sender.h"
#include "publisher/state.h"

using namespace cdns;
using namespace cdns::publisher;

TEST(State, BuildsCanonicalRecordsWithTs) {
  State s;
  s.set("cap.cpu", "1024/4096");
  s.set("cap.load", "0.620");
  s.set("site.kind", "ai");
  s.set("site.operator", "Shenzhen Compute Co");
  s.netq.push_back({{"peer", "gz1"}, {"rtt", "1800us"}});
  auto r = buildRecords(s, 1795843200);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->at("CAP")[0].rdata, "ts=1795843200 cpu=1024/4096 load=0.62");
  EXPECT_EQ(r->at("SITE")[0].rdata, "ts=1795843200 kind=ai operator=\"Shenzhen Compute Co\"");
  EXPECT_EQ(r->at("NETQ")[0].rdata, "ts=1795843200 peer=gz1 rtt=1.8ms");
}

TEST(State, BadFieldsAreNamed) {
  State s;
  s.set("cap.lod", "0.5");
  EXPECT_NE(buildRecords(s, 1).error().message.find("cap.lod: CAP has no key \"lod\""), std::string::npos);
  State t;
  t.set("cap.load", "7");
  EXPECT_NE(buildRecords(t, 1).error().message.find("cap: CAP load: 7 is out of range"), std::string::npos);
  State u;
  EXPECT_FALSE(applyOverride(u, "queue=3").ok());
  EXPECT_FALSE(applyOverride(u, "bogus.queue=3").ok());
  ASSERT_TRUE(applyOverride(u, "CAP.queue=3").ok());
  EXPECT_EQ(u.get("cap.queue").value_or(""), "3");
}

TEST(State, ThresholdsKeepNoiseOut) {
  std::map<std::string, Threshold> th{{"cap.load", *parseThreshold("0.05")}, {"cap.mem", *parseThreshold("5%")}};
  State a, b;
  a.set("cap.load", "0.60");
  b.set("cap.load", "0.63");
  a.set("cap.mem", "9T/32T");
  b.set("cap.mem", "9.3T/32T");
  a.set("cap.queue", "3");
  b.set("cap.queue", "3");
  EXPECT_TRUE(changedTypes(a, b, th).empty());
  b.set("cap.load", "0.70");
  EXPECT_EQ(changedTypes(a, b, th), std::vector<std::string>{"CAP"});
  b.set("cap.load", "0.60");
  b.set("cap.mem", "12T/32T");
  EXPECT_EQ(changedTypes(a, b, th), std::vector<std::string>{"CAP"});
  b.set("cap.mem", "9T/32T");
  b.set("cap.queue", "4");  // no threshold: any change counts
  EXPECT_EQ(changedTypes(a, b, th), std::vector<std::string>{"CAP"});
  b.set("cap.queue", "3");
  b.set("energy.power", "800kW");  // a new field
  EXPECT_EQ(changedTypes(a, b, th), std::vector<std::string>{"ENERGY"});
  EXPECT_FALSE(parseThreshold("lots").ok());
  EXPECT_TRUE(parseThreshold("10%")->relative);
}

TEST(Sender, UpdateMessageLayout) {
  std::string zone = *dns::nameFromText("gba.example.");
  std::string owner = *dns::nameFromText("sz1.centers.gba.example.");
  std::vector<UpdateOp> ops = {{UpdateOp::Kind::kDeleteRRset, owner, 65281, 0, ""},
                               {UpdateOp::Kind::kAdd, owner, 65281, 60, std::string("\x00\x07\x00\x04\x00\x00\x00\x03", 8)},
                               {UpdateOp::Kind::kDeleteRR, owner, 1, 0, std::string("\xc0\x00\x02\x01", 4)}};
  auto m = buildUpdate(0x1234, zone, ops, 90);
  ldns_pkt* p = nullptr;
  ASSERT_EQ(ldns_wire2pkt(&p, m.data(), m.size()), LDNS_STATUS_OK);
  EXPECT_EQ(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
  EXPECT_EQ(ldns_update_zocount(p), 1);
  EXPECT_EQ(ldns_update_upcount(p), 3);
  ldns_rr_list* up = ldns_pkt_authority(p);
  EXPECT_EQ(ldns_rr_get_class(ldns_rr_list_rr(up, 0)), LDNS_RR_CLASS_ANY);
  EXPECT_EQ(ldns_rr_get_class(ldns_rr_list_rr(up, 1)), LDNS_RR_CLASS_IN);
  EXPECT_EQ(ldns_rr_get_class(ldns_rr_list_rr(up, 2)), LDNS_RR_CLASS_NONE);
  ldns_pkt_free(p);
  // The Update Lease option (RFC 9664): OPT, option code 2, 4 bytes, 90.
  EXPECT_EQ(m[m.size() - 1], 90);
  EXPECT_EQ(m[m.size() - 7], 2);
}
