// Unit tests: JSON config errors name the JSON path.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>

#include "common/config.h"

using namespace cdns;

namespace {
std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Config, ErrorsNameThePath) {
  auto j = nlohmann::json::parse(R"({"zones":[{"name":"a."},{"name":5}],"port":70000,"lisen":1})");
  ConfigNode root(j, "");
  auto zones = root.child("zones");
  EXPECT_EQ(zones.at(0).str("name"), "a.");
  EXPECT_EQ(errorOf([&] { zones.at(1).str("name"); }), "/zones/1/name: expected string");
  EXPECT_EQ(errorOf([&] { zones.at(0).str("file"); }), "/zones/0/file: required");
  EXPECT_EQ(errorOf([&] { root.integer("port", 0, 65535); }), "/port: expected integer 0..65535");
  EXPECT_EQ(errorOf([&] { root.checkKnown({"zones", "port"}); }), "/lisen: unknown key");
  EXPECT_EQ(root.integer("missing", 1, 10, 7), 7);
  EXPECT_TRUE(root.boolean("missing", true));
}

TEST(Config, FileErrorsNameFileAndLine) {
  std::string path = ::testing::TempDir() + "/cfg_test.json";
  {
    std::ofstream f(path);
    f << "{\n  \"a\": 1,\n  \"b\": \n}\n";
  }
  std::string e = errorOf([&] { loadJsonFile(path); });
  EXPECT_NE(e.find(path + ":4: invalid JSON"), std::string::npos) << e;
  EXPECT_NE(errorOf([&] { loadJsonFile(path + ".missing"); }).find("cannot open"), std::string::npos);
  std::remove(path.c_str());
}

TEST(ByteSize, UnitsAnyCase) {
  uint64_t v = 0;
  EXPECT_TRUE(cdns::parseByteSize("64g", v));
  EXPECT_EQ(v, 64ULL << 30);
  EXPECT_TRUE(cdns::parseByteSize("16GiB", v));
  EXPECT_EQ(v, 16ULL << 30);
  EXPECT_TRUE(cdns::parseByteSize("1.5T", v));
  EXPECT_EQ(v, 3ULL << 39);
  EXPECT_TRUE(cdns::parseByteSize("512", v));
  EXPECT_EQ(v, 512u);
  EXPECT_TRUE(cdns::parseByteSize("128mb", v));
  EXPECT_EQ(v, 128ULL << 20);
  for (const char* bad : {"", "g", "-1G", "12X", "1Gb2", "4P", "nan", "inf", "2000000000000G"})
    EXPECT_FALSE(cdns::parseByteSize(bad, v)) << bad;
}
