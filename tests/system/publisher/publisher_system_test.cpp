// System tests: the real cdns-publish against the real cdns-authority on loopback, read with dig.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/daemon.h"

using namespace cdns::test;

namespace {

const std::string kAuthority = CDNS_AUTHORITY_BIN;
const std::string kPublish = CDNS_PUBLISH_BIN;
const char* kSecret = "cHVibGlzaGVyLXRlc3Qta2V5LWZvci1zejEtMDEyMzQ1Ng==";

// A publisher process with its log, stopped by signal.
struct Agent {
  pid_t pid = -1;
  std::string log;
  Agent(const std::string& config, const std::string& logFile, std::vector<std::string> extra = {}) : log(logFile) {
    pid = fork();
    if (pid == 0) {
      int fd = open(logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<std::string> args = {kPublish, "--config", config};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  int stop(int sig) {
    if (pid <= 0) return -1;
    ::kill(pid, sig);
    int st = 0;
    waitpid(pid, &st, 0);
    pid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  std::string text() const {
    std::ifstream f(log);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  ~Agent() {
    if (pid > 0) stop(SIGKILL);
  }
};

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

class PublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir();
    writeFile(dir_ + "/gba.zone", "$ORIGIN gba.example.\n$TTL 300\n@ SOA ns1 hm 1 3600 600 604800 300\n@ NS ns1\nns1 A 127.0.0.1\n");
    writeFile(dir_ + "/auth.json", std::string(R"({"keys": [{"name": "sz1.", "algorithm": "hmac-sha256", "secret": ")") +
                                       kSecret + R"("}],
      "zones": [{"name": "gba.example.", "file": "gba.zone",
        "update": {"rules": [{"key": "sz1.", "name": "sz1.centers.gba.example.", "types": ["ANY"]},
                             {"key": "sz1.", "name": "infer.svc.gba.example.", "match": "exact", "types": ["PTR"],
                              "target_under": "sz1.centers.gba.example."}],
                   "lease": {"min": 1}}}]})");
    auth_ = std::make_unique<Daemon>(kAuthority, std::vector<std::string>{"--config", dir_ + "/auth.json", "--listen", "127.0.0.1:0"});
    ASSERT_TRUE(auth_->ready()) << auth_->logTail();
    writeFile(dir_ + "/queue", "3\n");
    config(kSecret, "127.0.0.1:" + std::to_string(auth_->port("udp")));
  }
  void TearDown() override {
    auth_.reset();
    removeTree(dir_);
  }
  void config(const std::string& secret, const std::string& primary, const std::string& extraCollector = "") {
    writeFile(dir_ + "/pub.json", R"({"center": "sz1", "zone": "gba.example.", "primaries": [")" + primary +
                                      R"("], "key": {"name": "sz1.", "secret": ")" + secret + R"("},
      "interval_seconds": 0.2, "heartbeat_seconds": 2, "lease_seconds": 3, "ttl": 30, "timeout_ms": 300, "attempts": 2,
      "collectors": [{"type": "exec", "command": "echo cap.queue=$(cat )" + dir_ + R"(/queue); echo cap.cpu=8/16"})" +
                                      extraCollector + R"(],
      "static": {"site": {"kind": "hpc", "region": "shenzhen"}, "energy": {"pue": 1.3}},
      "services": [{"name": "infer", "addresses": ["192.0.2.10"]}]})");
  }
  std::string dig(const std::string& q) {
    return runCommand("dig @127.0.0.1 -p " + std::to_string(auth_->port("udp")) + " +short " + q);
  }
  // The CAP rdata as one upper-case hex string (dig prints "\# 36 00000008 ...").
  std::string cap() {
    std::string out = dig("sz1.centers.gba.example TYPE65281"), hex;
    auto sp = out.find(' ', 3);
    if (sp == std::string::npos) return "";
    for (char c : out.substr(sp))
      if (std::isxdigit(static_cast<unsigned char>(c))) hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return hex;
  }
  // Waits up to `ms` for `pred`.
  template <typename F>
  bool waitFor(F pred, int ms) {
    for (int i = 0; i < ms / 50; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
  }
  std::string dir_;
  std::unique_ptr<Daemon> auth_;
};

