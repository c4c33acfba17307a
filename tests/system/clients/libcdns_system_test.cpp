// System tests of libcdns and of cdig against a real cdns-resolver replicating a real
// cdns-authority: blocking and libuv calls, requirements in EDNS, the explanation, relay SRV
// look-ups, every error kind; cdig's +req, +explain, +json, EDE and +subnet, and its plain
// answers for the service names beside dig's.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cdns/cdns.h"
#include "tests/support/daemon.h"

using namespace cdns::test;
namespace cc = cdns::client;

namespace {

const std::string kAuthority = CDNS_AUTHORITY_BIN;
const std::string kResolver = CDNS_RESOLVER_BIN;
const std::string kCdig = CDIG_BIN;
const std::string kData = CDNS_TEST_DATA;

// The call failed with this kind and a message that says `text`.
template <typename T>
void expectError(const cc::Result<T>& r, cc::Error::Kind kind, const std::string& text) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, kind) << r.error().message;
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
}

class ResolverClients : public ::testing::Test {
 protected:
  // Fresh daemons for every test: the resolver holds what it hands out for a while, so answers
  // to requirements depend on the queries before them.
  void SetUp() override {
    dir_ = new std::string(makeTempDir());
    std::ifstream src(kData + "/resolver.zone");
    std::stringstream ss;
    ss << src.rdbuf() << "_relay._tcp.sz1.centers SRV 0 0 8443 relay.sz1.centers\nrelay.sz1.centers A 127.0.0.1\n"
       << "_relay._tcp.gz1.centers SRV 0 0 9443 relay.gz1.centers\n";  // gz1's target has no address
    writeFile(*dir_ + "/gba.zone", ss.str());
    auth_ = new Daemon(kAuthority, {"--listen", "127.0.0.1:0", "--zone", "gba.example=" + *dir_ + "/gba.zone",
                                    "--allow-transfer", "127.0.0.1"});
    ASSERT_TRUE(auth_->ready()) << auth_->logTail();
    writeFile(*dir_ + "/res.json", R"({"listen": ["127.0.0.1:0"], "zones": [{"name": "gba.example.", "primaries": ["127.0.0.1:)" +
                                       std::to_string(auth_->port("udp")) + R"("]}],
      "chains": {"default": {"policies": [{"name": "fits"}, {"name": "load"}]},
                 "price": {"policies": [{"name": "fits"}, {"name": "price"}]}},
      "services": {"infer": "default"}})");
    res_ = new Daemon(kResolver, {"--config", *dir_ + "/res.json"});
    ASSERT_TRUE(res_->ready()) << res_->logTail();
    server_ = new std::string("127.0.0.1:" + std::to_string(res_->port("udp")));
    // Wait until the replica is loaded (bounded).
    for (int i = 0; i < 100; ++i) {
      cc::Client c(options());
      if (c.resolve("infer")) break;
      usleep(100000);
    }
  }
  void TearDown() override {
    delete res_;
    delete auth_;
    removeTree(*dir_);
    delete dir_;
    delete server_;
  }
  static cc::Options options() {
    cc::Options o;
    o.server = *server_;
    o.zone = "gba.example";
    o.timeoutMs = 2000;
    return o;
  }
  std::string cdig(const std::string& args, int* st = nullptr) {
    return runCommand(kCdig + " @127.0.0.1 -p " + std::to_string(res_->port("udp")) + " " + args + " 2>&1", st);
  }
  static std::string* dir_;
  static std::string* server_;
  static Daemon* auth_;
  static Daemon* res_;
};
std::string* ResolverClients::dir_ = nullptr;
std::string* ResolverClients::server_ = nullptr;
Daemon* ResolverClients::auth_ = nullptr;
Daemon* ResolverClients::res_ = nullptr;

TEST_F(ResolverClients, ResolvesTheServiceWithTheDefaultChain) {
  cc::Client c(options());
  auto r = c.resolve("infer");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->center, "sz1");
  EXPECT_EQ(r->endpoint, "infer.sz1.centers.gba.example.");
  EXPECT_EQ(r->addresses, std::vector<std::string>{"192.0.2.10"});
  EXPECT_GT(r->ttl, 0u);
  EXPECT_FALSE(r->explanation);
}

TEST_F(ResolverClients, RequirementsTravelInEdns) {
  cc::Client c(options());
  auto price = c.resolve("infer", {{"policy", "price"}});
  ASSERT_TRUE(price) << price.error().message;
  EXPECT_EQ(price->center, "gz1");
  // Only sz1 has 12 free H200s: the price chain must take it.
  auto big = c.resolve("infer", {{"gpu", "H200:12"}, {"policy", "price"}});
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_EQ(big->center, "sz1");
  auto parsed = cc::parseRequirements("gpu=H200:12,policy=price");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, (cc::Requirements{{"gpu", "H200:12"}, {"policy", "price"}}));
  EXPECT_FALSE(cc::parseRequirements("gpu"));
}

