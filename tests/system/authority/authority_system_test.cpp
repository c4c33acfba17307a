// System tests: the real cdns-authority binary on loopback, driven over real sockets and by
// real clients (dig, kdig, drill).
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "common/dns.h"
#include "tests/support/daemon.h"

using namespace cdns;
using namespace cdns::test;

namespace {

const std::string kBinary = CDNS_AUTHORITY_BIN;
const std::string kData = CDNS_TEST_DATA;

uint16_t rcodeOf(const std::vector<uint8_t>& m) { return m.size() >= 4 ? m[3] & 0xF : 0xFFFF; }
uint16_t ancountOf(const std::vector<uint8_t>& m) { return m.size() >= 12 ? dns::get16(m.data() + 6) : 0; }

class AuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir();
    zone_ = dir_ + "/example.test.zone";
    std::ifstream src(kData + "/authority.zone");
    std::stringstream ss;
    ss << src.rdbuf();
    writeFile(zone_, ss.str());
  }
  void TearDown() override { removeTree(dir_); }
  std::unique_ptr<Daemon> start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--zone", "example.test=" + zone_, "--threads", "2",
                                     "--allow-transfer", "127.0.0.1"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto d = std::make_unique<Daemon>(kBinary, args);
    EXPECT_TRUE(d->ready()) << d->logTail();
    return d;
  }
  bool answersWww(const Daemon& d) {
    auto r = udpExchange(d.port("udp"), makeQuery("www.example.test.", dns::kA));
    return rcodeOf(r) == dns::kNoError && ancountOf(r) == 2;
  }
  std::string dir_, zone_;
};

TEST_F(AuthorityTest, AnswersOverUdpAndTcpAndStopsCleanly) {
  auto d = start();
  EXPECT_NE(d->port("udp"), 0);
  EXPECT_EQ(d->port("udp"), d->port("tcp"));
  EXPECT_TRUE(answersWww(*d));
  int fd = tcpConnect(d->port("tcp"));
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(sendAll(fd, frame(makeQuery("www.example.test.", dns::kA))));
  auto r = readFrame(fd);
  EXPECT_EQ(ancountOf(r), 2);
  close(fd);
  EXPECT_EQ(d->stop(), 0);
}

TEST_F(AuthorityTest, MalformedInputGetsFormerrOrIsDroppedAndTheServerKeepsAnswering) {
  auto d = start();
  auto base = makeQuery("www.example.test.", dns::kA);
  struct Case {
    const char* what;
    std::vector<uint8_t> msg;
    int rcode;  // -1: no answer expected
  };
  std::vector<Case> cases;
  cases.push_back({"garbage", {0xde, 0xad, 0xbe, 0xef}, -1});
  cases.push_back({"random bytes", std::vector<uint8_t>(300, 0x5a), -1});  // flags 0x5a5a: QR clear? opcode 11
  auto qr = base;
  qr[2] |= 0x80;
  cases.push_back({"QR=1", qr, -1});
  std::vector<uint8_t> loop(base.begin(), base.begin() + 12);
  for (uint8_t b : {0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01}) loop.push_back(b);
  cases.push_back({"compression loop", loop, dns::kFormErr});
  std::vector<uint8_t> longLabel(base.begin(), base.begin() + 12);
  longLabel.push_back(64);
  longLabel.insert(longLabel.end(), 64, 'a');
  for (uint8_t b : {0x00, 0x00, 0x01, 0x00, 0x01}) longLabel.push_back(b);
  cases.push_back({"label over 63", longLabel, dns::kFormErr});
  std::vector<uint8_t> longName(base.begin(), base.begin() + 12);
  for (int i = 0; i < 5; ++i) {
    longName.push_back(60);
    longName.insert(longName.end(), 60, 'b');
  }
  for (uint8_t b : {0x00, 0x00, 0x01, 0x00, 0x01}) longName.push_back(b);
  cases.push_back({"name over 255", longName, dns::kFormErr});
  auto lying = base;
  lying[11] = 5;  // ARCOUNT says 5, none follow
  cases.push_back({"counts that lie", lying, dns::kFormErr});
  auto cut = base;
  cut.resize(cut.size() - 2);
  cases.push_back({"truncated question", cut, dns::kFormErr});
  for (const auto& c : cases) {
    auto r = udpExchange(d->port("udp"), c.msg, c.rcode < 0 ? 300 : 2000);
    if (c.rcode < 0) {
      if (!r.empty()) {
        EXPECT_NE(rcodeOf(r), dns::kNoError) << c.what;
      }
    } else {
      ASSERT_FALSE(r.empty()) << c.what;
      EXPECT_EQ(rcodeOf(r), c.rcode) << c.what;
      EXPECT_EQ(r[0], c.msg[0]) << c.what;
      EXPECT_TRUE(r[2] & 0x80) << c.what;
    }
    EXPECT_TRUE(answersWww(*d)) << "after " << c.what;
  }
  // Over TCP: a frame cut short then a close, and a zero-length frame.
  int fd = tcpConnect(d->port("tcp"));
  auto f = frame(base);
  f.resize(f.size() - 5);
  sendAll(fd, f);
  close(fd);
  fd = tcpConnect(d->port("tcp"));
  sendAll(fd, {0, 0});
  close(fd);
  EXPECT_TRUE(answersWww(*d));
  EXPECT_TRUE(d->alive());
  EXPECT_EQ(d->stop(), 0);
}

