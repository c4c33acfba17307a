// System tests of cdig against a real cdns-authority: decoded output and JSON for records
// published through the authority, the centers table, agreement with dig on standard types,
// TSIG, TLS, and exit codes that tell answers, refusals, timeouts and bad arguments apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/daemon.h"

using namespace cdns::test;

namespace {

const std::string kAuthority = CDNS_AUTHORITY_BIN;
const std::string kCdig = CDIG_BIN;
const std::string kData = CDNS_TEST_DATA;
const char* kSecret = "Y2RpZy10ZXN0LWtleS1mb3Itc3oxLTAxMjM0NTY3ODk=";

std::vector<std::string> sortedLines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  std::sort(out.begin(), out.end());
  return out;
}

class CdigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir();
    std::ifstream src(kData + "/rrtypes.zone");
    std::stringstream ss;
    ss << src.rdbuf();
    writeFile(dir_ + "/gba.zone", ss.str());
    writeFile(dir_ + "/auth.json", std::string(R"({"keys": [{"name": "sz1.", "algorithm": "hmac-sha256", "secret": ")") +
                                       kSecret + R"("}], "zones": [{"name": "gba.example.", "file": "gba.zone",
      "transfer": {"acl": ["127.0.0.1"]},
      "update": {"rules": [{"key": "sz1.", "name": "sz1.centers.gba.example.", "types": ["ANY"]}]}}]})");
    auth_ = std::make_unique<Daemon>(kAuthority, std::vector<std::string>{"--config", dir_ + "/auth.json", "--listen", "127.0.0.1:0"});
    ASSERT_TRUE(auth_->ready()) << auth_->logTail();
    port_ = std::to_string(auth_->port("udp"));
  }
  void TearDown() override {
    auth_.reset();
    removeTree(dir_);
  }
  std::string cdig(const std::string& args, int* st = nullptr) {
    return runCommand(kCdig + " @127.0.0.1 -p " + port_ + " " + args + " 2>&1", st);
  }
  std::string dir_, port_;
  std::unique_ptr<Daemon> auth_;
};

TEST_F(CdigTest, DecodesRecordsPublishedThroughTheAuthority) {
  // Publish a CAP with nsupdate in RFC 3597 form (queue=9, load=0.5), as any tool could.
  int st = 0;
  runCommand("printf 'server 127.0.0.1 " + port_ +
                 "\\nzone gba.example\\nupdate delete sz1.centers.gba.example TYPE65281\\n"
                 "update add sz1.centers.gba.example 60 TYPE65281 \\\\# 20 0006000800000000 0007a120 0007000400000009\\nsend\\n'"
                 " | nsupdate -y hmac-sha256:sz1.:" + std::string(kSecret),
             &st);
  ASSERT_EQ(st, 0);
  std::string out = cdig("sz1.centers.gba.example CAP", &st);
  EXPECT_EQ(st, 0);
  EXPECT_NE(out.find("status: NOERROR"), std::string::npos) << out;
  EXPECT_NE(out.find("sz1.centers.gba.example.\t60\tIN\tCAP\tload=0.5 queue=9"), std::string::npos) << out;
  EXPECT_EQ(cdig("sz1.centers.gba.example CAP +short"), "load=0.5 queue=9\n");
  auto j = nlohmann::json::parse(cdig("sz1.centers.gba.example CAP +json"));
  EXPECT_EQ(j["rcode"], "NOERROR");
  EXPECT_EQ(j["answer"][0]["type"], "CAP");
  EXPECT_EQ(j["answer"][0]["rdata"]["queue"], 9);
  EXPECT_DOUBLE_EQ(j["answer"][0]["rdata"]["load"].get<double>(), 0.5);
  auto site = nlohmann::json::parse(cdig("sz1.centers.gba.example SITE +json"));
  EXPECT_EQ(site["answer"][0]["rdata"]["geo"]["lat"], 22.543096);
  EXPECT_EQ(site["answer"][0]["rdata"]["tee"][0], "tdx");
}

TEST_F(CdigTest, AgreesWithDigOnStandardTypes) {
  if (!haveCommand("dig")) GTEST_SKIP();
  for (const char* q : {"ns1.gba.example A", "gba.example NS", "gba.example SOA", "_relay._tcp.sz1.centers.gba.example SRV",
                        "infer.svc.gba.example PTR", "nope.gba.example A"}) {
    std::string a = cdig(std::string(q) + " +short");
    std::string b = runCommand("dig @127.0.0.1 -p " + port_ + " +short " + q);
    EXPECT_EQ(sortedLines(a), sortedLines(b)) << q;
  }
  // Full answers too: the records of the answer section, as dig prints them (whitespace aside).
  std::string a = cdig("gba.example NS");
  EXPECT_NE(a.find("gba.example.\t300\tIN\tNS\tns1.gba.example."), std::string::npos) << a;
}

TEST_F(CdigTest, CentersTable) {
  std::string out = cdig("gba.example +centers");
  EXPECT_NE(out.find("CENTER    KIND   REGION"), std::string::npos) << out;
  EXPECT_NE(out.find("sz1       ai     shenzhen    1024/4096   H200:12/64        0.62  3     0.12 CNY  410     P1.large"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("hk1       cloud  Hong Kong"), std::string::npos) << out;
}

TEST_F(CdigTest, TsigTcpTlsAndExitCodes) {
  int st = 0;
  std::string out = cdig("gba.example SOA -y hmac-sha256:sz1.:" + std::string(kSecret), &st);
  EXPECT_EQ(st, 0);
  EXPECT_NE(out.find(";; TSIG: verified with key sz1."), std::string::npos) << out;
  out = cdig("gba.example SOA -y hmac-sha256:stranger.:" + std::string(kSecret), &st);
  EXPECT_EQ(st, 3) << out;
  out = cdig("gba.example SOA +tcp", &st);
  EXPECT_NE(out.find("(TCP)"), std::string::npos) << out;
  out = cdig("www.example.org A", &st);
  EXPECT_EQ(st, 3);
  EXPECT_NE(out.find("the server answered REFUSED"), std::string::npos);
  out = cdig("nope.gba.example A", &st);
  EXPECT_EQ(st, 0);  // NXDOMAIN is an answer
  out = runCommand(kCdig + " @127.0.0.1 -p 1 +timeout=1 gba.example SOA 2>&1", &st);
  EXPECT_EQ(st, 9) << out;
  out = runCommand(kCdig + " --bogus 2>&1", &st);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("unknown option --bogus"), std::string::npos);
  out = runCommand(kCdig + " gba.example NOTATYPE 2>&1", &st);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("unknown type \"NOTATYPE\""), std::string::npos);
  if (haveCommand("openssl")) {
    runCommand("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout " + dir_ + "/k.pem -out " +
                   dir_ + "/c.pem 2>/dev/null",
               &st);
    Daemon tls(kAuthority, {"--zone", "gba.example=" + dir_ + "/gba.zone", "--tls-listen", "127.0.0.1:0", "--tls-cert",
                            dir_ + "/c.pem", "--tls-key", dir_ + "/k.pem"});
    ASSERT_TRUE(tls.ready());
    out = runCommand(kCdig + " @127.0.0.1 -p " + std::to_string(tls.port("tls")) + " +tls sz1.centers.gba.example TIER 2>&1", &st);
    EXPECT_EQ(st, 0) << out;
    EXPECT_NE(out.find("(TLS)"), std::string::npos) << out;
    EXPECT_NE(out.find("class=P1.large score=5982"), std::string::npos) << out;
  }
}

}  // namespace