TEST_F(ResolverClients, ExplanationOnRequest) {
  cc::Client c(options());
  auto r = c.resolve("infer", {{"policy", "price"}}, true);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->explanation);
  EXPECT_EQ(r->explanation->chosen, "gz1");
  EXPECT_EQ(r->explanation->policy, "price");
  EXPECT_EQ(r->explanation->service, "infer");
  ASSERT_FALSE(r->explanation->verdicts.empty());
  std::string table = cc::explanationTable(r->explanation->json);
  EXPECT_NE(table.find("OUTCOME"), std::string::npos) << table;
  EXPECT_NE(table.find("gz1"), std::string::npos) << table;
  EXPECT_NE(table.find("chosen"), std::string::npos) << table;
  EXPECT_NE(table.find("lost: score"), std::string::npos) << table;
  // Fields the table does not know are shown, not dropped.
  std::string extra = cc::explanationTable(
      R"({"service":"x","policy":"p","chosen":"a","age":7,"verdicts":[{"stage":"fits","center":"a","verdict":"kept","score":2,"note":"n"},)"
      R"({"stage":"fits","center":"b","verdict":"dropped: gpu 0 free < 4"}]})");
  EXPECT_NE(extra.find("age: 7"), std::string::npos) << extra;
  EXPECT_NE(extra.find("kept [note=n]"), std::string::npos) << extra;
  EXPECT_NE(extra.find("dropped by fits: gpu 0 free < 4"), std::string::npos) << extra;
}

TEST_F(ResolverClients, ErrorsByKind) {
  cc::Client c(options());
  expectError(c.resolve("infer", {{"gpu", "100"}}), cc::Error::Kind::kNoFit, "no center left after fits (asked: gpu=100)");
  expectError(c.resolve("render"), cc::Error::Kind::kNotFound, "render.svc.gba.example.: NXDOMAIN");
  EXPECT_EQ(c.resolve("a.b").error().kind, cc::Error::Kind::kBadArgument);
  EXPECT_EQ(c.resolve("infer", {{"gpu", "1,2"}}).error().kind, cc::Error::Kind::kBadArgument);
  auto badServer = cc::Options{};
  badServer.server = "resolver.example";
  badServer.zone = "gba.example";
  EXPECT_EQ(cc::Client(badServer).resolve("infer").error().kind, cc::Error::Kind::kBadArgument);
  // Outside the compute zones the resolver refuses.
  auto other = options();
  other.zone = "example.com";
  EXPECT_EQ(cc::Client(other).resolve("infer").error().kind, cc::Error::Kind::kRefused);
  // A UDP socket that never answers: a timeout.
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  auto silent = options();
  silent.server = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  silent.timeoutMs = 200;
  silent.tries = 1;
  auto t = cc::Client(silent).resolve("infer");
  close(fd);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, cc::Error::Kind::kTimeout) << t.error().message;
}

TEST_F(ResolverClients, OnALibuvLoop) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<std::string> got;
  {
    cc::Client c(&loop, options());
    c.resolve("infer", {}, false, [&](cc::Result<cc::Resolution> r) { got.push_back(r ? r->center : r.error().message); });
    c.resolve("infer", {{"policy", "price"}}, false, [&](cc::Result<cc::Resolution> r) { got.push_back(r ? r->center : r.error().message); });
    c.findRelay("sz1", [&](cc::Result<cc::RelayEndpoint> r) { got.push_back(r ? r->address : r.error().message); });
    EXPECT_TRUE(got.empty());  // nothing happens before the loop runs
    for (int i = 0; i < 1000 && got.size() < 3; ++i) uv_run(&loop, UV_RUN_ONCE);
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // the client's handles close
  EXPECT_EQ(uv_loop_close(&loop), 0);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"127.0.0.1", "gz1", "sz1"}));
}

TEST_F(ResolverClients, RelaysFromSrv) {
  cc::Client c(options());
  auto sz1 = c.findRelay("sz1");
  ASSERT_TRUE(sz1) << sz1.error().message;
  EXPECT_EQ(sz1->host, "relay.sz1.centers.gba.example.");
  EXPECT_EQ(sz1->port, 8443);
  EXPECT_EQ(sz1->address, "127.0.0.1");
  // A target without an address, and a center without a relay.
  expectError(c.findRelay("gz1"), cc::Error::Kind::kNotFound, "no address for relay.gz1.centers.gba.example.");
  expectError(c.findRelay("hk1"), cc::Error::Kind::kNotFound, "center hk1 publishes no relay");
  auto tcp = options();
  tcp.tcp = true;
  auto overTcp = cc::Client(tcp).resolve("infer");
  ASSERT_TRUE(overTcp) << overTcp.error().message;
  EXPECT_EQ(overTcp->center, "sz1");
}

