// Unit tests: relay tokens and the job table.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "relay/job.h"
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
