// Bad input rows: each strictness rule gives a clear error naming the key and the problem.
#include <gtest/gtest.h>

#include "common/wire.h"
#include "rrtypes/rdata.h"
#include "rrtypes/registry.h"

using namespace cdns::rrtypes;

namespace {

struct BadRow {
  const char* type;
  const char* input;
  const char* error;  // a substring the message must contain
};

const BadRow kBadText[] = {
    {"CAP", "cpu=5/4", "CAP cpu: free 5 exceeds total 4"},
    {"CAP", "load=1.5", "CAP load: 1.5 is out of range (max 1)"},
    {"CAP", "load=0.1234567", "more than 6 decimal places"},
    {"CAP", "load=.5", "bad number"},
    {"CAP", "load=0.5.1", "bad number"},
    {"CAP", "mem=9X/32T", "CAP mem: unknown unit \"X\""},
    {"CAP", "mem=0.5/1", "not a whole number"},
    {"CAP", "mem=99999999E/99999999E", "out of range"},
    {"CAP", "mem=1T", "expected free/total"},
    {"CAP", "cpu=1/2 cpu=1/2", "key \"cpu\" appears twice"},
    {"CAP", "cpu=1/2 key1=1/2", "appears twice"},
    {"CAP", "foo=1", "unknown key \"foo\""},
    {"CAP", "queue", "expected key=value"},
    {"CAP", "queue=-1", "CAP queue: expected an integer"},
    {"CAP", "queue=99999999999", "out of range"},
    {"CAP", "queue=", "expected an integer"},
    {"CAP", "gpu=H200", "expected model:free/total"},
    {"CAP", "gpu=H200:1/2,H200:1/2", "model \"H200\" listed twice"},
    {"CAP", "gpu=H$:1/2", "bad model name"},
    {"CAP", "gpu=H200:3/2", "H200: free 3 exceeds total 2"},
    {"CAP", "part=\"a\"b", "text after the closing quote"},
    {"CAP", "key40000=xyz", "must be hex"},
    {"CAP", "key70000=00", "unknown key"},
    {"CAP", "ts=2026-13-01T00:00:00Z", "bad time"},
    {"CAP", "ts=soon", "expected an integer"},
    {"SITE", "kind=quantum",
     "SITE kind: unknown value \"quantum\" (expected one of: ai, hpc, cloud, edge)"},
    {"SITE", "region=x", "mandatory key \"kind\" is missing"},
    {"SITE", "kind=ai jurisdiction=china", "not an ISO 3166 code"},
    {"SITE", "kind=ai geo=91,0", "latitude: coordinate out of range"},
    {"SITE", "kind=ai geo=1,181", "longitude: coordinate out of range"},
    {"SITE", "kind=ai geo=1", "expected lat,lon"},
    {"SITE", "kind=ai links=otn,otn", "\"otn\" listed twice"},
    {"SITE", "kind=ai links=otn,wifi", "unknown value \"wifi\""},
    {"SITE", "kind=ai tee=TDX", "bad token"},
    {"SITE", "kind=ai tee=tdx,tdx", "listed twice"},
    {"SITE", "kind=ai region=\"unterminated", "unterminated quoted value"},
    {"SITE", "kind=ai region=\"\"", "text must be 1 to 255 bytes"},
    {"PRICE", "currency=yuan", "not an ISO 4217 code"},
    {"PRICE", "currency=CNY gpu-hour=H200", "expected model:price"},
    {"PRICE", "currency=CNY cpu-hour=1e3", "bad number"},
    {"PRICE", "cpu-hour=1", "mandatory key \"currency\""},
    {"PRICE", "currency=CNY billing=weekly", "unknown value \"weekly\""},
    {"NETQ", "peer=gz1 rtt=5", "needs a unit (us, ms or s)"},
    {"NETQ", "peer=gz1 rtt=5h", "unknown unit \"h\""},
    {"NETQ", "peer=gz1 rtt=5000s", "out of range"},
    {"NETQ", "peer=gz1 rtt=0.5us", "not a whole number"},
    {"NETQ", "peer=gz1 loss=101%", "over 100%"},
    {"NETQ", "peer=gz1 bw=1.5", "not a whole number"},
    {"ENERGY", "pue=11", "ENERGY pue: 11 is out of range (max 10)"},
    {"ENERGY", "carbon=6000", "out of range"},
    {"ENERGY", "power=5 kW", "expected key=value"},
    {"DATA", "name=x movable=maybe", "unknown value \"maybe\" (expected one of: no, yes)"},
    {"DATA", "name=x size=10Q", "unknown unit"},
    {"TIER", "score=1", "mandatory key \"class\""},
    {"TIER", "class=P1 score=1.0001", "more than 3 decimal places"},
    {"TIER", "class=x score=1000000000000.001",
     "TIER score: 1000000000000.001 is out of range (max 1000000000000)"},
    {"ENERGY", "pue=0.9", "ENERGY pue: 0.9 is out of range (min 1)"},
    {"ENERGY", "pue=0", "ENERGY pue: 0 is out of range (min 1)"},
    // Units are case-sensitive: "mW" is not megawatts, "tb" is not terabytes.
    {"ENERGY", "power=5mW", "ENERGY power: unknown unit \"mW\" for watts"},
    {"ENERGY", "power=5w", "unknown unit \"w\""},
    {"ENERGY", "power=5KW", "unknown unit \"KW\""},
    {"CAP", "mem=1tb/2T", "CAP mem: unknown unit \"tb\" for bytes"},
    {"DATA", "name=x size=1kB", "unknown unit \"kB\""},
    {"DATA", "name=x size=1Kib", "unknown unit \"Kib\""},
    {"NETQ", "peer=x bw=1kBps", "NETQ bw: unknown unit \"kBps\" for bit/s"},
    {"NETQ", "peer=x bw=1gbps", "unknown unit \"gbps\""},
    {"NETQ", "peer=x rtt=5MS", "NETQ rtt: unknown unit \"MS\" for microseconds"},
    {"NETQ", "peer=x rtt=5S", "unknown unit \"S\""},
    // RFC 3339 times must exist; only YYYY-MM-DDTHH:MM:SSZ goes to the date parser.
    {"CAP", "ts=2026-02-31T00:00:00Z", "CAP ts: bad time \"2026-02-31T00:00:00Z\""},
    {"CAP", "ts=2025-02-29T00:00:00Z", "bad time"},
    {"CAP", "ts=2026-11-28T24:00:00Z", "bad time"},
    {"CAP", "ts=2026-11-28T05:20:60Z", "bad time"},
    {"CAP", "ts=1969-12-31T23:59:59Z", "bad time"},
    {"CAP", "ts=-1",
     "CAP ts: expected an integer (Unix seconds) or YYYY-MM-DDTHH:MM:SSZ, got \"-1\""},
    {"CAP", "ts=2026-11-28", "expected an integer"},
    {"CAP", "ts=2026-11-28T05:20:00+08:00", "expected an integer"},
    {"CAP", "ts=+5", "expected an integer"},
    {"CAP", "ts=18446744073709551616",
     "CAP ts: 18446744073709551616 is out of range (max 18446744073709551615)"},
    // Text is UTF-8 with no control characters, however it is written.
    {"SITE", "kind=ai region=\\255", "SITE region: text is not valid UTF-8"},
    {"SITE", "kind=ai region=\"\\192\\175\"", "text is not valid UTF-8"},        // overlong '/'
    {"SITE", "kind=ai region=\\237\\160\\128", "text is not valid UTF-8"},       // surrogate
    {"SITE", "kind=ai region=\\230\\183", "text is not valid UTF-8"},            // cut short
    {"SITE", "kind=ai region=\\244\\144\\128\\128", "text is not valid UTF-8"},  // over U+10FFFF
    {"SITE", "kind=ai region=\"\xe6\xb7\"", "text is not valid UTF-8"},
    {"SITE", "kind=ai region=\\007",
     "SITE region: text must be 1 to 255 bytes with no control characters"},
    {"SITE", "kind=ai region=\\194\\133", "no control characters"},  // U+0085, C1
    {"SITE", "kind=ai region=\"a\\127\"", "no control characters"},
    // Escapes (RFC 1035 §5.1).
    {"SITE", "kind=ai region=\\300", "SITE region: bad escape \"\\300\" (over 255)"},
    {"SITE", "kind=ai region=\\12", "SITE region: bad escape \"\\12\" (\\DDD takes three digits)"},
    {"SITE", "kind=ai region=\"\\1x2\"", "bad escape"},
    {"SITE", "kind=ai region=a\\", "SITE region: backslash at the end of the value"},
    {"SITE", "kind=ai region=\"a\\\"", "SITE region: unterminated quoted value"},
    {"SITE", "kind=a\\105x", "SITE kind: unknown value \"aix\""},  // escapes decoded first
};

struct BadWire {
  const char* type;
  const char* hex;
  const char* error;
};

const BadWire kBadWire[] = {
    {"CAP", "00070004000000010006000800000000000f4240", "key \"load\" out of order"},
    {"CAP", "00070004000000010007000400000001", "key \"queue\" appears twice"},
    {"CAP", "0007000800000001", "CAP queue: length 8 overruns the rdata"},
    {"CAP", "000700040000000100", "truncated key header"},
    {"CAP", "00070002 0001", "CAP queue: wire value length 2 (expected 4)"},
    {"CAP", "0006000800000000001e8480", "CAP load: 2 is out of range"},
    {"CAP", "00010008 00000005 00000004", "CAP cpu: free exceeds total"},
    {"CAP", "0002000a 04483230 30000000 0100", "list entry overruns"},
    {"CAP", "0002000b 00 00000001 00000002 0000", "bad model name"},
    {"SITE", "0001000109", "SITE kind: enum value 9 is out of range"},
    {"SITE", "", "mandatory key \"kind\" is missing"},
    {"SITE", "00010001 00 0002 0002 410a", "no control characters"},
    {"SITE", "00010001 00 00030008 7fffffff 00000000", "coordinate out of range"},
    {"SITE", "00010001 00 00070002 0000", "listed twice"},
    {"SITE", "00010001 00 00040002 636e", "not an ISO 3166 code"},
    {"NETQ", "00010002 677a 00060004 000f4241", "over 100%"},
    {"SITE", "00010001 00 00020001 ff", "SITE region: text is not valid UTF-8"},
    {"SITE", "00010001 00 00020002 c0af", "SITE region: text is not valid UTF-8"},    // overlong
    {"SITE", "00010001 00 00020003 eda080", "SITE region: text is not valid UTF-8"},  // surrogate
    {"SITE", "00010001 00 00020002 e6b7", "SITE region: text is not valid UTF-8"},    // cut short
    {"SITE", "00010001 00 00020002 c285",
     "SITE region: text must be 1 to 255 bytes with no control"},
    {"ENERGY", "00020008 0000000000000384", "ENERGY pue: 0.9 is out of range (min 1)"},
    {"ENERGY", "00030004 00001389", "ENERGY carbon: 5001 is out of range (max 5000)"},
    {"TIER", "00010001 78 00020008 00038d7ea4c68001",
     "TIER score: 1000000000000.001 is out of range (max 1000000000000)"},
};

}  // namespace

