// System test of the resolver's replica: it follows a real cdns-authority as a secondary (AXFR,
// then signed NOTIFY + IXFR on each update) and keeps serving its copy when the primary is gone.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <thread>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/dns.h"
#include "common/net.h"
#include "common/tsig.h"
#include "resolver/replica.h"
#include "tests/support/daemon.h"

using namespace cdns;
using namespace cdns::test;

namespace {

const std::string kAuthority = CDNS_AUTHORITY_BIN;
const char* kSecret = "cmVwbGljYS10ZXN0LWtleS1mb3Itc3oxLTAxMjM0NTY3OA==";
const char* kXfr = "cmVwbGljYS10ZXN0LXRyYW5zZmVyLWtleS0wMTIzNDU2Nzg=";

std::string config(const std::string& dir, const std::string& notify) {
  return std::string(R"({"keys": [{"name": "sz1.", "algorithm": "hmac-sha256", "secret": ")") + kSecret + R"("},
      {"name": "xfr.", "algorithm": "hmac-sha256", "secret": ")" + kXfr + R"("}],
    "zones": [{"name": "gba.example.", "file": ")" + dir + R"(/gba.zone", "notify": [)" + notify + R"(],
      "notify_key": "xfr.", "transfer": {"keys": ["xfr."]},
      "update": {"rules": [{"key": "sz1.", "name": "sz1.centers.gba.example.", "types": ["ANY"]}]}}]})";
}

TEST(Replica, FollowsThePrimaryByNotifyAndIxfrAndOutlivesIt) {
  std::string dir = makeTempDir();
  writeFile(dir + "/gba.zone", "$ORIGIN gba.example.\n$TTL 300\n@ SOA ns1 hm 1 3600 600 604800 300\n@ NS ns1\n"
                               "ns1 A 127.0.0.1\nsz1.centers CAP queue=1\n");
  writeFile(dir + "/auth.json", config(dir, ""));
  auto auth = std::make_unique<Daemon>(kAuthority, std::vector<std::string>{"--config", dir + "/auth.json", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(auth->ready()) << auth->logTail();
  std::string primary = "127.0.0.1:" + std::to_string(auth->port("tcp"));

  resolver::ReplicaConfig rc;
  rc.zone = "gba.example.";
  rc.primaries = {primary};
  rc.key = *tsig::parseKeySpec(std::string("hmac-sha256:xfr.:") + kXfr);
  rc.notifyListen = "127.0.0.1:0";
  resolver::Replica replica(rc);
  auto port = replica.start();
  ASSERT_TRUE(port.ok()) << port.error().message;
  EXPECT_EQ(replica.zone()->serial(), 1u);
  EXPECT_EQ(replica.status().axfrs, 1u);

  // Point the primary's NOTIFY at the replica, then publish.
  writeFile(dir + "/auth.json", config(dir, "\"127.0.0.1:" + std::to_string(*port) + "\""));
  auth->signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (int i = 2; i <= 6; ++i) {
    int st = 0;
    runCommand("printf 'server 127.0.0.1 " + std::to_string(auth->port("udp")) +
                   "\\nzone gba.example\\nupdate delete sz1.centers.gba.example TYPE65281\\n"
                   "update add sz1.centers.gba.example 60 TYPE65281 \\\\# 8 000700040000000" + std::to_string(i) +
                   "\\nsend\\n' | nsupdate -y hmac-sha256:sz1.:" + std::string(kSecret),
               &st);
    ASSERT_EQ(st, 0);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (replica.zone()->serial() != 6 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(replica.zone()->serial(), 6u);
  auto s = replica.status();
  EXPECT_GE(s.notifies, 1u);
  EXPECT_GE(s.ixfrs, 1u);
  EXPECT_EQ(s.axfrs, 1u);  // only the first load was a full transfer
  const auto* node = replica.zone()->find(*dns::nameFromText("sz1.centers.gba.example."));
  ASSERT_NE(node, nullptr);
  ASSERT_NE(node->find(65281), nullptr);
  EXPECT_EQ(node->find(65281)->rdata.size(), 1u);
  EXPECT_EQ(static_cast<uint8_t>(node->find(65281)->rdata[0].back()), 6);

  // NOTIFY over TCP (as Knot sends it), on the same port: a signed one is answered and counted;
  // an unsigned one gets no answer.
  auto notifyOverTcp = [&](bool sign) -> std::vector<uint8_t> {
    std::vector<uint8_t> m = {0x4e, 0x21, 0x20, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    auto qn = *dns::nameFromText("gba.example.");
    m.insert(m.end(), qn.begin(), qn.end());
    m.insert(m.end(), {0, 6, 0, 1});
    if (sign) {
      EXPECT_TRUE(tsig::signRequest(m, *rc.key, static_cast<uint64_t>(time(nullptr))).ok());
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(*port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::vector<uint8_t> framed = {static_cast<uint8_t>(m.size() >> 8), static_cast<uint8_t>(m.size())};
    framed.insert(framed.end(), m.begin(), m.end());
    EXPECT_EQ(send(fd, framed.data(), framed.size(), 0), static_cast<ssize_t>(framed.size()));
    std::vector<uint8_t> reply(2);
    if (!net::readExact(fd, reply.data(), 2)) {
      close(fd);
      return {};
    }
    reply.resize(dns::get16(reply.data()));
    EXPECT_TRUE(net::readExact(fd, reply.data(), reply.size()));
    close(fd);
    return reply;
  };
  uint64_t before = replica.status().notifies;
  auto reply = notifyOverTcp(true);
  ASSERT_GE(reply.size(), 12u);
  EXPECT_EQ(dns::get16(reply.data()), 0x4e21);
  EXPECT_EQ(dns::get16(reply.data() + 2) & 0xF800, dns::kFlagQR | (dns::kOpNotify << 11));
  EXPECT_EQ(replica.status().notifies, before + 1);
  EXPECT_TRUE(notifyOverTcp(false).empty());
  EXPECT_EQ(replica.status().notifies, before + 1);

  // The primary goes away: the replica keeps its copy and says so.
  auth->kill();
  replica.poke();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(replica.zone()->serial(), 6u);
  EXPECT_FALSE(replica.status().lastError.empty());
  EXPECT_GE(replica.status().failures, 1u);
  replica.stop();
  removeTree(dir);
}

TEST(Replica, RefusedWithoutTheTransferKey) {
  std::string dir = makeTempDir();
  writeFile(dir + "/gba.zone", "$ORIGIN gba.example.\n@ 300 SOA ns1 hm 1 3600 600 604800 300\n@ 300 NS ns1\nns1 300 A 127.0.0.1\n");
  writeFile(dir + "/auth.json", config(dir, ""));
  Daemon auth(kAuthority, {"--config", dir + "/auth.json", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(auth.ready());
  resolver::ReplicaConfig rc;
  rc.zone = "gba.example.";
  rc.primaries = {"127.0.0.1:" + std::to_string(auth.port("tcp"))};
  resolver::Replica unsigned_(rc);
  auto r = unsigned_.start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("REFUSED"), std::string::npos) << r.error().message;
  removeTree(dir);
}

}  // namespace
