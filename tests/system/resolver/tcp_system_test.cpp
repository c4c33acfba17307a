// System test of cdns-resolver's TCP service (RFC 7766): pipelined queries answered in turn, a
// client that half-closes after its last query still gets every answer, idle connections are
// closed after the configured time, and connections over the cap are closed at once.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/dns.h"
#include "tests/support/daemon.h"

using namespace cdns;
using namespace cdns::test;

namespace {

// True when the server closed `fd` within `ms` (a read returns 0 or an error).
bool closedWithin(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, ms) != 1) return false;
  char b;
  return recv(fd, &b, 1, 0) <= 0;
}

class ResolverTcp : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir();
    writeFile(dir_ + "/auth.json", R"({"zones": [{"name": "gba.example.", "file": ")" CDNS_TEST_DATA R"(/resolver.zone",
                                       "transfer": {"acl": ["127.0.0.1"]}}]})");
    auth_ = std::make_unique<Daemon>(CDNS_AUTHORITY_BIN, std::vector<std::string>{"--config", dir_ + "/auth.json", "--listen", "127.0.0.1:0"});
    ASSERT_TRUE(auth_->ready()) << auth_->logTail();
    writeFile(dir_ + "/res.json", R"({"listen": ["127.0.0.1:0"], "tcp": {"idle_timeout_ms": 400, "max_connections": 3},
      "zones": [{"name": "gba.example.", "primaries": ["127.0.0.1:)" + std::to_string(auth_->port("udp")) + R"("]}],
      "chains": {"default": {"policies": [{"name": "fits"}, {"name": "load"}]}}})");
    res_ = std::make_unique<Daemon>(CDNS_RESOLVER_BIN, std::vector<std::string>{"--config", dir_ + "/res.json"});
    ASSERT_TRUE(res_->ready()) << res_->logTail();
  }
  void TearDown() override {
    res_.reset();
    auth_.reset();
    removeTree(dir_);
  }
  std::string dir_;
  std::unique_ptr<Daemon> auth_, res_;
};

}  // namespace

TEST_F(ResolverTcp, PipelinedAndHalfClosed) {
  int fd = tcpConnect(res_->port("tcp"));
  ASSERT_GE(fd, 0);
  auto a = frame(makeQuery("infer.svc.gba.example.", dns::kA, 1));
  auto b = frame(makeQuery("sz1.centers.gba.example.", 65281, 2));
  a.insert(a.end(), b.begin(), b.end());
  ASSERT_TRUE(sendAll(fd, a));
  shutdown(fd, SHUT_WR);  // no more queries: the answers must still come
  auto r1 = readFrame(fd), r2 = readFrame(fd);
  ASSERT_GE(r1.size(), 12u);
  ASSERT_GE(r2.size(), 12u);
  EXPECT_EQ(dns::get16(r1.data()), 1);
  EXPECT_EQ(dns::get16(r2.data()), 2);
  EXPECT_EQ(dns::get16(r1.data() + 6), 2);  // CNAME + A
  EXPECT_TRUE(closedWithin(fd, 2000));
  close(fd);
}

TEST_F(ResolverTcp, IdleConnectionsAreClosed) {
  int fd = tcpConnect(res_->port("tcp"));
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(closedWithin(fd, 100));
  EXPECT_TRUE(closedWithin(fd, 3000));
  close(fd);
  // A connection in use stays open past the idle time while queries keep coming.
  fd = tcpConnect(res_->port("tcp"));
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    ASSERT_TRUE(sendAll(fd, frame(makeQuery("infer.svc.gba.example.", dns::kA, static_cast<uint16_t>(i)))));
    EXPECT_GE(readFrame(fd).size(), 12u) << i;
  }
  close(fd);
}

TEST_F(ResolverTcp, OverTheCapClosedAtOnce) {
  std::vector<int> fds;
  for (int i = 0; i < 3; ++i) fds.push_back(tcpConnect(res_->port("tcp")));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int extra = tcpConnect(res_->port("tcp"));
  EXPECT_TRUE(closedWithin(extra, 300));  // well before the idle time
  close(extra);
  for (int fd : fds) {
    EXPECT_FALSE(closedWithin(fd, 0));
    close(fd);
  }
  // The cap frees up as connections close; UDP was never affected.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  int again = tcpConnect(res_->port("tcp"));
  ASSERT_TRUE(sendAll(again, frame(makeQuery("infer.svc.gba.example.", dns::kA, 7))));
  EXPECT_GE(readFrame(again).size(), 12u);
  close(again);
  EXPECT_GE(udpExchange(res_->port("udp"), makeQuery("infer.svc.gba.example.", dns::kA, 8)).size(), 12u);
}
