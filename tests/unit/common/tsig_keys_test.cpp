// Unit tests: TSIG key specs (name:alg:secret), key files (BIND, Knot keymgr) and the keyring.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "common/tsig.h"
#include "tsig_test_util.h"

using namespace cdns;
using namespace cdns::tsig;
using namespace cdns::tsig::test;

TEST(TsigKeys, ParseKeySpec) {
  const std::string s = base64(secretBytes(1));
  struct Case {
    std::string spec;
    std::string name;  // empty: expect an error containing `error`
    Algorithm alg;
    std::string error;
  } cases[] = {
      {"hmac-sha256:k1:" + s, "k1.", Algorithm::kHmacSha256, ""},
      {"k1:" + s, "k1.", Algorithm::kHmacSha256, ""},
      {" HMAC-SHA512.:Pub.SZ1.:" + s + "\n", "pub.sz1.", Algorithm::kHmacSha512, ""},
      {"hmac-sha1:k1:" + s.substr(0, s.size() - 1), "k1.", Algorithm::kHmacSha1, ""},  // no '='
      {"key \"xfr.Example\" { algorithm hmac-sha384; secret \"" + s + "\"; };", "xfr.example.",
       Algorithm::kHmacSha384, ""},
      {"hmac-md4:k1:" + s, "", {}, "unknown algorithm 'hmac-md4'"},
      {"hmac-md5:k1:" + s, "", {}, "unknown algorithm 'hmac-md5'"},
      {"k1:!!!!", "", {}, "bad base64 secret"},
      {"k1:YQ=", "", {}, "bad base64 secret"},
      {"k1:Y", "", {}, "bad base64 secret"},
      {"k1:====", "", {}, "bad base64 secret"},
      {"k1:YQ==YQ==", "", {}, "bad base64 secret"},
      {"hmac-sha256:k1:", "", {}, "missing secret"},
      {"hmac-sha256::" + s, "", {}, "missing key name"},
      {":k1:" + s, "", {}, "missing algorithm"},
      {"k1", "", {}, "expected [algorithm:]name:secret"},
      {"a:b:c:d", "", {}, "expected [algorithm:]name:secret"},
      {"hmac-sha256:a..b:" + s, "", {}, "bad key name 'a..b'"},
      {"key \"k\" { algorithm hmac-sha256; };", "", {}, "missing secret"},
      {"key \"k\" { secret \"" + s + "\"; };", "", {}, "missing algorithm"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.spec);
    auto k = parseKeySpec(c.spec);
    if (c.name.empty()) {
      ASSERT_FALSE(k.ok());
      EXPECT_NE(k.error().message.find(c.error), std::string::npos) << k.error().message;
      continue;
    }
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_EQ(k->name, c.name);
    EXPECT_EQ(k->algorithm, c.alg);
    EXPECT_EQ(k->secret, secretBytes(1));
  }
  // Padding: the decoded length excludes what '=' stands for.
  struct B64 {
    const char* in;
    const char* out;
  } b64[] = {{"YQ==", "a"}, {"YWI=", "ab"}, {"YWJj", "abc"}, {"YQ", "a"}, {"YWJjZA==", "abcd"}};
  for (const auto& c : b64) {
    auto k = parseKeySpec(std::string("k:") + c.in);
    ASSERT_TRUE(k.ok()) << c.in;
    EXPECT_EQ(std::string(k->secret.begin(), k->secret.end()), c.out) << c.in;
  }
}

