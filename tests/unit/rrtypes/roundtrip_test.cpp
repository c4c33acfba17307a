// The round-trip table: every type and every key, text -> wire -> text, text -> JSON -> text,
// wire -> generic -> wire. A key missing from the table fails the coverage test.
#include <gtest/gtest.h>

#include <set>

#include "common/wire.h"
#include "rrtypes/rdata.h"
#include "rrtypes/registry.h"

using namespace cdns::rrtypes;

namespace {

struct Row {
  const char* type;
  const char* input;      // any accepted spelling
  const char* canonical;  // the one printed form
};

const Row kRows[] = {
    {"SITE",
     "kind=ai region=shenzhen geo=22.543096,114.057865 jurisdiction=CN-GD operator=\"Shenzhen "
     "Compute Co\" "
     "tee=tdx,sgx links=otn,ip ts=1795843200",
     "ts=1795843200 kind=ai region=shenzhen geo=22.543096,114.057865 jurisdiction=CN-GD "
     "operator=\"Shenzhen Compute Co\" tee=tdx,sgx links=otn,ip"},
    {"SITE", "kind=AI  geo=-33.8688,+151.2093 jurisdiction=HK",
     "kind=ai geo=-33.8688,151.2093 jurisdiction=HK"},
    {"SITE", "kind=edge region=\"Hong \\\"Kong\\\"\" links=internet tee=sev-snp",
     "kind=edge region=\"Hong \\\"Kong\\\"\" tee=sev-snp links=internet"},
    {"SITE", "ts=2026-11-28T05:20:00Z kind=hpc", "ts=1795843200 kind=hpc"},
    {"CAP",
     "cpu=1024/4096 gpu=H200:12/64,A100:0/8 mem=9T/32T disk=120T/500T nodes=3/64 load=0.62 queue=3 "
     "running=41 part=gpu ts=1795843200",
     "ts=1795843200 cpu=1024/4096 gpu=H200:12/64,A100:0/8 mem=9T/32T disk=120T/500T nodes=3/64 "
     "load=0.62 "
     "queue=3 running=41 part=gpu"},
    {"CAP", "mem=9TiB/32TB disk=1.5T/2T load=1", "mem=9T/32T disk=1536G/2T load=1"},
    {"CAP", "mem=1000/1024 disk=0/0 load=0.625000", "mem=1000/1K disk=0/0 load=0.625"},
    {"CAP", "key7=5 key40000=0a0b key40001=", "queue=5 key40000=0a0b key40001="},
    {"PRICE",
     "currency=CNY cpu-hour=0.12 gpu-hour=H200:18.5,A100:9 mem-gb-hour=0.002 storage-gb-month=0.15 "
     "egress-gb=0.5 billing=metered ts=1795843200",
     "ts=1795843200 currency=CNY cpu-hour=0.12 gpu-hour=H200:18.5,A100:9 mem-gb-hour=0.002 "
     "storage-gb-month=0.15 egress-gb=0.5 billing=metered"},
    {"PRICE", "currency=HKD billing=SPOT cpu-hour=0.000001",
     "currency=HKD cpu-hour=0.000001 billing=spot"},
    {"ENERGY", "power=820kW pue=1.25 carbon=410 renewable=35% ts=1795843200",
     "ts=1795843200 power=820kW pue=1.25 carbon=410 renewable=35%"},
    {"ENERGY", "power=820000 renewable=35", "power=820kW renewable=35%"},
    {"ENERGY", "power=1.2M pue=1", "power=1200kW pue=1"},
    {"ENERGY", "power=1500 renewable=0.5%", "power=1500W renewable=0.5%"},
    {"NETQ", "peer=gz1 link=otn bw=400G rtt=1.8ms jitter=0.1ms loss=0 ts=1795843200",
     "ts=1795843200 peer=gz1 link=otn bw=400G rtt=1.8ms jitter=100us loss=0%"},
    {"NETQ", "peer=hk bw=400Gbps rtt=1800us jitter=2s loss=0.01%",
     "peer=hk bw=400G rtt=1.8ms jitter=2000ms loss=0.01%"},
    {"NETQ", "peer=internet bw=2.5G rtt=0us", "peer=internet bw=2500M rtt=0us"},
    {"DATA",
     "name=imagenet-2012 size=150G digest=sha256:9f86d081 class=public movable=yes ts=1795843200",
     "ts=1795843200 name=imagenet-2012 size=150G digest=sha256:9f86d081 class=public movable=yes"},
    {"DATA", "movable=no class=restricted name=\"genomes 2026\" size=1000",
     "name=\"genomes 2026\" size=1000 class=restricted movable=no"},
    {"TIER", "class=P1.large score=5982 bench=resnet50-fp16-train unit=images/s ts=1795843200",
     "ts=1795843200 class=P1.large score=5982 bench=resnet50-fp16-train unit=images/s"},
    {"TIER", "class=B1.small score=4211.5", "class=B1.small score=4211.5"},
    // UTF-8 text is kept as it is, in text and JSON alike.
    {"SITE", "kind=ai region=\"深圳\" operator=深圳计算有限公司",
     "kind=ai region=深圳 operator=深圳计算有限公司"},
    {"NETQ", "peer=香港-1 link=ip", "peer=香港-1 link=ip"},
    // RFC 1035 §5.1 escapes, bare and quoted: \X is X, \DDD the octet DDD (here the UTF-8 of 深圳).
    {"SITE", "kind=\\097i region=Hong\\032Kong operator=\"a\\059b\\\\c\"",
     "kind=ai region=\"Hong Kong\" operator=\"a;b\\\\c\""},
    {"SITE", "kind=ai region=\\230\\183\\177\\229\\156\\179 operator=\\\"x\\\"",
     "kind=ai region=深圳 operator=\"\\\"x\\\"\""},
    {"SITE", "kind=hpc operator=\"a;b\" region=x(y)", "kind=hpc region=\"x(y)\" operator=\"a;b\""},
    {"DATA", "name=a\\ b digest=\"tab\\032\\\\\"", "name=\"a b\" digest=\"tab \\\\\""},
    // Case-sensitive unit spellings.
    {"NETQ", "peer=x bw=1kbps rtt=5\u00b5s jitter=5\u03bcs", "peer=x bw=1K rtt=5us jitter=5us"},
    {"NETQ", "peer=x bw=2Tb/s rtt=1s", "peer=x bw=2T rtt=1000ms"},
    {"DATA", "name=x size=1KB", "name=x size=1K"},
    {"DATA", "name=x size=3MiB", "name=x size=3M"},
    {"ENERGY", "power=5k pue=1.000", "power=5kW pue=1"},
    {"CAP", "ts=2024-02-29T23:59:59Z", "ts=1709251199"},
    // At and near the maxima; JSON numbers must convert back exactly.
    {"TIER", "class=x score=999999999999.999", "class=x score=999999999999.999"},
    {"TIER", "class=y score=1000000000000 ts=18446744073709551615",
     "ts=18446744073709551615 class=y score=1000000000000"},
    {"PRICE",
     "currency=CNY cpu-hour=999999999.999999 egress-gb=1000000000 gpu-hour=H200:999999999.999999",
     "currency=CNY cpu-hour=999999999.999999 gpu-hour=H200:999999999.999999 egress-gb=1000000000"},
    {"PRICE", "currency=CNY mem-gb-hour=0.000001 storage-gb-month=123456789.123456",
     "currency=CNY mem-gb-hour=0.000001 storage-gb-month=123456789.123456"},
    {"CAP",
     "cpu=4294967295/4294967295 mem=18446744073709551615/18446744073709551615 load=0.999999 "
     "queue=4294967295",
     "cpu=4294967295/4294967295 mem=18446744073709551615/18446744073709551615 load=0.999999 "
     "queue=4294967295"},
    {"ENERGY", "power=18446744073709551615 pue=10 carbon=5000 renewable=99.9999%",
     "power=18446744073709551615W pue=10 carbon=5000 renewable=99.9999%"},
    {"NETQ", "peer=x rtt=4294967295us jitter=0.001ms loss=100%",
     "peer=x rtt=4294967.295ms jitter=1us loss=100%"},
    {"SITE", "kind=ai geo=-89.999999,-179.999999", "kind=ai geo=-89.999999,-179.999999"},
    {"SITE", "kind=ai geo=90,180", "kind=ai geo=90,180"},
};

const TypeDef& typeOf(const char* name) {
  const TypeDef* t = findType(name);
  EXPECT_NE(t, nullptr) << name;
  return *t;
}

}  // namespace

