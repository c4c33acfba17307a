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