TEST(TsigKeys, ParseKeyFile) {
  const std::string s = base64(secretBytes(1));
  auto write = [](const std::string& name, const std::string& text) {
    std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path) << text;
    return path;
  };
  auto bind = write("bind.key",
                    "# comment\n// another\n/* block\n comment */\nkey \"k1\" {\n\talgorithm "
                    "hmac-sha256;\n\tsecret \"" +
                        s +
                        "\";\n};\nkey xfr.Example. { algorithm "
                        "HMAC-SHA512; secret \"" +
                        s + "\"; };\n");
  auto knot = write("knot.yaml", "# hmac-sha256:k1:" + s +
                                     "\nkey:\n  - id: k1\n    algorithm: "
                                     "hmac-sha256\n    secret: " +
                                     s +
                                     "\n  - id: \"k2.\"\n    algorithm: hmac-sha1\n"
                                     "    secret: " +
                                     s + "\n");
  auto specs = write("specs.txt", "# keys\nhmac-sha224:k1:" + s + "\n\nk2:" + s + "\n");
  for (const auto& [path, n] : {std::pair{bind, 2}, {knot, 2}, {specs, 2}}) {
    auto keys = parseKeyFile(path);
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    ASSERT_EQ(keys->size(), static_cast<size_t>(n)) << path;
    EXPECT_EQ((*keys)[0].name, "k1.");
    EXPECT_EQ((*keys)[0].secret, secretBytes(1));
  }
  EXPECT_EQ((*parseKeyFile(bind))[1].name, "xfr.example.");
  EXPECT_EQ((*parseKeyFile(bind))[1].algorithm, Algorithm::kHmacSha512);
  EXPECT_EQ((*parseKeyFile(knot))[1].algorithm, Algorithm::kHmacSha1);

  struct Bad {
    std::string text;
    std::string error;  // after "<path>"
  } bad[] = {
      {"\nkey \"k1\" {\n algorithm hmac-sha256;\n};\n", ":2: key \"k1\": missing secret"},
      {"key \"k1\" { algorithm hmac-sha256; secret \"" + s + "\"; owner x; };",
       ":1: unknown clause 'owner' in key \"k1\""},
      {"key \"k1\" { algorithm hmac-sha256; secret \"" + s + "\"; }", ":1: expected '};'"},
      {"key \"k1\" { algorithm hmac-sha256; secret \"abc", ":1: unterminated string"},
      {"options { };", ":1: expected 'key', found 'options'"},
      {"key:\n  - id: k1\n    algorithm: hmac-md5\n    secret: " + s + "\n",
       ":2: key 'k1': unknown algorithm 'hmac-md5'"},
      {"key:\n  - id: k1\n    secret: " + s + "\n    storage: x\n",
       ":4: unknown key field 'storage'"},
      {"hmac-sha256:k1:" + s + "\nk2:not*base64\n", ":2: key spec: bad base64 secret"},
      {"# nothing\n", ": no keys"},
  };
  for (const auto& b : bad) {
    std::string path = write("bad.key", b.text);
    auto keys = parseKeyFile(path);
    ASSERT_FALSE(keys.ok()) << b.text;
    EXPECT_EQ(keys.error().message.rfind(path + b.error, 0), 0u) << keys.error().message;
  }
  auto missing = parseKeyFile("/nonexistent/tsig.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "/nonexistent/tsig.key: cannot open");
}

TEST(TsigKeys, ParsesKeymgrOutput) {
  // Knot's own key generator: YAML plus a "# alg:name:secret" comment line.
  if (std::system("command -v keymgr >/dev/null 2>&1") != 0) GTEST_SKIP() << "no keymgr";
  std::string path = ::testing::TempDir() + "/keymgr.yaml";
  ASSERT_EQ(std::system(("keymgr -t Xfr.Example hmac-sha384 >" + path).c_str()), 0);
  auto keys = parseKeyFile(path);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].name, "xfr.example.");
  EXPECT_EQ((*keys)[0].algorithm, Algorithm::kHmacSha384);
  EXPECT_EQ((*keys)[0].secret.size(), 48u);
  std::ifstream f(path);
  std::string comment;
  std::getline(f, comment);
  auto spec = parseKeySpec(comment.substr(2));
  ASSERT_TRUE(spec.ok()) << comment;
  EXPECT_EQ(spec->secret, (*keys)[0].secret);
}

TEST(TsigKeys, Keyring) {
  Keyring ring;
  EXPECT_EQ(ring.find("k1."), nullptr);
  ring.add(makeKey(Algorithm::kHmacSha256, "K1.Example"));
  ring.add(makeKey(Algorithm::kHmacSha1, "k2."));
  EXPECT_EQ(ring.size(), 2u);
  const Key* k = ring.find("k1.example.");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->name, "k1.example.");
  EXPECT_EQ(ring.find("K1.EXAMPLE"), k);
  ring.add(makeKey(Algorithm::kHmacSha512, "k1.example."));  // replaces, pointer stays valid
  EXPECT_EQ(ring.size(), 2u);
  EXPECT_EQ(ring.find("k1.example."), k);
  EXPECT_EQ(k->algorithm, Algorithm::kHmacSha512);
  EXPECT_EQ(ring.find("k3."), nullptr);
  EXPECT_EQ(ring.find(""), nullptr);
}