TEST(RoundTrip, TextWireText) {
  for (const auto& row : kRows) {
    const TypeDef& t = typeOf(row.type);
    auto wire = parseText(t, row.input);
    ASSERT_TRUE(wire.ok()) << row.type << " " << row.input << ": " << wire.error().message;
    auto text = toText(t, *wire);
    ASSERT_TRUE(text.ok()) << text.error().message;
    EXPECT_EQ(*text, row.canonical) << row.input;
    auto again = parseText(t, *text);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *wire) << row.canonical;
  }
}

TEST(RoundTrip, TextJsonText) {
  for (const auto& row : kRows) {
    const TypeDef& t = typeOf(row.type);
    auto wire = parseText(t, row.canonical);
    ASSERT_TRUE(wire.ok()) << row.canonical;
    auto j = toJson(t, *wire);
    ASSERT_TRUE(j.ok()) << j.error().message;
    // Through the serialised JSON text, as a script would see it.
    auto reparsed = nlohmann::json::parse(j->dump());
    auto back = fromJson(t, reparsed);
    ASSERT_TRUE(back.ok()) << j->dump() << ": " << back.error().message;
    EXPECT_EQ(*back, *wire) << j->dump();
    EXPECT_EQ(*toText(t, *back), row.canonical);
  }
}