TEST(BadInput, TextIsRejectedWithAClearError) {
  for (const auto& row : kBadText) {
    const TypeDef* t = findType(row.type);
    ASSERT_NE(t, nullptr);
    auto r = parseText(*t, row.input);
    ASSERT_FALSE(r.ok()) << row.type << " " << row.input << " was accepted";
    EXPECT_NE(r.error().message.find(row.error), std::string::npos)
        << row.input << "\n  got:  " << r.error().message << "\n  want: " << row.error;
  }
}

TEST(BadInput, WireIsRejectedWithAClearError) {
  for (const auto& row : kBadWire) {
    const TypeDef* t = findType(row.type);
    std::vector<uint8_t> wire;
    ASSERT_TRUE(cdns::fromHex(row.hex, wire)) << row.hex;
    auto r = toText(*t, wire);
    ASSERT_FALSE(r.ok()) << row.hex << " was accepted as " << *r;
    EXPECT_NE(r.error().message.find(row.error), std::string::npos)
        << row.hex << "\n  got:  " << r.error().message << "\n  want: " << row.error;
    EXPECT_FALSE(toJson(*t, wire).ok());
    EXPECT_FALSE(decodeParams(*t, wire).ok());
  }
}

TEST(BadInput, GenericForm) {
  EXPECT_NE(parseGeneric("\\# 3 0102").error().message.find("length says 3 but 2 bytes follow"), std::string::npos);
  EXPECT_NE(parseGeneric("# 1 01").error().message.find("must start with"), std::string::npos);
  EXPECT_NE(parseGeneric("\\# 1 0g").error().message.find("bad hex"), std::string::npos);
  EXPECT_NE(parseGeneric("\\# 70000 00").error().message.find("out of range"), std::string::npos);
  EXPECT_NE(parseGeneric("\\# x").error().message.find("needs a length"), std::string::npos);
  EXPECT_TRUE(parseGeneric("\\# 0").ok());
  EXPECT_TRUE(parseGeneric("\\# 2 01 02").ok());
}

