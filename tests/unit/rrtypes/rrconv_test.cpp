// Unit tests: the cdns-rrconv converter, as an operator runs it.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "rrtypes/tools/rrconv.h"

using cdns::rrtypes::runRrconv;

namespace {
struct Run {
  int status;
  std::string out, err;
};
Run run(std::vector<std::string> args, const std::string& input = "") {
  std::istringstream in(input);
  std::ostringstream out, err;
  int s = runRrconv(args, in, out, err);
  return {s, out.str(), err.str()};
}
}  // namespace

TEST(Rrconv, PresentationToGenericToJsonAndBack) {
  auto g = run({"--to", "generic", "sz1.gba.example. 300 IN CAP queue=3 cpu=1/2"});
  ASSERT_EQ(g.status, 0) << g.err;
  EXPECT_EQ(g.out, "sz1.gba.example.\t300\tIN\tTYPE65281\t\\# 20 0001000800000001000000020007000400000003\n");
  auto t = run({}, g.out);
  EXPECT_EQ(t.out, "sz1.gba.example.\t300\tIN\tCAP\tcpu=1/2 queue=3\n");
  auto j = run({"--to", "json"}, t.out);
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_EQ(j.out,
            "{\"class\":\"IN\",\"name\":\"sz1.gba.example.\",\"rdata\":{\"cpu\":{\"free\":1,\"total\":2},"
            "\"queue\":3},\"ttl\":300,\"type\":\"CAP\"}\n");
  auto back = run({}, j.out);
  EXPECT_EQ(back.out, t.out);
}

TEST(Rrconv, KdigStyleInputWithCommentsAndOtherTypes) {
  std::string input =
      ";; ANSWER SECTION:\n"
      "sz1.gba.example.\t300\tIN\tTYPE65284\t\\# 12 0001000367 7a31 0002000100\n"
      "\n"
      "a.gba.example.\t300\tIN\tA\t192.0.2.1\n";
  auto r = run({}, input);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "sz1.gba.example.\t300\tIN\tNETQ\tpeer=gz1 link=otn\na.gba.example.\t300\tIN\tA\t192.0.2.1\n");
}

