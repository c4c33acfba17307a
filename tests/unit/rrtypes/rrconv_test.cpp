// Unit tests: the cdns-rrconv converter, as an operator runs it.
#include <gtest/gtest.h>

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
