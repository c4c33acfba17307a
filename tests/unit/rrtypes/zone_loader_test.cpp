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
      // RFC 3597 §5 numeric type of one of ours: checked exactly as under the mnemonic.
      {"a TYPE65281 \\# 4 00070004\n", "z.zone:1: CAP queue: length 4 overruns the rdata"},
      {"a 300 IN type65280 \\# 5 0001000109\n",
       "z.zone:1: SITE kind: enum value 9 is out of range"},
      {"a TYPE65280 \\# 0\n", "z.zone:1: SITE: mandatory key \"kind\" is missing"},
      {"a TYPE65283 pue=0.9\n", "z.zone:1: ENERGY pue: 0.9 is out of range (min 1)"},
      {"a SITE kind=ai region=\\255\n", "z.zone:1: SITE region: text is not valid UTF-8"},
      {"a SITE kind=ai region=\"x\\\ny\"\n",
       "z.zone:1: SITE region: text must be 1 to 255 bytes with no control"},
      {"a SITE kind=ai region=x\\\ny\nb CAP load=2\n", "z.zone:1: SITE region: text must be"},
      {"a CAP ts=2026-02-31T00:00:00Z\n", "z.zone:1: CAP ts: bad time"},
      {"a TXT x\\\n\n\nb CAP load=2\n", "z.zone:4: CAP load"},  // escaped newline counts as a line
      {"$ORIGIN a. b.\n", "z.zone:1: too many arguments to $ORIGIN"},
      {"$TTL 1 2\n", "z.zone:1: too many arguments to $TTL"},
      {"$INCLUDE f o. x\n", "z.zone:1: too many arguments to $INCLUDE"},
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

TEST(ZoneLoader, IncludeOriginIsRelativeToTheCurrentOrigin) {
  // RFC 1035 §5.1: $INCLUDE <file> [<origin>]; a relative origin is relative to the current one,
  // and the including file's origin is restored afterwards.
  std::string text =
      "$INCLUDE rrtypes_include.zone sub\n"
      "$INCLUDE rrtypes_include.zone other.example.\n"
      "$ORIGIN lower\n"
      "$INCLUDE rrtypes_include.zone sub\n"
      "y CAP queue=3\n";
  auto z = loadZoneText(text, CDNS_TEST_DATA "/main.zone", "gba.example.");
  ASSERT_TRUE(z.ok()) << z.error().message;
  std::vector<std::string> owners;
  for (const auto& rr : z->records) owners.push_back(ownerOf(rr.get()));
  EXPECT_EQ(owners,
            (std::vector<std::string>{"x.sub.gba.example.", "sub.gba.example.", "x.other.example.",
                                      "other.example.", "x.sub.lower.gba.example.",
                                      "sub.lower.gba.example.", "y.lower.gba.example."}));
}

TEST(ZoneLoader, RelativeOwnerNeedsAnOrigin) {
  auto z = loadZoneText("x CAP queue=1\n", "z.zone", "");
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().message, "z.zone:1: relative name \"x\" with no origin");
  auto ok =
      loadZoneText("$ORIGIN gba.example.\nx CAP queue=1\nabs.example. CAP queue=2\n", "z.zone", "");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ownerOf(ok->records[0].get()), "x.gba.example.");
  EXPECT_TRUE(loadZoneText("abs.example. CAP queue=2\n", "z.zone", "").ok());
}

TEST(ZoneLoader, TranslateEntryLeavesOtherTypesAlone) {
  EXPECT_EQ(*translateEntry("a 300 IN TXT \"CAP cpu=1/2\""), "a 300 IN TXT \"CAP cpu=1/2\"");
  EXPECT_EQ(*translateEntry("a IN 300 cap queue=1"), "a IN 300 TYPE65281 \\# 8 0007000400000001");
  EXPECT_EQ(*translateEntry("  CAP queue=1"), "  TYPE65281 \\# 8 0007000400000001");
  EXPECT_EQ(*translateEntry("CAP CAP queue=1"), "CAP TYPE65281 \\# 8 0007000400000001");
  // Our types under their RFC 3597 names are checked and canonicalised like the mnemonics.
  EXPECT_EQ(*translateEntry("a 300 IN TYPE65281 \\# 8 00070004 00000001"),
            "a 300 IN TYPE65281 \\# 8 0007000400000001");
  EXPECT_EQ(*translateEntry("a type65281 queue=1"), "a TYPE65281 \\# 8 0007000400000001");
  EXPECT_EQ(*translateEntry("a TYPE65535 \\# 1 00"), "a TYPE65535 \\# 1 00");  // not ours
  auto numeric = translateEntry("a TYPE65281 \\# 4 00070004");
  auto mnemonic = translateEntry("a CAP \\# 4 00070004");
  ASSERT_FALSE(numeric.ok());
  ASSERT_FALSE(mnemonic.ok());
  EXPECT_EQ(numeric.error().message, mnemonic.error().message);
  EXPECT_EQ(numeric.error().message, "CAP queue: length 4 overruns the rdata");
}

TEST(ZoneLoader, ParseRrAndPrint) {
  auto rr = parseRr("sz1.centers.gba.example. 60 IN TIER class=P1.large score=5982");
  ASSERT_TRUE(rr.ok()) << rr.error().message;
  EXPECT_EQ(rrToText(rr->get()), "sz1.centers.gba.example.\t60\tIN\tTIER\tclass=P1.large score=5982");
  auto std = parseRr("a.example. 60 IN A 192.0.2.1");
  EXPECT_EQ(rrToText(std->get()), "a.example.\t60\tIN\tA\t192.0.2.1");
  EXPECT_FALSE(parseRr("a.example. 60 IN CAP load=7").ok());
}
