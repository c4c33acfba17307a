// Unit tests: zone building rejects broken zones with a message that names the problem.
#include <gtest/gtest.h>

#include "authority/zone.h"
#include "common/dns.h"
#include "rrtypes/zone_loader.h"

using namespace cdns;
using namespace cdns::authority;

namespace {
std::string buildError(const char* text) {
  auto file = rrtypes::loadZoneText(text, "z.zone", "example.test.");
  if (!file) return file.error().message;
  auto zone = Zone::build("example.test.", file->records, "z.zone");
  return zone ? "" : zone.error().message;
}
}  // namespace

TEST(Zone, RejectsBrokenZones) {
  const char* soa = "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
  struct Case {
    std::string text;
    const char* error;
  };
  const Case cases[] = {
      {"@ NS ns\n", "no SOA record at the apex"},
      {"@ SOA ns hm 1 2 3 4 5\n", "no NS records at the apex"},
      {std::string(soa) + "@ SOA ns hm 2 2 3 4 5\n", "more than one SOA"},
      {std::string(soa) + "x CNAME a\nx A 192.0.2.1\n", "CNAME and other data at x.example.test."},
      {std::string(soa) + "x CNAME a\nx CNAME b\n", "more than one CNAME"},
      {std::string(soa) + "www.other.test. A 192.0.2.1\n", "owner www.other.test. is outside the zone"},
      {std::string(soa) + "x SOA ns hm 1 2 3 4 5\n", "SOA record at x.example.test., not the apex"},
      {std::string(soa) + "x CH TXT \"a\"\n", "only class IN"},
  };
  for (const auto& c : cases) {
    std::string e = buildError(c.text.c_str());
    EXPECT_NE(e.find(c.error), std::string::npos) << c.text << "\n got: " << e;
    EXPECT_NE(e.rfind("z.zone: zone example.test.: ", 0), std::string::npos) << e;
  }
}

TEST(Zone, IndexesCutsAndEmptyNonTerminals) {
  auto file = rrtypes::loadZoneText("@ SOA ns hm 7 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nsub NS ns.sub\nns.sub A 192.0.2.2\n"
                                    "a.b.c A 192.0.2.3\na.b.c A 192.0.2.3\n",
                                    "z", "example.test.");
  ASSERT_TRUE(file.ok());
  auto zone = Zone::build("example.test.", file->records, "z");
  ASSERT_TRUE(zone.ok()) << zone.error().message;
  const Zone& z = **zone;
  EXPECT_EQ(z.serial(), 7u);
  EXPECT_EQ(z.recordCount(), 6u);  // the duplicate A is dropped
  auto name = [](const char* t) { return *dns::nameFromText(t); };
  ASSERT_NE(z.find(name("b.c.example.test.")), nullptr);
  EXPECT_TRUE(z.find(name("b.c.example.test."))->rrsets.empty());
  EXPECT_NE(z.find(name("c.example.test.")), nullptr);
  const Node* sub = z.find(name("sub.example.test."));
  ASSERT_NE(sub, nullptr);
  EXPECT_TRUE(sub->isDelegation());
  EXPECT_EQ(z.find(name("ns.sub.example.test."))->cut, sub);
  EXPECT_EQ(z.apex().cut, nullptr);
}