TEST(Rrconv, BareRdata) {
  auto r = run({"--type", "energy", "--to", "json", "pue=1.25 power=820kW"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "{\"power\":820000,\"pue\":1.25}\n");
  auto back = run({"--type", "ENERGY"}, "{\"power\":820000,\"pue\":1.25}\n\\# 8 0003000400000064\n");
  EXPECT_EQ(back.out, "power=820kW pue=1.25\ncarbon=100\n");
}

TEST(Rrconv, ErrorsAndUsage) {
  auto bad = run({"--type", "CAP"}, "load=2\nqueue=1\n");
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.out, "queue=1\n");
  EXPECT_EQ(bad.err, "cdns-rrconv: line 1: CAP load: 2 is out of range (max 1)\n");
  EXPECT_EQ(run({"--to", "xml"}).status, 2);
  EXPECT_EQ(run({"--type", "MX"}).status, 2);
  EXPECT_EQ(run({"--bogus"}).status, 2);
  auto help = run({"--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("usage: cdns-rrconv"), std::string::npos);
}

TEST(Rrconv, BadInputIsAnErrorNeverACrash) {
  // One row per rejected input: the exact message on stderr, exit status 1.
  struct Row {
    std::vector<std::string> args;
    const char* input;  // standard input
    const char* err;
  };
  const char* kUnknownNope =
      "CAP: unknown key \"nope\" (known: ts, cpu, gpu, mem, disk, nodes, load, queue, running, "
      "part)";
  const Row rows[] = {
      {{"--to", "json"},
       R"({"name":"a.example.","type":"CAP","ttl":"300","rdata":{}})",
       R"("ttl" must be an integer from 0 to 2147483647, got "300")"},
      {{},
       R"({"name":"a.example.","type":"CAP","ttl":-1,"rdata":{}})",
       R"("ttl" must be an integer from 0 to 2147483647, got -1)"},
      {{},
       R"({"name":"a.example.","type":"CAP","ttl":1.5,"rdata":{}})",
       R"("ttl" must be an integer from 0 to 2147483647, got 1.5)"},
      {{},
       R"({"name":"a.example.","type":"CAP","ttl":2147483648,"rdata":{}})",
       R"("ttl" must be an integer from 0 to 2147483647, got 2147483648)"},
      {{},
       R"({"name":"a.example.","type":"CAP","class":1,"rdata":{}})",
       R"("class" must be a string such as "IN", got 1)"},
      {{},
       R"({"name":"a.example.","type":"CAP","class":null,"rdata":{}})",
       R"("class" must be a string such as "IN", got null)"},
      {{},
       R"({"name":"a.example.","type":"CAP","class":"XX","rdata":{}})",
       R"("class": unknown class "XX")"},
      {{},
       R"({"name":"a.example. 1 IN A 192.0.2.1 ;","type":"CAP","rdata":{}})",
       R"("name" must be a domain name, got "a.example. 1 IN A 192.0.2.1 ;")"},
      {{},
       R"({"name":"a.example.","type":"CAP","rdata":{},"extra":1})",
       R"(JSON record: unexpected member "extra")"},
      {{}, R"({"name":"a.example.","type":"CAP","rdata":{"nope":1}})", kUnknownNope},
      {{"--type", "CAP"}, R"({"nope":1})", kUnknownNope},
      // Text that is not UTF-8 cannot reach the JSON printer.
      {{"--to", "json"},
       "a.example. 300 IN SITE kind=ai region=\\255",
       "SITE region: text is not valid UTF-8"},
      {{"--to", "json"},
       "a.example. 300 IN TYPE65280 \\# 10 0001000100 00020001ff",
       "SITE region: text is not valid UTF-8"},
      {{"--to", "json", "--type", "SITE"},
       "\\# 10 0001000100 00020001ff",
       "SITE region: text is not valid UTF-8"},
      // Our types under their numeric names are checked like the mnemonics.
      {{}, "a.example. 300 IN TYPE65281 \\# 4 00070004", "CAP queue: length 4 overruns the rdata"},
      {{}, "a.example. 300 IN CAP \\# 4 00070004", "CAP queue: length 4 overruns the rdata"},
      {{"--to", "generic"},
       "a.example. 300 IN TYPE65283 \\# 12 000200080000000000000384",
       "ENERGY pue: 0.9 is out of range (min 1)"},
      {{},
       R"({"name":"a.example.","type":"TYPE65283","rdata":{"pue":0.9}})",
       "ENERGY pue: 0.9 is out of range (min 1)"},
      {{},
       R"({"name":"a.example.","type":"TYPE65283","rdata":"\\# 12 000200080000000000000384"})",
       "ENERGY: expected a JSON object"},
      {{"--type", "ENERGY"}, "power=5mW", "ENERGY power: unknown unit \"mW\" for watts"},
  };
  for (const auto& row : rows) {
    auto r = run(row.args, std::string(row.input) + "\n");
    EXPECT_EQ(r.status, 1) << row.input;
    EXPECT_EQ(r.out, "") << row.input;
    EXPECT_EQ(r.err, "cdns-rrconv: line 1: " + std::string(row.err) + "\n") << row.input;
  }
}

TEST(Rrconv, Utf8AndNumericTypesEndToEnd) {
  auto j = run({"--to", "json"},
               "sz1.gba.example. 300 IN SITE kind=ai region=\"深圳\" operator=\\230\\183\\177\n");
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_EQ(j.out,
            "{\"class\":\"IN\",\"name\":\"sz1.gba.example.\",\"rdata\":{\"kind\":\"ai\","
            "\"operator\":\"深\","
            "\"region\":\"深圳\"},\"ttl\":300,\"type\":\"SITE\"}\n");
  auto t = run({"--to", "presentation"}, j.out);
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_EQ(t.out, "sz1.gba.example.\t300\tIN\tSITE\tkind=ai region=深圳 operator=深\n");
  auto g = run({"--to", "generic"}, t.out);
  auto back = run({}, g.out);
  EXPECT_EQ(back.out, t.out);
  // TYPE65281 in, CAP out; also as the type of a JSON record.
  auto n =
      run({},
          "a.example. 60 IN TYPE65281 \\# 8 0007000400000001\n"
          "{\"name\":\"a.example.\",\"ttl\":60,\"type\":\"type65281\",\"rdata\":{\"queue\":1}}\n");
  ASSERT_EQ(n.status, 0) << n.err;
  EXPECT_EQ(n.out, "a.example.\t60\tIN\tCAP\tqueue=1\na.example.\t60\tIN\tCAP\tqueue=1\n");
  auto ty = run({"--type", "TYPE65281"}, "queue=1\n");
  EXPECT_EQ(ty.out, "queue=1\n");
}

TEST(Rrconv, HelpAndZoneWithoutOrigin) {
  auto help = run({"--help"});
  EXPECT_NE(help.out.find("cdns-rrconv --zone FILE [--origin NAME] [--to text|generic|json]"),
            std::string::npos);
  EXPECT_NE(help.out.find("text (default; also called presentation)"), std::string::npos);
  // The test zone sets its own $ORIGIN, so --origin may be left out.
  auto z = run({"--zone", CDNS_TEST_DATA "/rrtypes.zone"});
  ASSERT_EQ(z.status, 0) << z.err;
  EXPECT_EQ(std::count(z.out.begin(), z.out.end(), '\n'), 16);
  EXPECT_EQ(z.out, run({"--zone", CDNS_TEST_DATA "/rrtypes.zone", "--origin", "gba.example."}).out);
}