TEST(BadInput, Json) {
  // JSON input is as strict as text: no rounding, integers where the value is whole. Full messages.
  struct JsonRow {
    const char* type;
    const char* json;
    const char* error;
  };
  const JsonRow rows[] = {
      {"CAP", R"({"nope":1})",
       R"(CAP: unknown key "nope" (known: ts, cpu, gpu, mem, disk, nodes, load, queue, running, part))"},
      {"CAP", R"({"nope":"00"})",
       R"(CAP: unknown key "nope" (known: ts, cpu, gpu, mem, disk, nodes, load, queue, running, part))"},
      {"CAP", R"({"key40000":1})", "CAP key40000: value of an unknown key must be a hex string"},
      {"CAP", R"([1])", "CAP: expected a JSON object"},
      {"CAP", R"({"load":"x"})", "CAP load: expected a non-negative number"},
      {"CAP", R"({"load":-1})", "CAP load: expected a non-negative number, got -1"},
      {"CAP", R"({"load":1.5})", "CAP load: 1.5 is out of range (max 1)"},
      {"CAP", R"({"load":0.1234567})", R"(CAP load: "0.1234567" has more than 6 decimal places)"},
      {"CAP", R"({"load":1e-7})", R"(CAP load: "0.0000001" has more than 6 decimal places)"},
      {"CAP", R"({"load":1e300})", "CAP load: 1e+300 is out of range"},
      {"CAP", R"({"queue":1.5})", "CAP queue: expected an integer, got 1.5"},
      {"CAP", R"({"queue":1.0})", "CAP queue: expected an integer, got 1.0"},
      {"CAP", R"({"queue":-1})", "CAP queue: expected a non-negative integer, got -1"},
      {"CAP", R"({"queue":"1"})", "CAP queue: expected an integer"},
      {"CAP", R"({"ts":1.5})", "CAP ts: expected an integer, got 1.5"},
      {"CAP", R"({"ts":"-1"})",
       R"(CAP ts: expected an integer (Unix seconds) or YYYY-MM-DDTHH:MM:SSZ, got "-1")"},
      {"CAP", R"({"ts":"2026-02-31T00:00:00Z"})",
       R"(CAP ts: bad time "2026-02-31T00:00:00Z" (not a real UTC date and time, or before 1970))"},
      {"CAP", R"({"cpu":{"free":5}})", R"(CAP cpu: expected {"free": n, "total": n})"},
      {"CAP", R"({"cpu":{"free":5,"total":4}})", "CAP cpu: free 5 exceeds total 4"},
      {"CAP", R"({"cpu":{"free":1.5,"total":2}})", "CAP cpu: free: expected an integer, got 1.5"},
      {"CAP", R"({"cpu":{"free":1,"total":2,"used":1}})", R"(CAP cpu: unexpected member "used")"},
      {"CAP", R"({"mem":{"free":1e3,"total":2000}})",
       "CAP mem: free: expected an integer, got 1000.0"},
      {"CAP", R"({"gpu":[{"model":"H200","free":1,"total":2.5}]})",
       "CAP gpu: H200: total: expected an integer, got 2.5"},
      {"CAP", R"({"gpu":[{"model":"H200:1/2,A100","free":1,"total":2}]})",
       R"(CAP gpu: bad model name "H200:1/2,A100")"},
      {"CAP", R"({"gpu":[{"model":"H200","free":1,"total":2,"x":0}]})",
       R"(CAP gpu: H200: unexpected member "x")"},
      {"CAP", R"({"part":"\u0007"})",
       "CAP part: text must be 1 to 255 bytes with no control characters"},
      {"DATA", R"({"name":"x","size":1.5})", "DATA size: expected an integer, got 1.5"},
      {"NETQ", R"({"peer":"x","bw":4e11})", "NETQ bw: expected an integer, got 400000000000.0"},
      {"NETQ", R"({"peer":"x","rtt":0.0001})",
       R"(NETQ rtt: "0.0001ms" is not a whole number of us)"},
      {"NETQ", R"({"peer":"x","loss":0.00001})",
       R"(NETQ loss: "0.00001" has more than 4 decimal places)"},
      {"ENERGY", R"({"pue":0.9})", "ENERGY pue: 0.9 is out of range (min 1)"},
      {"ENERGY", R"({"power":820000.5})", "ENERGY power: expected an integer, got 820000.5"},
      {"TIER", R"({"class":"x","score":1000000000000.001})",
       "TIER score: 1000000000000.001 is out of range (max 1000000000000)"},
      {"TIER", R"({"class":"x","score":0.0001})",
       R"(TIER score: "0.0001" has more than 3 decimal places)"},
      {"PRICE", R"({"currency":"CNY","cpu-hour":0.1234567})",
       R"(PRICE cpu-hour: "0.1234567" has more than 6 decimal places)"},
      {"PRICE", R"({"currency":"CNY","gpu-hour":[{"model":"H200","price":1.0000001}]})",
       R"(PRICE gpu-hour: H200: "1.0000001" has more than 6 decimal places)"},
      {"SITE", R"({"kind":"ai","geo":{"lat":22.1234567,"lon":1}})",
       R"(SITE geo: latitude: "22.1234567" has more than 6 decimal places)"},
      {"SITE", R"({"kind":"ai","geo":{"lat":1,"lon":"e"}})",
       "SITE geo: longitude: expected a number"},
      {"SITE", R"({"kind":"ai","links":["otn,ip"]})", R"(SITE links: bad list entry "otn,ip")"},
  };
  for (const auto& row : rows) {
    const TypeDef* t = findType(row.type);
    ASSERT_NE(t, nullptr);
    auto r = fromJson(*t, nlohmann::json::parse(row.json));
    ASSERT_FALSE(r.ok()) << row.json << " was accepted";
    EXPECT_EQ(r.error().message, row.error) << row.json;
  }
  // Signed integers built in code are as good as parsed ones; -0.0 is 0.
  const TypeDef& cap = *findType("CAP");
  auto built =
      fromJson(cap, nlohmann::json{{"queue", 3}, {"cpu", {{"free", int64_t{1}}, {"total", 2}}}});
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(*toText(cap, *built), "cpu=1/2 queue=3");
  auto negZero = fromJson(cap, nlohmann::json::parse(R"({"load":-0.0})"));
  ASSERT_TRUE(negZero.ok()) << negZero.error().message;
  EXPECT_EQ(*toText(cap, *negZero), "load=0");
  // Invalid UTF-8 cannot come from parsed JSON text, but can from a JSON value built in code.
  const TypeDef& site = *findType("SITE");
  auto bad = fromJson(site, nlohmann::json{{"kind", "ai"}, {"region", std::string("\xff")}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "SITE region: text is not valid UTF-8");
}