TEST_F(AuthorityTest, TcpPipelinedQueriesAreAllAnsweredInOrder) {
  auto d = start();
  int fd = tcpConnect(d->port("tcp"));
  std::vector<uint8_t> batch;
  const char* names[] = {"www.example.test.", "mail.example.test.", "nope.example.test.", "alias.example.test."};
  for (uint16_t i = 0; i < 4; ++i) {
    auto f = frame(makeQuery(names[i], dns::kA, static_cast<uint16_t>(100 + i)));
    batch.insert(batch.end(), f.begin(), f.end());
  }
  ASSERT_TRUE(sendAll(fd, batch));  // one write, four queries (RFC 7766 §6.2.1.1)
  for (uint16_t i = 0; i < 4; ++i) {
    auto r = readFrame(fd);
    ASSERT_GE(r.size(), 12u);
    EXPECT_EQ(dns::get16(r.data()), 100 + i);
  }
  close(fd);
  EXPECT_EQ(d->stop(), 0);
}

TEST_F(AuthorityTest, IdleTimeoutConnectionCapAndSlowClients) {
  std::string cfg = dir_ + "/authority.json";
  writeFile(cfg, R"({"limits": {"tcp_idle_timeout_ms": 300, "tcp_max_connections": 3}})");
  auto d = start({"--config", cfg, "--threads", "1"});
  // Idle: the server closes a silent connection.
  int idle = tcpConnect(d->port("tcp"));
  pollfd p{idle, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 3000), 1);
  char c;
  EXPECT_EQ(recv(idle, &c, 1, 0), 0);
  close(idle);
  // A client that writes many queries and never reads must not stall anyone else.
  int slow = tcpConnect(d->port("tcp"));
  int small = 4096;
  setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  std::vector<uint8_t> many;
  for (int i = 0; i < 3000; ++i) {
    auto f = frame(makeQuery("big.example.test.", dns::kTXT, static_cast<uint16_t>(i)));
    many.insert(many.end(), f.begin(), f.end());
  }
  std::thread writer([&] { sendAll(slow, many); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(answersWww(*d));
  int other = tcpConnect(d->port("tcp"));
  sendAll(other, frame(makeQuery("www.example.test.", dns::kA)));
  EXPECT_EQ(ancountOf(readFrame(other)), 2);
  // Cap: slow + other are open; one more fits, the next is closed at once.
  int third = tcpConnect(d->port("tcp"));
  int fourth = tcpConnect(d->port("tcp"));
  pollfd p4{fourth, POLLIN, 0};
  ASSERT_EQ(poll(&p4, 1, 2000), 1);
  EXPECT_LE(recv(fourth, &c, 1, 0), 0);
  close(fourth);
  close(third);
  close(other);
  shutdown(slow, SHUT_RDWR);
  close(slow);
  writer.join();
  EXPECT_TRUE(answersWww(*d));
  EXPECT_EQ(d->stop(), 0);
}

TEST_F(AuthorityTest, ReloadKeepsTheOldZoneWhenTheNewOneIsBroken) {
  auto d = start();
  std::string good;
  {
    std::ifstream f(zone_);
    std::stringstream ss;
    ss << f.rdbuf();
    good = ss.str();
  }
  writeFile(zone_, good + "broken CNAME a\nbroken A 192.0.2.1\n");
  d->signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(answersWww(*d));
  EXPECT_NE(d->log().find("CNAME and other data at broken.example.test."), std::string::npos) << d->logTail();
  std::string bumped = good;
  bumped.replace(bumped.find("2026112801"), 10, "2026112802");
  writeFile(zone_, bumped + "fresh A 192.0.2.200\n");
  d->signal(SIGHUP);
  bool seen = false;
  for (int i = 0; i < 50 && !seen; ++i) {
    seen = ancountOf(udpExchange(d->port("udp"), makeQuery("fresh.example.test.", dns::kA))) == 1;
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(d->stop(), 0);
}

TEST_F(AuthorityTest, BrokenZoneStopsStartWithFileLineAndProblem) {
  writeFile(zone_, "$ORIGIN example.test.\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nx CAP load=3\n");
  int status = 0;
  std::string out = runCommand(kBinary + " --check-config --zone example.test=" + zone_ + " 2>&1", &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find(zone_ + ":5: CAP load: 3 is out of range (max 1)"), std::string::npos) << out;
  out = runCommand(kBinary + " --listen 127.0.0.1:0 --zone example.test=" + zone_ + " 2>&1", &status);
  EXPECT_EQ(status, 1);
  out = runCommand(kBinary + " --bogus 2>&1", &status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("unknown option --bogus"), std::string::npos);
  std::string cfg = dir_ + "/bad.json";
  writeFile(cfg, R"({"zones": [{"name": "a.", "file": "/nonexistent"}]})");
  out = runCommand(kBinary + " --check-config --config " + cfg + " 2>&1", &status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("/zones/0/file: /nonexistent: No such file or directory"), std::string::npos) << out;
}

TEST_F(AuthorityTest, RealClientsDigKdigDrill) {
  if (!haveCommand("dig") || !haveCommand("kdig") || !haveCommand("drill")) GTEST_SKIP() << "dig/kdig/drill missing";
  auto d = start();
  std::string p = std::to_string(d->port("udp"));
  EXPECT_EQ(runCommand("dig @127.0.0.1 -p " + p + " +short www.example.test A | sort"), "192.0.2.80\n192.0.2.81\n");
  EXPECT_EQ(runCommand("kdig @127.0.0.1 -p " + p + " +tcp +short alias.example.test A | sort"),
            "192.0.2.80\n192.0.2.81\nwww.example.test.\n");
  std::string drill = runCommand("drill -p " + p + " @127.0.0.1 nope.example.test A");
  EXPECT_NE(drill.find("rcode: NXDOMAIN"), std::string::npos) << drill;
  std::string big = runCommand("dig @127.0.0.1 -p " + p + " +noedns +ignore big.example.test TXT");
  EXPECT_NE(big.find("flags: qr aa tc"), std::string::npos) << big;
  std::string full = runCommand("dig @127.0.0.1 -p " + p + " +noedns big.example.test TXT +short | wc -l");
  EXPECT_EQ(full, "6\n");  // dig retried over TCP after TC
  std::string axfr = runCommand("kdig @127.0.0.1 -p " + p + " example.test AXFR +nocomments | grep -c 'IN\tSOA'");
  EXPECT_EQ(axfr, "2\n");
  EXPECT_EQ(d->stop(), 0);
}

TEST_F(AuthorityTest, DnsOverTls) {
  if (!haveCommand("openssl") || !haveCommand("kdig")) GTEST_SKIP() << "openssl/kdig missing";
  int st = 0;
  runCommand("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout " + dir_ +
                 "/key.pem -out " + dir_ + "/cert.pem 2>/dev/null",
             &st);
  ASSERT_EQ(st, 0);
  auto d = start({"--tls-listen", "127.0.0.1:0", "--tls-cert", dir_ + "/cert.pem", "--tls-key", dir_ + "/key.pem"});
  ASSERT_NE(d->port("tls"), 0);
  std::string p = std::to_string(d->port("tls"));
  std::string out = runCommand("kdig @127.0.0.1 -p " + p + " +tls +short www.example.test A | sort");
  EXPECT_EQ(out, "192.0.2.80\n192.0.2.81\n");
  // Several queries over one TLS session.
  out = runCommand("kdig @127.0.0.1 -p " + p + " +tls +keepopen +short www.example.test A mail.example.test A | sort");
  EXPECT_EQ(out, "192.0.2.25\n192.0.2.80\n192.0.2.81\n");
  EXPECT_EQ(d->stop(), 0);
}

TEST_F(AuthorityTest, TransferAclAndMetrics) {
  auto d = start({"--metrics", "127.0.0.1:0"});
  int fd = tcpConnect(d->port("tcp"));
  sendAll(fd, frame(makeQuery("example.test.", dns::kAXFR)));
  auto first = readFrame(fd);
  EXPECT_EQ(rcodeOf(first), dns::kNoError);
  EXPECT_GT(ancountOf(first), 10);
  close(fd);
  auto denied = std::make_unique<Daemon>(kBinary, std::vector<std::string>{"--listen", "127.0.0.1:0", "--zone",
                                                                          "example.test=" + zone_, "--metrics",
                                                                          "127.0.0.1:0"});
  fd = tcpConnect(denied->port("tcp"));
  sendAll(fd, frame(makeQuery("example.test.", dns::kAXFR)));
  EXPECT_EQ(rcodeOf(readFrame(fd)), dns::kRefused);
  close(fd);
  if (haveCommand("curl")) {
    std::string m = runCommand("curl -s http://127.0.0.1:" + std::to_string(denied->port("metrics")) + "/metrics");
    EXPECT_NE(m.find("cdns_authority_transfers_total{outcome=\"refused\"} 1"), std::string::npos) << m;
    EXPECT_NE(m.find("cdns_authority_zone_serial{zone=\"example.test.\"} 2026112801"), std::string::npos);
    m = runCommand("curl -s http://127.0.0.1:" + std::to_string(d->port("metrics")) + "/metrics");
    EXPECT_NE(m.find("cdns_authority_queries_by_type_total{type=\"AXFR\"} 1"), std::string::npos) << m;
  }
  EXPECT_EQ(denied->stop(), 0);
  EXPECT_EQ(d->stop(), 0);
}

}  // namespace