TEST_F(ResolverClients, CdigExplainsAndSendsRequirements) {
  int st = -1;
  std::string out = cdig("infer.svc.gba.example +req=policy=price +explain", &st);
  EXPECT_EQ(st, 0);
  EXPECT_NE(out.find("infer.svc.gba.example.\t5\tIN\tCNAME\tinfer.gz1.centers.gba.example."), std::string::npos) << out;
  EXPECT_NE(out.find(";; EXPLANATION:\nservice infer, policy price (fits -> price"), std::string::npos) << out;
  EXPECT_NE(out.find("; EXPLANATION: "), std::string::npos) << out;  // in the OPT pseudosection
  EXPECT_NE(out.find(";; SERVER: 127.0.0.1#"), std::string::npos) << out;
  EXPECT_LT(out.find(";; EXPLANATION:"), out.find(";; Query time:")) << out;
  auto j = nlohmann::json::parse(cdig("infer.svc.gba.example +req=policy=price +explain +json"));
  EXPECT_EQ(j["explanation"]["chosen"], "gz1");
  EXPECT_EQ(j["answer"][0]["type"], "CNAME");
  EXPECT_EQ(j["answer"][0]["rdata"], "infer.gz1.centers.gba.example.");
  EXPECT_EQ(cdig("infer.svc.gba.example +req=gpu=H200:12,policy=price +short"), "infer.sz1.centers.gba.example.\n192.0.2.10\n");
  // The same requirements as labels.
  EXPECT_EQ(cdig("policy-price.infer.svc.gba.example +short"), "infer.gz1.centers.gba.example.\n192.0.2.30\n");
  std::string shortExplain = cdig("infer.svc.gba.example +short +explain");
  EXPECT_EQ(shortExplain.rfind("infer.sz1.centers.gba.example.\n192.0.2.10\nservice infer, policy default", 0), 0u) << shortExplain;
}

TEST_F(ResolverClients, CdigShowsWhyNothingFits) {
  int st = -1;
  std::string out = cdig("infer.svc.gba.example +req=gpu=100", &st);
  EXPECT_EQ(st, 0);  // NODATA is an answer
  EXPECT_NE(out.find("status: NOERROR"), std::string::npos) << out;
  EXPECT_NE(out.find("ANSWER: 0"), std::string::npos) << out;
  EXPECT_NE(out.find("; EDE: 0 (Other): (no center left after fits (asked: gpu=100))"), std::string::npos) << out;
  auto j = nlohmann::json::parse(cdig("infer.svc.gba.example +req=gpu=100 +json"));
  EXPECT_EQ(j["ede"][0]["code"], 0);
  EXPECT_EQ(j["ede"][0]["text"], "no center left after fits (asked: gpu=100)");
  out = cdig("render.svc.gba.example +explain", &st);
  EXPECT_EQ(st, 0);
  EXPECT_NE(out.find("status: NXDOMAIN"), std::string::npos) << out;
  EXPECT_NE(out.find(";; no explanation in the answer"), std::string::npos) << out;
}

TEST_F(ResolverClients, CdigBadArgumentsAndSubnet) {
  int st = -1;
  std::string out = cdig("infer.svc.gba.example +req=gpu", &st);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("cdig: +req=gpu: requirement \"gpu\": expected KEY=VALUE"), std::string::npos) << out;
  out = cdig("infer.svc.gba.example +subnet=192.0.2.0/33", &st);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("prefix longer than the address"), std::string::npos) << out;
  out = cdig("infer.svc.gba.example +subnet=nowhere", &st);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("not an IP address"), std::string::npos) << out;
  // A client subnet is sent; the answer is unchanged.
  EXPECT_EQ(cdig("infer.svc.gba.example +subnet=198.51.100.7/24 +short", &st), "infer.sz1.centers.gba.example.\n192.0.2.10\n");
  EXPECT_EQ(st, 0);
}

TEST_F(ResolverClients, CdigAgreesWithDigOnServiceNames) {
  if (!haveCommand("dig")) GTEST_SKIP() << "dig not installed";
  std::string port = std::to_string(res_->port("udp"));
  for (const char* q : {"infer.svc.gba.example A", "policy-price.infer.svc.gba.example A", "sz1.centers.gba.example SRV",
                        "infer.svc.gba.example PTR", "_relay._tcp.sz1.centers.gba.example SRV", "gba.example SOA"}) {
    std::string mine = cdig(std::string(q) + " +short");
    std::string theirs = runCommand("dig @127.0.0.1 -p " + port + " +short +time=2 +tries=1 " + q);
    EXPECT_EQ(mine, theirs) << q;
  }
}

}  // namespace
