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
    {"SITE", "kind=quantum", "SITE kind: unknown value \"quantum\" (expected one of: ai, hpc, cloud, edge)"},
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
  const TypeDef& cap = *findType("CAP");
  EXPECT_NE(fromJson(cap, nlohmann::json::parse(R"({"load":"x"})")).error().message.find("CAP load: expected a non-negative number"),
            std::string::npos);
  EXPECT_NE(fromJson(cap, nlohmann::json::parse(R"({"cpu":{"free":5}})")).error().message.find("CAP cpu"),
            std::string::npos);
  EXPECT_NE(fromJson(cap, nlohmann::json::parse(R"({"cpu":{"free":5,"total":4}})")).error().message.find("exceeds total"),
            std::string::npos);
  EXPECT_NE(fromJson(cap, nlohmann::json::parse(R"({"queue":1.5})")).error().message.find("expected an integer"),
            std::string::npos);
  EXPECT_NE(fromJson(cap, nlohmann::json::parse(R"({"nope":1})")).error().message.find("unknown key"), std::string::npos);
  EXPECT_NE(fromJson(cap, nlohmann::json::parse(R"([1])")).error().message.find("expected a JSON object"),
            std::string::npos);
  EXPECT_NE(fromJson(cap, nlohmann::json::parse(R"({"load":-1})")).error().message.find("non-negative"),
            std::string::npos);
}