TEST(RoundTrip, WireGenericWire) {
  for (const auto& row : kRows) {
    const TypeDef& t = typeOf(row.type);
    auto wire = parseText(t, row.input);
    ASSERT_TRUE(wire.ok());
    std::string generic = toGeneric(*wire);
    EXPECT_EQ(generic.rfind("\\# " + std::to_string(wire->size()), 0), 0u) << generic;
    auto back = parseGeneric(generic);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, *wire);
  }
}

TEST(RoundTrip, TableCoversEveryTypeAndKey) {
  std::set<std::pair<uint16_t, uint16_t>> seen;
  for (const auto& row : kRows) {
    const TypeDef& t = typeOf(row.type);
    auto wire = parseText(t, row.input);
    ASSERT_TRUE(wire.ok());
    auto params = decodeParams(t, *wire);
    ASSERT_TRUE(params.ok());
    for (const auto& p : *params) seen.insert({t.code, p.key});
  }
  for (const auto& t : allTypes())
    for (const auto& k : t.keys)
      EXPECT_TRUE(seen.count({t.code, k.number})) << t.name << " key " << k.name << " has no round-trip row";
}

TEST(Json, TypedValues) {
  const TypeDef& cap = typeOf("CAP");
  auto wire = parseText(cap, "cpu=1024/4096 gpu=H200:12/64 mem=9T/32T load=0.62 queue=3 ts=1795843200");
  ASSERT_TRUE(wire.ok());
  auto j = *toJson(cap, *wire);
  EXPECT_EQ(j["cpu"]["free"], 1024);
  EXPECT_EQ(j["cpu"]["total"], 4096);
  EXPECT_EQ(j["mem"]["total"], 32ULL << 40);
  EXPECT_DOUBLE_EQ(j["load"].get<double>(), 0.62);
  EXPECT_EQ(j["queue"], 3);
  EXPECT_EQ(j["ts"], 1795843200);
  EXPECT_EQ(j["gpu"][0]["model"], "H200");
  const TypeDef& netq = typeOf("NETQ");
  auto nj = *toJson(netq, *parseText(netq, "peer=gz1 rtt=1.8ms bw=400G loss=0.5%"));
  EXPECT_DOUBLE_EQ(nj["rtt"].get<double>(), 1.8);
  EXPECT_EQ(nj["bw"], 400'000'000'000ULL);
  EXPECT_DOUBLE_EQ(nj["loss"].get<double>(), 0.5);
}

TEST(Json, NumbersConvertExactly) {
  // A JSON number is taken as the decimal it stands for, in its shortest round-trip form:
  // nothing is rounded to fit, and exponent forms are expanded exactly.
  struct Case {
    const char* type;
    const char* json;
    const char* text;  // nullptr: rejected
  };
  const Case cases[] = {
      {"CAP", R"({"load":1e-6})", "load=0.000001"},
      {"CAP", R"({"load":6.2e-1})", "load=0.62"},
      {"CAP", R"({"load":0.620000000000000000001})", "load=0.62"},  // the same double as 0.62
      {"CAP", R"({"load":0.6200000000000001})", nullptr},           // the next double up
      {"CAP", R"({"load":1})", "load=1"},
      {"TIER", R"({"class":"x","score":1.5e11})", "class=x score=150000000000"},
      {"TIER", R"({"class":"x","score":1E+3})", "class=x score=1000"},
      {"SITE", R"({"kind":"ai","geo":{"lat":-1e-6,"lon":0}})", "kind=ai geo=-0.000001,0"},
      {"NETQ", R"({"peer":"x","rtt":1.8,"jitter":2000,"loss":12.5})",
       "peer=x rtt=1.8ms jitter=2000ms loss=12.5%"},
  };
  for (const auto& c : cases) {
    const TypeDef& t = typeOf(c.type);
    auto wire = fromJson(t, nlohmann::json::parse(c.json));
    if (!c.text) {
      EXPECT_FALSE(wire.ok()) << c.json;
      continue;
    }
    ASSERT_TRUE(wire.ok()) << c.json << ": " << wire.error().message;
    EXPECT_EQ(*toText(t, *wire), c.text) << c.json;
  }
}

TEST(Wire, LayoutIsSortedKeyLengthValue) {
  const TypeDef& cap = typeOf("CAP");
  auto wire = parseText(cap, "queue=3 cpu=1/2");
  ASSERT_TRUE(wire.ok());
  // key 1 (cpu) len 8: 1, 2; key 7 (queue) len 4: 3
  EXPECT_EQ(cdns::toHex(*wire), "0001000800000001000000020007000400000003");
}

TEST(Registry, CodesAndNames) {
  EXPECT_EQ(findType("cap")->code, 65281);
  EXPECT_EQ(findType(65286)->name, "TIER");
  EXPECT_EQ(findType(65287), nullptr);
  EXPECT_EQ(findType(uint16_t{1}), nullptr);
  for (const auto& t : allTypes()) {
    EXPECT_GE(t.code, 65280);
    EXPECT_LT(t.code, 65534);  // 65534 is BIND's own
    EXPECT_NE(t.key(kKeyTs), nullptr) << t.name;
    for (size_t i = 1; i < t.keys.size(); ++i) EXPECT_LT(t.keys[i - 1].number, t.keys[i].number);
    for (const auto& k : t.keys) {
      // A decimal is a JSON number (a double) that must convert back exactly: at most 15
      // significant digits, so a maximum (scaled) of 10^15.
      if (k.kind == ValueKind::kDecimal || k.kind == ValueKind::kModelPrice) {
        EXPECT_NE(k.max, 0u) << t.name << " " << k.name;
        EXPECT_LE(k.max, 1'000'000'000'000'000ULL) << t.name << " " << k.name;
      }
      if (k.max) {
        EXPECT_LE(k.min, k.max) << t.name << " " << k.name;
      }
    }
  }
  EXPECT_EQ(findType("TYPE65281")->name, "CAP");
  EXPECT_EQ(findType("type65286")->name, "TIER");
  EXPECT_EQ(findType("TYPE1"), nullptr);
  EXPECT_EQ(findType("TYPE"), nullptr);
  EXPECT_EQ(findType("TYPE165281"), nullptr);
  EXPECT_EQ(findType("TYPE6528x"), nullptr);
  EXPECT_EQ(findType("ENERGY")->key("pue")->min, 1000u);
}