// CAP queue=N: key 7, length 4, N (in the generic form dig prints).
std::string queueHex(int n) {
  char buf[32];
  snprintf(buf, sizeof buf, "00070004%08X", n);
  return buf;
}

TEST_F(PublisherTest, ChangesArePublishedAtOnceAndQuietStateOnlyBeatsTheHeart) {
  Agent a(dir_ + "/pub.json", dir_ + "/pub.log");
  ASSERT_TRUE(waitFor([&] { return cap().find(queueHex(3)) != std::string::npos; }, 3000)) << a.text();
  EXPECT_EQ(dig("infer.svc.gba.example PTR"), "infer.sz1.centers.gba.example.\n");
  EXPECT_EQ(dig("infer.sz1.centers.gba.example A"), "192.0.2.10\n");
  // The state changes: dig sees it within a second.
  writeFile(dir_ + "/queue", "11\n");
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(waitFor([&] { return cap().find(queueHex(11)) != std::string::npos; }, 3000)) << a.text();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1000));
  // Nothing changes for 3 s: no update but the heartbeat (every 2 s).
  std::string before = a.text();
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  std::string during = a.text().substr(before.size());
  EXPECT_EQ(count(during, "why=change"), 0) << during;
  EXPECT_GE(count(during, "why=heartbeat"), 1) << during;
  EXPECT_LE(count(during, "why=heartbeat"), 2) << during;
  EXPECT_EQ(a.stop(SIGTERM), 0);
}

TEST_F(PublisherTest, SigtermWithdrawsAndSigkillExpiresByLease) {
  {
    Agent a(dir_ + "/pub.json", dir_ + "/pub.log");
    ASSERT_TRUE(waitFor([&] { return !cap().empty(); }, 3000)) << a.text();
    EXPECT_EQ(a.stop(SIGTERM), 0);
    EXPECT_EQ(cap(), "");  // withdrawn at once
    EXPECT_EQ(dig("infer.svc.gba.example PTR"), "");
    EXPECT_NE(a.text().find("capacity withdrawn"), std::string::npos);
  }
  Agent b(dir_ + "/pub.json", dir_ + "/pub2.log");
  ASSERT_TRUE(waitFor([&] { return !cap().empty(); }, 3000)) << b.text();
  b.stop(SIGKILL);  // dies without a word
  EXPECT_FALSE(cap().empty());
  // The lease (3 s) runs out and the authority removes the records for every client.
  EXPECT_TRUE(waitFor([&] { return cap().empty(); }, 6000));
  EXPECT_EQ(dig("sz1.centers.gba.example TYPE65280"), "");  // SITE too
}

TEST_F(PublisherTest, ZeroWithdrawalKeepsTotals) {
  std::string cfg = dir_ + "/pub.json";
  std::ifstream in(cfg);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  text.insert(text.find("\"collectors\""), "\"withdraw\": \"zero\", ");
  writeFile(cfg, text);
  Agent a(cfg, dir_ + "/pub.log");
  ASSERT_TRUE(waitFor([&] { return !cap().empty(); }, 3000)) << a.text();
  EXPECT_EQ(a.stop(SIGTERM), 0);
  // cpu=0/16 is key 1: free 0, total 16.
  EXPECT_NE(cap().find("0001000800000000" "00000010"), std::string::npos) << cap();
}

