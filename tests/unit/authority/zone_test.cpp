// Unit tests: zone building rejects broken zones with a message that names the problem.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "common/wire.h"

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
  EXPECT_EQ(z.cutOf(*z.find(name("ns.sub.example.test."))), sub);
  EXPECT_EQ(z.cutOf(z.apex()), nullptr);
  EXPECT_EQ(z.apex().children, 3u);  // ns, sub, c
}

namespace {
// Every node of `z` by name: rrsets (sorted rdata), cut and children, for comparing versions.
std::map<std::string, std::string> dump(const Zone& z) {
  std::map<std::string, std::string> out;
  Zone::Cursor c;
  while (const Node* n = z.next(c)) {
    std::string d = "cut=" + std::to_string(n->cutLen) + " children=" + std::to_string(n->children);
    for (const auto& s : n->rrsets) {
      auto rd = s.rdata;
      std::sort(rd.begin(), rd.end());
      d += " " + std::to_string(s.type) + "/" + std::to_string(s.ttl) + ":";
      for (const auto& r : rd) d += cdns::toHex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(r.data()), r.size())) + ",";
    }
    EXPECT_TRUE(out.emplace(n->name, d).second) << "node listed twice: " << dns::nameToText(n->name);
  }
  return out;
}
}  // namespace

TEST(Zone, ApplyMatchesARebuildFromScratch) {
  auto file = rrtypes::loadZoneText("@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n", "z", "example.test.");
  ASSERT_TRUE(file.ok());
  auto zone = Zone::build("example.test.", file->records, "z");
  ASSERT_TRUE(zone.ok());
  std::shared_ptr<const Zone> z = *zone;
  std::vector<Record> truth = z->records();
  const char* owners[] = {"a.example.test.", "b.a.example.test.", "c.b.a.example.test.", "d.example.test.",
                          "x.d.example.test.", "deleg.example.test.", "h.deleg.example.test.", "y.x.d.example.test."};
  uint32_t seed = 12345;
  auto rnd = [&](uint32_t n) {
    seed = seed * 1103515245 + 12345;
    return (seed >> 16) % n;
  };
  for (int step = 0; step < 3000; ++step) {
    std::vector<Record> removed, added;
    int changes = 1 + static_cast<int>(rnd(3));
    for (int c = 0; c < changes; ++c) {
      std::string owner = *dns::nameFromText(owners[rnd(std::size(owners))]);
      bool ns = owner == *dns::nameFromText("deleg.example.test.") && rnd(2);
      std::string rdata = ns ? *dns::nameFromText("ns.deleg.example.test.") : std::string("\xc0\x00\x02") + char('0' + rnd(3));
      Record r{owner, static_cast<uint16_t>(ns ? dns::kNS : dns::kA), 300, rdata};
      if (rnd(2)) {
        added.push_back(r);
        if (std::find(truth.begin(), truth.end(), r) == truth.end()) truth.push_back(r);
      } else {
        removed.push_back(r);
        truth.erase(std::remove(truth.begin(), truth.end(), r), truth.end());
      }
    }
    // apply() removes first, then adds: mirror that order in the truth.
    for (const auto& r : added)
      if (std::find(truth.begin(), truth.end(), r) == truth.end()) truth.push_back(r);
    z = z->apply(removed, added);
    if (step % 50 == 0 || step == 2999) {
      auto rebuilt = Zone::fromRecords("example.test.", truth, "truth");
      ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
      ASSERT_EQ(dump(*z), dump(**rebuilt)) << "step " << step;
      EXPECT_EQ(z->recordCount(), (*rebuilt)->recordCount());
      EXPECT_EQ(z->nodeCount(), dump(**rebuilt).size());
    }
  }
}
