// Unit tests: relay tokens, the job table (replay, compaction) and the configuration.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "relay/job.h"
#include "relay/relay.h"
#include "relay/token.h"

using namespace cdns::relay;

TEST(Token, MintVerifyExpireTamper) {
  std::vector<uint8_t> key(32, 7), other(32, 8);
  std::string t = mintToken(key, "alice", 2000);
  auto c = verifyToken(key, t, 1000);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->expires, 2000u);
  EXPECT_EQ(verifyToken(key, t, 2000).error().message, "token expired");
  EXPECT_EQ(verifyToken(other, t, 1000).error().message, "bad token signature");
  std::string forged = mintToken(other, "root", 2000);
  EXPECT_EQ(verifyToken(key, forged.substr(0, forged.find('.')) + t.substr(t.find('.')), 1000).error().message,
            "bad token signature");
  EXPECT_EQ(verifyToken(key, "nodot", 1000).error().message, "malformed token");
}

TEST(JobStore, SurvivesReopenAndATornLastLine) {
  std::string path = ::testing::TempDir() + "/jobs_test.log";
  std::remove(path.c_str());
  {
    auto s = JobStore::open(path);
    ASSERT_TRUE(s.ok()) << s.error().message;
    Job a;
    a.id = "j1";
    a.user = "alice";
    a.command = {"echo", "hi"};
    ASSERT_TRUE((*s)->put(a).ok());
    a.state = JobState::kCompleted;
    a.exitCode = 0;
    ASSERT_TRUE((*s)->put(a).ok());
    Job b;
    b.id = "j2";
    b.user = "bob";
    b.script = "sleep 1\n";
    b.cpus = 2;
    ASSERT_TRUE((*s)->put(b).ok());
  }
  {
    std::ofstream f(path, std::ios::app);
    f << R"({"id":"j3","user":"carol","state":"pend)";  // a crash in the middle of a write
  }
  auto s = JobStore::open(path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->all().size(), 2u);
  EXPECT_EQ((*s)->find("j1")->state, JobState::kCompleted);
  EXPECT_EQ((*s)->find("j1")->exitCode, 0);
  EXPECT_EQ((*s)->find("j2")->cpus, 2u);
  EXPECT_EQ((*s)->find("j2")->script, "sleep 1\n");
  EXPECT_EQ((*s)->find("j3"), nullptr);
  std::remove(path.c_str());
}

TEST(JobStore, CompactDropsWhatItIsToldAndKeepsAppending) {
  std::string path = ::testing::TempDir() + "/jobs_compact_test.log";
  std::remove(path.c_str());
  auto s = JobStore::open(path);
  ASSERT_TRUE(s.ok()) << s.error().message;
  for (int i = 0; i < 4; ++i) {
    Job j;
    j.id = "j" + std::to_string(i);
    j.user = "alice";
    j.command = {"true"};
    j.state = i < 2 ? JobState::kCompleted : JobState::kRunning;
    j.ended = i < 2 ? 100 : 0;
    ASSERT_TRUE((*s)->put(j).ok());
    ASSERT_TRUE((*s)->put(j).ok());
  }
  EXPECT_EQ((*s)->linesSinceCompaction(), 8u);
  auto dropped = (*s)->compact([](const Job& j) { return !isFinal(j.state); });
  ASSERT_TRUE(dropped.ok()) << dropped.error().message;
  EXPECT_EQ(*dropped, (std::vector<std::string>{"j0", "j1"}));
  EXPECT_EQ((*s)->linesSinceCompaction(), 0u);
  EXPECT_EQ((*s)->find("j0"), nullptr);
  // Appends after a compaction go to the new file, and survive a reopen.
  Job j = *(*s)->find("j2");
  j.state = JobState::kFailed;
  ASSERT_TRUE((*s)->put(j).ok());
  s = JobStore::open(path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->all().size(), 2u);
  EXPECT_EQ((*s)->find("j2")->state, JobState::kFailed);
  EXPECT_EQ((*s)->find("j3")->state, JobState::kRunning);
  std::ifstream in(path);
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) ++lines;
  EXPECT_EQ(lines, 2u);  // one line per job after the reopen
  std::remove(path.c_str());
}

TEST(RelayConfig, PathsAreAbsoluteAndNewKeysAreChecked) {
  std::string dir = ::testing::TempDir() + "/relay_config_test";
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& text) {
    std::ofstream(dir + "/relay.json") << text;
  };
  write(R"({"key_file": "relay.key", "state_dir": "state", "users": {"a": "b"}, "stats_listen": "127.0.0.1:0",
            "job_retention": 60})");
  // A configuration named by a relative path still gives an absolute state directory (Slurm is
  // handed the working directories below it).
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  Config c = loadConfig("relay.json");
  std::filesystem::current_path(cwd);
  EXPECT_EQ(c.stateDir, std::filesystem::weakly_canonical(dir).string() + "/state");
  EXPECT_EQ(c.statsListen, "127.0.0.1:0");
  EXPECT_EQ(c.retention, 60u);
  EXPECT_EQ(loadConfig(dir + "/relay.json").stateDir, c.stateDir);
  write(R"({"key_file": "k", "users": {"a": "b"}, "stats_listen": "0.0.0.0:9000"})");
  try {
    loadConfig(dir + "/relay.json");
    FAIL() << "a stats listener off loopback was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("/stats_listen: must be a loopback address"), std::string::npos) << e.what();
  }
  write(R"({"key_file": "k", "users": {"a": "b"}})");
  EXPECT_EQ(loadConfig(dir + "/relay.json").retention, 30u * 86400);
  std::filesystem::remove_all(dir);
}