TEST_F(PublisherTest, BadConfigurationAndRefusalsAreClear) {
  int st = 0;
  writeFile(dir_ + "/bad.json", R"({"center": "sz1", "zone": "gba.example.", "primaries": ["127.0.0.1:53"],
    "key": {"name": "sz1.", "secret": "c2VjcmV0"}, "collectors": [{"type": "quantum"}]})");
  std::string out = runCommand(kPublish + " --config " + dir_ + "/bad.json --check-config 2>&1", &st);
  EXPECT_EQ(st, 2);
  EXPECT_NE(out.find("/collectors/0/type: unknown collector \"quantum\""), std::string::npos) << out;
  writeFile(dir_ + "/bad.json", R"({"center": "sz1", "zone": "gba.example.", "primaries": ["127.0.0.1:53"],
    "key_file": "missing.key"})");
  out = runCommand(kPublish + " --config " + dir_ + "/bad.json --check-config 2>&1", &st);
  EXPECT_EQ(st, 2);
  EXPECT_NE(out.find("/key_file: "), std::string::npos) << out;
  EXPECT_NE(out.find("missing.key"), std::string::npos) << out;
  // A key the authority rejects: every attempt logged with the reason, the agent keeps running.
  config("d3JvbmctYnV0LXdlbGwtZm9ybWVkLXNlY3JldC0wMDAwMDA=", "127.0.0.1:" + std::to_string(auth_->port("udp")));
  {
    Agent a(dir_ + "/pub.json", dir_ + "/pub.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_NE(a.text().find("NOTAUTH"), std::string::npos) << a.text();
    EXPECT_EQ(cap(), "");
    EXPECT_EQ(a.stop(SIGTERM), 0);
  }
  // An unreachable primary: retries with back-off, logs, keeps running; --once exits 1.
  config(kSecret, "127.0.0.1:1");
  out = runCommand(kPublish + " --config " + dir_ + "/pub.json --once 2>&1", &st);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("no primary accepted the update: 127.0.0.1:1: "), std::string::npos) << out;
  // Two primaries, the first dead: failover to the second.
  writeFile(dir_ + "/queue", "5\n");
  config(kSecret, "127.0.0.1:1\", \"127.0.0.1:" + std::to_string(auth_->port("udp")));
  out = runCommand(kPublish + " --config " + dir_ + "/pub.json --once 2>&1", &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_NE(cap().find(queueHex(5)), std::string::npos);
  // --dry-run prints the update and sends nothing; --set overrides a field.
  out = runCommand(kPublish + " --config " + dir_ + "/pub.json --dry-run --set cap.queue=42 2>/dev/null", &st);
  EXPECT_EQ(st, 0);
  EXPECT_NE(out.find("update add sz1.centers.gba.example. 30 IN CAP ts="), std::string::npos) << out;
  EXPECT_NE(out.find("queue=42"), std::string::npos) << out;
  EXPECT_NE(cap().find(queueHex(5)), std::string::npos);
}

TEST_F(PublisherTest, CalibrationPublishesAGrade) {
  writeFile(dir_ + "/bench.json", R"({"gpu": "NVIDIA H200", "bs112_images_per_s": 4202.9, "bs448_images_per_s": 5981.9})");
  std::string cfg = dir_ + "/pub.json";
  std::ifstream in(cfg);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  text.insert(text.find("\"collectors\""), R"("calibrate": {"command": "cat )" + dir_ + R"(/bench.json", "metric": "bs448_images_per_s",
      "tier_file": "tier.json", "grades": [{"class": "B1.small", "min": 100}, {"class": "S1.medium", "min": 1000},
      {"class": "P1.large", "min": 5000}, {"class": "P2.xlarge", "min": 20000}]}, )");
  writeFile(cfg, text);
  int st = 0;
  std::string out = runCommand(kPublish + " --config " + cfg + " --calibrate 2>&1", &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_NE(out.find("TIER ts="), std::string::npos) << out;
  EXPECT_NE(out.find("class=P1.large score=5981.9 bench=resnet50-fp16-train unit=images/s"), std::string::npos) << out;
  EXPECT_FALSE(dig("sz1.centers.gba.example TYPE65286").empty());
  // The grade is kept and republished by the agent.
  out = runCommand(kPublish + " --config " + cfg + " --dry-run 2>/dev/null");
  EXPECT_NE(out.find("class=P1.large"), std::string::npos) << out;
}

}  // namespace
