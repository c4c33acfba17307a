// The command line the daemons share (cdns-resolver, cdns-relay).
#include <gtest/gtest.h>

#include "common/daemon_args.h"

using namespace cdns;

TEST(DaemonArgs, EveryOptionInAnyOrder) {
  auto a = parseDaemonArgs({"--check-config", "--listen", "127.0.0.1:0", "--config", "c.json", "--ready-file", "r"});
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->configFile, "c.json");
  EXPECT_EQ(a->listen, "127.0.0.1:0");
  EXPECT_EQ(a->readyFile, "r");
  EXPECT_TRUE(a->check);
  EXPECT_FALSE(a->help);
}

TEST(DaemonArgs, HelpWinsAndProblemsAreNamed) {
  EXPECT_TRUE(parseDaemonArgs({"--help", "--bogus"})->help);
  EXPECT_TRUE(parseDaemonArgs({"-h"})->help);
  EXPECT_EQ(parseDaemonArgs({"--bogus"}).error().message, "unknown option --bogus (see --help)");
  EXPECT_EQ(parseDaemonArgs({"--config"}).error().message, "--config needs a value");
  EXPECT_EQ(parseDaemonArgs({"--listen", "127.0.0.1:0"}).error().message, "--config FILE is required (see --help)");
  EXPECT_EQ(parseDaemonArgs({}).error().message, "--config FILE is required (see --help)");
}
