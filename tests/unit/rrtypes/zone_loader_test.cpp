// Unit tests: master files with the compute types in presentation form.
#include <gtest/gtest.h>

#include <set>

#include "rrtypes/rdata.h"
#include "rrtypes/registry.h"
#include "rrtypes/zone_loader.h"

using namespace cdns::rrtypes;

namespace {
std::string ownerOf(const ldns_rr* rr) {
  char* s = ldns_rdf2str(ldns_rr_owner(rr));
  std::string o = s;
  free(s);
  return o;
}
}  // namespace

TEST(ZoneLoader, LoadsEveryTypeWithOwnersTtlsAndContinuations) {
  auto z = loadZoneFile(CDNS_TEST_DATA "/rrtypes.zone", "gba.example.");
  ASSERT_TRUE(z.ok()) << z.error().message;
  ASSERT_EQ(z->records.size(), 16u);
  std::set<uint16_t> types;
  for (const auto& rr : z->records) types.insert(static_cast<uint16_t>(ldns_rr_get_type(rr.get())));
  for (const auto& t : allTypes()) EXPECT_TRUE(types.count(t.code)) << t.name;
  // CAP spans a parenthesised continuation and inherits the owner of the line above.
  const ldns_rr* cap = z->records[4].get();
  EXPECT_EQ(ldns_rr_get_type(cap), 65281);
  EXPECT_EQ(ownerOf(cap), "sz1.centers.gba.example.");
  EXPECT_EQ(ldns_rr_ttl(cap), 300u);
  EXPECT_EQ(rrToText(cap),
            "sz1.centers.gba.example.\t300\tIN\tCAP\tts=1795843200 cpu=1024/4096 gpu=H200:12/64 mem=9T/32T "
            "disk=120T/500T nodes=3/64 load=0.62 queue=3 running=41 part=gpu");
  const ldns_rr* hk = z->records[14].get();
  EXPECT_EQ(ldns_rr_ttl(hk), 600u);
  EXPECT_EQ(rrToText(z->records[15].get()), "hk1.centers.gba.example.\t300\tIN\tCAP\tqueue=0 running=2");
}

TEST(ZoneLoader, ErrorsNameFileLineAndProblem) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"a 300 IN A 1.2.3.4\nb CAP load=2\n", "z.zone:2: CAP load: 2 is out of range (max 1)"},
      {"a A 1.2.3.4\n\n\nb A 1.2.3.999\n", "z.zone:4: "},
      {"a SITE ( kind=ai\n  region=x\n", "z.zone:1: unbalanced '('"},
      {"a SITE kind=ai )\n", "z.zone:1: unbalanced ')'"},
      {"$FOO bar\n", "z.zone:1: unknown directive $FOO"},
      {"$TTL x\n", "z.zone:1: bad $TTL"},
      {"a TXT \"open\n", "z.zone:1: unterminated quoted string"},
      {"a CAP \\# 4 00070004\n", "z.zone:1: CAP queue: length 4 overruns"},
      {"a SITE kind=ai\nb SITE kind=xx\n", "z.zone:2: SITE kind: unknown value"},
      {"$INCLUDE /nonexistent/file\n", "z.zone:1: /nonexistent/file: cannot open"},
  };
  for (const auto& c : cases) {
    auto z = loadZoneText(c.text, "z.zone", "gba.example.");
    ASSERT_FALSE(z.ok()) << c.text;
    EXPECT_NE(z.error().message.find(c.error), std::string::npos) << z.error().message;
  }
}

TEST(ZoneLoader, OriginAndTtlDirectives) {
  auto z = loadZoneText("$ORIGIN sub.gba.example.\n$TTL 1h\nx CAP queue=1\ny 5 A 127.0.0.1\n", "z", "gba.example.");
  ASSERT_TRUE(z.ok()) << z.error().message;
  ASSERT_EQ(z->records.size(), 2u);
  EXPECT_EQ(ownerOf(z->records[0].get()), "x.sub.gba.example.");
  EXPECT_EQ(ldns_rr_ttl(z->records[0].get()), 3600u);
  EXPECT_EQ(ldns_rr_ttl(z->records[1].get()), 5u);
}

TEST(ZoneLoader, TranslateEntryLeavesOtherTypesAlone) {
  EXPECT_EQ(*translateEntry("a 300 IN TXT \"CAP cpu=1/2\""), "a 300 IN TXT \"CAP cpu=1/2\"");
  EXPECT_EQ(*translateEntry("a IN 300 cap queue=1"), "a IN 300 TYPE65281 \\# 8 0007000400000001");
  EXPECT_EQ(*translateEntry("  CAP queue=1"), "  TYPE65281 \\# 8 0007000400000001");
  EXPECT_EQ(*translateEntry("CAP CAP queue=1"), "CAP TYPE65281 \\# 8 0007000400000001");
}

TEST(ZoneLoader, ParseRrAndPrint) {
  auto rr = parseRr("sz1.centers.gba.example. 60 IN TIER class=P1.large score=5982");
  ASSERT_TRUE(rr.ok()) << rr.error().message;
  EXPECT_EQ(rrToText(rr->get()), "sz1.centers.gba.example.\t60\tIN\tTIER\tclass=P1.large score=5982");
  auto std = parseRr("a.example. 60 IN A 192.0.2.1");
  EXPECT_EQ(rrToText(std->get()), "a.example.\t60\tIN\tA\t192.0.2.1");
  EXPECT_FALSE(parseRr("a.example. 60 IN CAP load=7").ok());
}
