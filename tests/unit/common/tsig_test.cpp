// Unit tests: TSIG (RFC 8945) against ldns and kdig, and bad input.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <random>

#include "common/ldns_handles.h"
#include "common/tsig.h"
#include "common/wire.h"
#include "tsig_test_util.h"

using namespace cdns;
using namespace cdns::tsig;
using namespace cdns::tsig::test;

namespace {

constexpr uint64_t kNow = 1700000000;
constexpr Algorithm kAllAlgorithms[] = {Algorithm::kHmacSha1, Algorithm::kHmacSha224,
                                        Algorithm::kHmacSha256, Algorithm::kHmacSha384,
                                        Algorithm::kHmacSha512};

uint16_t get16(const std::vector<uint8_t>& m, size_t at) {
  return static_cast<uint16_t>(m[at] << 8 | m[at + 1]);
}
void put16(std::vector<uint8_t>& m, size_t at, uint16_t v) {
  m[at] = static_cast<uint8_t>(v >> 8);
  m[at + 1] = static_cast<uint8_t>(v);
}

/// A query for `qname` (simple dotted labels) with id 0x1234 and an empty additional section.
std::vector<uint8_t> makeQuery(std::string_view qname = "www.example.", uint16_t id = 0x1234) {
  std::vector<uint8_t> m;
  WireWriter w(m);
  w.u16(id);
  w.u16(0x0100);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  while (!qname.empty() && qname != ".") {
    size_t dot = qname.find('.');
    w.u8(static_cast<uint8_t>(dot));
    w.bytes(qname.substr(0, dot));
    qname.remove_prefix(dot + 1);
  }
  w.u8(0);
  w.u16(6);  // SOA
  w.u16(1);
  return m;
}

/// The response skeleton for a (signed) request: its bytes before the TSIG, QR and AA set.
std::vector<uint8_t> responseFor(const std::vector<uint8_t>& query, size_t tsigOffset) {
  std::vector<uint8_t> r(query.begin(), query.begin() + static_cast<long>(tsigOffset));
  r[2] |= 0x84;
  put16(r, 10, static_cast<uint16_t>(get16(r, 10) - 1));
  return r;
}

/// The fields of a TSIG RR that our signer wrote uncompressed at `at`.
struct Fields {
  std::string owner;
  uint64_t timeSigned = 0;
  uint16_t fudge = 0, macSize = 0, originalId = 0, error = 0;
  std::vector<uint8_t> other;
  size_t macAt = 0, rdlenAt = 0;
};
Fields readFields(const std::vector<uint8_t>& m, size_t at) {
  Fields f;
  WireReader r(m);
  r.seek(at);
  for (uint8_t l = r.u8(); l != 0 && !r.failed(); l = r.u8()) {
    auto b = r.bytes(l);
    f.owner.append(b.begin(), b.end());
    f.owner += '.';
  }
  r.skip(8);
  f.rdlenAt = r.offset();
  r.skip(2);
  for (uint8_t l = r.u8(); l != 0 && !r.failed(); l = r.u8()) r.skip(l);
  f.timeSigned = static_cast<uint64_t>(r.u16()) << 32;
  f.timeSigned |= r.u32();
  f.fudge = r.u16();
  f.macSize = r.u16();
  f.macAt = r.offset();
  r.skip(f.macSize);
  f.originalId = r.u16();
  f.error = r.u16();
  auto other = r.bytes(r.u16());
  f.other.assign(other.begin(), other.end());
  EXPECT_FALSE(r.failed());
  EXPECT_TRUE(r.atEnd());
  return f;
}

Keyring ringOf(const Key& k) {
  Keyring ring;
  ring.add(k);
  return ring;
}

/// A signed query and what verifyRequest makes of it.
struct Signed {
  std::vector<uint8_t> msg;
  std::vector<uint8_t> mac;
  size_t tsigOffset = 0;
};
Signed signedQuery(const Key& k, uint64_t now = kNow) {
  Signed s{makeQuery(), {}, 0};
  s.tsigOffset = s.msg.size();
  auto mac = signRequest(s.msg, k, now);
  EXPECT_TRUE(mac.ok());
  s.mac = *mac;
  return s;
}

}  // namespace

TEST(TsigAlgorithm, ParsesNames) {
  struct Case {
    const char* text;
    bool ok;
    Algorithm want;
  } cases[] = {
      {"hmac-sha1", true, Algorithm::kHmacSha1},
      {"hmac-sha224.", true, Algorithm::kHmacSha224},
      {"HMAC-SHA256", true, Algorithm::kHmacSha256},
      {"hmac-sha384", true, Algorithm::kHmacSha384},
      {"hmac-sha512.", true, Algorithm::kHmacSha512},
      {"hmac-md5", false, {}},
      {"hmac-md5.sig-alg.reg.int.", false, {}},
      {"", false, {}},
      {"hmac-sha256..", false, {}},
      {"sha256", false, {}},
  };
  for (const auto& c : cases) {
    Algorithm a{};
    EXPECT_EQ(parseAlgorithm(c.text, a), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(a, c.want) << c.text;
    }
  }
  EXPECT_EQ(algorithmName(Algorithm::kHmacSha256), "hmac-sha256.");
  EXPECT_EQ(macSize(Algorithm::kHmacSha1), 20u);
  EXPECT_EQ(macSize(Algorithm::kHmacSha512), 64u);
}

TEST(Tsig, SignAndVerifyRoundTripAllAlgorithms) {
  for (Algorithm a : kAllAlgorithms) {
    SCOPED_TRACE(std::string(algorithmName(a)));
    Key k = makeKey(a, "Pub.SZ1");  // the key name is canonicalised on the wire
    Keyring ring = ringOf(k);
    Signed q = signedQuery(k);
    EXPECT_EQ(q.mac.size(), macSize(a));
    auto req = verifyRequest(q.msg, ring, kNow + 10);
    ASSERT_TRUE(req.ok()) << req.error().message;
    EXPECT_TRUE(req->present);
    EXPECT_EQ(req->error, TsigRcode::kNoError);
    EXPECT_EQ(req->key, ring.find("pub.sz1."));
    EXPECT_EQ(req->keyName, "pub.sz1.");
    EXPECT_EQ(req->algorithmName, algorithmName(a));
    EXPECT_EQ(req->algorithm, a);
    EXPECT_EQ(req->mac, q.mac);
    EXPECT_EQ(req->timeSigned, kNow);
    EXPECT_EQ(req->fudge, 300);
    EXPECT_EQ(req->originalId, 0x1234);
    EXPECT_EQ(req->tsigOffset, q.tsigOffset);

    std::vector<uint8_t> resp = responseFor(q.msg, req->tsigOffset);
    auto rmac = signResponse(resp, *req, kNow + 11);
    ASSERT_TRUE(rmac.ok()) << rmac.error().message;
    auto checked = verifyResponse(resp, k, q.mac, kNow + 12);
    ASSERT_TRUE(checked.ok()) << checked.error().message;
    EXPECT_EQ(*checked, *rmac);
    // The response MAC covers the request MAC: another prior MAC fails.
    std::vector<uint8_t> otherMac(q.mac.size(), 0x55);
    EXPECT_FALSE(verifyResponse(resp, k, otherMac, kNow + 12).ok());
  }
}

TEST(Tsig, UnsignedMessagesAreNotPresent) {
  Keyring ring = ringOf(makeKey(Algorithm::kHmacSha256));
  auto q = makeQuery();
  auto req = verifyRequest(q, ring, kNow);
  ASSERT_TRUE(req.ok());
  EXPECT_FALSE(req->present);
  std::vector<uint8_t> header(12, 0);
  req = verifyRequest(header, ring, kNow);
  ASSERT_TRUE(req.ok());
  EXPECT_FALSE(req->present);
  EXPECT_FALSE(verifyRequest(std::vector<uint8_t>(11, 0), ring, kNow).ok());
}

TEST(Tsig, VerificationResults) {
  Key k = makeKey(Algorithm::kHmacSha256);
  Signed q = signedQuery(k);
  Fields f = readFields(q.msg, q.tsigOffset);
  struct Case {
    const char* what;
    std::function<void(std::vector<uint8_t>&, Keyring&, uint64_t&)> mutate;
    TsigRcode want;
  } cases[] = {
      {"good", [](auto&, auto&, auto&) {}, TsigRcode::kNoError},
      {"fudge edge", [](auto&, auto&, uint64_t& now) { now = kNow + 300; }, TsigRcode::kNoError},
      {"fudge edge before", [](auto&, auto&, uint64_t& now) { now = kNow - 300; },
       TsigRcode::kNoError},
      {"unknown key",
       [](auto&, Keyring& r, auto&) { r = ringOf(makeKey(Algorithm::kHmacSha256, "k2.")); },
       TsigRcode::kBadKey},
      {"other algorithm",
       [](auto&, Keyring& r, auto&) { r = ringOf(makeKey(Algorithm::kHmacSha512)); },
       TsigRcode::kBadKey},
      {"other secret",
       [](auto&, Keyring& r, auto&) { r = ringOf(makeKey(Algorithm::kHmacSha256, "k1.", 9)); },
       TsigRcode::kBadSig},
      {"flipped MAC byte", [&](std::vector<uint8_t>& m, auto&, auto&) { m[f.macAt + 5] ^= 1; },
       TsigRcode::kBadSig},
      {"flipped message byte", [](std::vector<uint8_t>& m, auto&, auto&) { m[3] ^= 0x10; },
       TsigRcode::kBadSig},
      {"changed original id", [&](std::vector<uint8_t>& m, auto&, auto&) { m[f.macAt + 32] ^= 1; },
       TsigRcode::kBadSig},
      {"late", [](auto&, auto&, uint64_t& now) { now = kNow + 301; }, TsigRcode::kBadTime},
      {"early", [](auto&, auto&, uint64_t& now) { now = kNow - 301; }, TsigRcode::kBadTime},
      {"bad MAC and late: BADSIG wins (time is checked after the MAC)",
       [&](std::vector<uint8_t>& m, auto&, uint64_t& now) {
         m[f.macAt] ^= 1;
         now = kNow + 1000;
       },
       TsigRcode::kBadSig},
      {"truncated to 16 of 32 bytes",
       [&](std::vector<uint8_t>& m, auto&, auto&) {
         m.erase(m.begin() + static_cast<long>(f.macAt) + 16,
                 m.begin() + static_cast<long>(f.macAt) + 32);
         put16(m, f.macAt - 2, 16);
         put16(m, f.rdlenAt, static_cast<uint16_t>(get16(m, f.rdlenAt) - 16));
       },
       TsigRcode::kBadTrunc},
      {"upper-case key name on the wire",
       [&](std::vector<uint8_t>& m, auto&, auto&) { m[q.tsigOffset + 1] = 'K'; },
       TsigRcode::kNoError},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<uint8_t> m = q.msg;
    Keyring ring = ringOf(k);
    uint64_t now = kNow;
    c.mutate(m, ring, now);
    auto req = verifyRequest(m, ring, now);
    ASSERT_TRUE(req.ok()) << req.error().message;
    EXPECT_TRUE(req->present);
    EXPECT_EQ(req->error, c.want);
    EXPECT_EQ(req->keyName, "k1.");
  }
}

TEST(Tsig, CompressedOwnerNameIsCanonicalised) {
  // Query for k1. with a key named k1.: the TSIG owner may point at the question name.
  Key k = makeKey(Algorithm::kHmacSha1);
  std::vector<uint8_t> m = makeQuery("K1.");
  size_t at = m.size();
  ASSERT_TRUE(signRequest(m, k, kNow).ok());
  ASSERT_EQ(m[at], 2);
  m.erase(m.begin() + static_cast<long>(at), m.begin() + static_cast<long>(at) + 4);
  m.insert(m.begin() + static_cast<long>(at), {0xC0, 12});
  auto req = verifyRequest(m, ringOf(k), kNow);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->error, TsigRcode::kNoError);
  EXPECT_EQ(req->keyName, "k1.");
}

TEST(Tsig, MalformedTsigIsAnError) {
  Key k = makeKey(Algorithm::kHmacSha256);
  Signed q = signedQuery(k);
  Fields f = readFields(q.msg, q.tsigOffset);
  std::vector<uint8_t> aRecord = {0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1};
  const long mac = static_cast<long>(f.macAt);
  struct Case {
    const char* what;
    std::function<void(std::vector<uint8_t>&)> mutate;
    const char* error;  // part of the message
  } cases[] = {
      {"TSIG not last",
       [&](auto& m) {
         m.insert(m.end(), aRecord.begin(), aRecord.end());
         put16(m, 10, 2);
       },
       "TSIG RR is not the last additional record"},
      {"two TSIGs", [&](auto& m) { ASSERT_TRUE(signRequest(m, k, kNow).ok()); },
       "more than one TSIG RR"},
      {"TSIG in the answer section", [&](auto& m) { put16(m, 6, 1), put16(m, 10, 0); },
       "not the last additional record"},
      {"rdlength one too long", [&](auto& m) { put16(m, f.rdlenAt, get16(m, f.rdlenAt) + 1); },
       "record runs past the end of the message"},
      {"rdlength one too short",
       [&](auto& m) { put16(m, f.rdlenAt, get16(m, f.rdlenAt) - 1), m.pop_back(); },
       "TSIG RDATA length does not match its fields"},
      {"trailing byte", [&](auto& m) { m.push_back(0); }, "bytes after the TSIG RR"},
      {"MAC size past the rdata", [&](auto& m) { put16(m, f.macAt - 2, 200); },
       "TSIG RDATA length does not match its fields"},
      {"MAC longer than the hash",
       [&](auto& m) {
         m.insert(m.begin() + mac, 0);
         put16(m, f.macAt - 2, 33), put16(m, f.rdlenAt, get16(m, f.rdlenAt) + 1);
       },
       "TSIG MAC longer than the hash"},
      {"MAC shorter than 16 for sha256",
       [&](auto& m) {
         m.erase(m.begin() + mac + 15, m.begin() + mac + 32);
         put16(m, f.macAt - 2, 15), put16(m, f.rdlenAt, get16(m, f.rdlenAt) - 17);
       },
       "TSIG MAC shorter than the allowed truncation"},
      {"class IN", [&](auto& m) { put16(m, f.rdlenAt - 6, 1); }, "class ANY and TTL 0"},
      {"TTL 1", [&](auto& m) { m[f.rdlenAt - 1] = 1; }, "class ANY and TTL 0"},
      {"owner pointer to itself",
       [&](auto& m) { m[q.tsigOffset] = 0xC0, m[q.tsigOffset + 1] = uint8_t(q.tsigOffset); },
       "malformed owner name"},
      {"owner pointer forward",
       [&](auto& m) { m[q.tsigOffset] = 0xC0, m[q.tsigOffset + 1] = 0xFF; },
       "malformed owner name"},
      {"reserved label type", [&](auto& m) { m[q.tsigOffset] = 0x42; }, "malformed owner name"},
      {"compressed algorithm name",
       [&](auto& m) { m[f.rdlenAt + 2] = 0xC0, m[f.rdlenAt + 3] = 12; },
       "malformed TSIG algorithm name"},
      {"header only, ARCOUNT 1", [&](auto& m) { m.resize(12), put16(m, 4, 0); },
       "malformed owner name"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<uint8_t> m = q.msg;
    c.mutate(m);
    auto req = verifyRequest(m, ringOf(k), kNow);
    ASSERT_FALSE(req.ok());
    EXPECT_NE(req.error().message.find(c.error), std::string::npos) << req.error().message;
  }
  // Every strict prefix of a signed message is malformed (the counts promise more).
  for (size_t n = 0; n < q.msg.size(); ++n) {
    std::vector<uint8_t> m(q.msg.begin(), q.msg.begin() + static_cast<long>(n));
    EXPECT_FALSE(verifyRequest(m, ringOf(k), kNow).ok()) << n;
    EXPECT_FALSE(verifyResponse(m, k, q.mac, kNow).ok()) << n;
  }
}

TEST(Tsig, RandomCorruptionNeverCrashes) {
  Key k = makeKey(Algorithm::kHmacSha256);
  Keyring ring = ringOf(k);
  Signed q = signedQuery(k);
  std::mt19937 rng(42);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> m = q.msg;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int j = 0; j < flips; ++j) m[rng() % m.size()] = static_cast<uint8_t>(rng());
    if (rng() % 4 == 0) m.resize(rng() % (m.size() + 1));
    auto req = verifyRequest(m, ring, kNow);
    if (req.ok() && req->present && req->error == TsigRcode::kNoError) ++accepted;
    (void)verifyResponse(m, k, q.mac, kNow);
    StreamVerifier sv(k, q.mac);
    (void)sv.next(m, kNow);
  }
  EXPECT_LT(accepted, 1000);  // mostly flips of the ID, which the MAC does not cover
}

TEST(Tsig, ErrorResponses) {
  Key k = makeKey(Algorithm::kHmacSha256);
  Signed q = signedQuery(k);
  // BADKEY: unsigned, MAC empty, names echoed (RFC 8945 §5.3.2).
  auto req = verifyRequest(q.msg, ringOf(makeKey(Algorithm::kHmacSha256, "other.")), kNow);
  ASSERT_TRUE(req.ok());
  ASSERT_EQ(req->error, TsigRcode::kBadKey);
  std::vector<uint8_t> resp = responseFor(q.msg, req->tsigOffset);
  size_t at = resp.size();
  auto mac = signResponse(resp, *req, kNow);
  ASSERT_TRUE(mac.ok());
  EXPECT_TRUE(mac->empty());
  Fields f = readFields(resp, at);
  EXPECT_EQ(f.owner, "k1.");
  EXPECT_EQ(f.macSize, 0);
  EXPECT_EQ(f.error, 17);
  EXPECT_TRUE(f.other.empty());
  auto v = verifyResponse(resp, k, q.mac, kNow);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("BADKEY"), std::string::npos) << v.error().message;

  // BADSIG via sign(): unsigned too.
  resp = responseFor(q.msg, q.tsigOffset);
  mac = sign(resp, k, q.mac, kNow, 300, TsigRcode::kBadSig);
  ASSERT_TRUE(mac.ok());
  EXPECT_TRUE(mac->empty());
  EXPECT_EQ(readFields(resp, at).error, 16);
  v = verifyResponse(resp, k, q.mac, kNow);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("BADSIG"), std::string::npos);

  // BADTIME: signed, Time Signed echoes the request, Other Data = our time (RFC 8945 §5.2.3).
  uint64_t late = kNow + 1000;
  Keyring ring = ringOf(k);  // req->key points into it
  req = verifyRequest(q.msg, ring, late);
  ASSERT_TRUE(req.ok());
  ASSERT_EQ(req->error, TsigRcode::kBadTime);
  resp = responseFor(q.msg, q.tsigOffset);
  mac = signResponse(resp, *req, late);
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(mac->size(), 32u);
  f = readFields(resp, at);
  EXPECT_EQ(f.error, 18);
  EXPECT_EQ(f.timeSigned, kNow);
  EXPECT_EQ(f.other, (std::vector<uint8_t>{0, 0, 0x65, 0x53, 0xf4, 0xe8}));  // kNow + 1000
  v = verifyResponse(resp, k, q.mac, kNow);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("BADTIME: server time 1700001000"), std::string::npos)
      << v.error().message;
  // sign() with BADTIME: signed, our time in both fields.
  resp = responseFor(q.msg, q.tsigOffset);
  ASSERT_TRUE(sign(resp, k, q.mac, late, 300, TsigRcode::kBadTime).ok());
  f = readFields(resp, at);
  EXPECT_EQ(f.timeSigned, late);
  EXPECT_EQ(f.other.size(), 6u);
  EXPECT_EQ(f.macSize, 32);
}

TEST(Tsig, ResponseChecks) {
  Key k = makeKey(Algorithm::kHmacSha256);
  Signed q = signedQuery(k);
  std::vector<uint8_t> resp = responseFor(q.msg, q.tsigOffset);
  ASSERT_TRUE(sign(resp, k, q.mac, kNow).ok());
  EXPECT_TRUE(verifyResponse(resp, k, q.mac, kNow).ok());
  EXPECT_FALSE(verifyResponse(resp, k, q.mac, kNow + 301).ok());
  EXPECT_FALSE(verifyResponse(resp, makeKey(Algorithm::kHmacSha256, "k2."), q.mac, kNow).ok());
  EXPECT_FALSE(verifyResponse(resp, makeKey(Algorithm::kHmacSha1), q.mac, kNow).ok());
  EXPECT_FALSE(verifyResponse(resp, k, q.mac, kNow, /*subsequent=*/true).ok());
  auto unsignedResp = responseFor(q.msg, q.tsigOffset);
  EXPECT_FALSE(verifyResponse(unsignedResp, k, q.mac, kNow).ok());
  std::vector<uint8_t> tiny(5, 0);
  EXPECT_FALSE(sign(tiny, k, {}, kNow).ok());
}

TEST(Tsig, MultiMessageStream) {
  Key k = makeKey(Algorithm::kHmacSha384);
  Signed q = signedQuery(k);
  std::vector<std::vector<uint8_t>> msgs;
  std::vector<uint8_t> prior = q.mac;
  for (int i = 0; i < 4; ++i) {
    std::vector<uint8_t> m = responseFor(q.msg, q.tsigOffset);
    m[1] = static_cast<uint8_t>(i);  // a different ID each time
    auto mac = sign(m, k, prior, kNow + i, 300, TsigRcode::kNoError, /*timersOnly=*/i > 0);
    ASSERT_TRUE(mac.ok());
    prior = *mac;
    msgs.push_back(m);
  }
  prior = q.mac;
  StreamVerifier sv(k, q.mac);
  for (size_t i = 0; i < msgs.size(); ++i) {
    auto mac = verifyResponse(msgs[i], k, prior, kNow, i > 0);
    ASSERT_TRUE(mac.ok()) << i << ": " << mac.error().message;
    prior = *mac;
    auto s = sv.next(msgs[i], kNow);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error().message;
    EXPECT_TRUE(sv.lastSigned());
  }
  // Out of order: the chain breaks.
  StreamVerifier broken(k, q.mac);
  EXPECT_TRUE(broken.next(msgs[0], kNow).ok());
  EXPECT_FALSE(broken.next(msgs[2], kNow).ok());
}

TEST(Tsig, StreamWithUnsignedMessages) {
  // Builds the digest for a message that follows unsigned ones by hand (RFC 8945 §5.3.1):
  // prior MAC, the unsigned messages as sent, this message without TSIG, timers.
  Key k = makeKey(Algorithm::kHmacSha256);
  Signed q = signedQuery(k);
  std::vector<uint8_t> first = responseFor(q.msg, q.tsigOffset);
  auto firstMac = sign(first, k, q.mac, kNow);
  ASSERT_TRUE(firstMac.ok());
  std::vector<uint8_t> u1 = responseFor(q.msg, q.tsigOffset), u2 = u1, last = u1;
  u2[1] ^= 0x55;  // different ids
  last[1] ^= 0x66;
  std::vector<uint8_t> data = {0, 32};
  data.insert(data.end(), firstMac->begin(), firstMac->end());
  for (const auto* m : {&u1, &u2, &last}) data.insert(data.end(), m->begin(), m->end());
  std::vector<uint8_t> timers = {0, 0, 0x65, 0x53, 0xf1, 0x00, 0x01, 0x2c};  // kNow, fudge 300
  data.insert(data.end(), timers.begin(), timers.end());
  uint8_t mac[32];
  unsigned int macLen = 0;
  HMAC(EVP_sha256(), k.secret.data(), static_cast<int>(k.secret.size()), data.data(), data.size(),
       mac, &macLen);
  ASSERT_EQ(macLen, 32u);
  std::vector<uint8_t> rr = {2, 'k', '1', 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 61};
  std::vector<uint8_t> rdata = {11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0};
  rdata.insert(rdata.end(), timers.begin(), timers.end());
  rdata.insert(rdata.end(), {0, 32});
  rdata.insert(rdata.end(), mac, mac + 32);
  rdata.insert(rdata.end(), {last[0], last[1], 0, 0, 0, 0});
  ASSERT_EQ(rdata.size(), 61u);
  last.insert(last.end(), rr.begin(), rr.end());
  last.insert(last.end(), rdata.begin(), rdata.end());
  put16(last, 10, static_cast<uint16_t>(get16(last, 10) + 1));

  StreamVerifier sv(k, q.mac);
  ASSERT_TRUE(sv.next(first, kNow).ok());
  ASSERT_TRUE(sv.next(u1, kNow).ok());
  EXPECT_FALSE(sv.lastSigned());
  ASSERT_TRUE(sv.next(u2, kNow).ok());
  auto s = sv.next(last, kNow);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(sv.lastSigned());

  StreamVerifier missingOne(k, q.mac);
  ASSERT_TRUE(missingOne.next(first, kNow).ok());
  ASSERT_TRUE(missingOne.next(u1, kNow).ok());
  EXPECT_FALSE(missingOne.next(last, kNow).ok());

  StreamVerifier unsignedFirst(k, q.mac);
  EXPECT_FALSE(unsignedFirst.next(u1, kNow).ok());
  StreamVerifier tooMany(k, q.mac);
  ASSERT_TRUE(tooMany.next(first, kNow).ok());
  for (int i = 0; i < 99; ++i) ASSERT_TRUE(tooMany.next(u1, kNow).ok());
  EXPECT_FALSE(tooMany.next(u1, kNow).ok());
}

TEST(TsigInterop, Ldns) {
  struct Case {
    Algorithm alg;
    const char* ldnsName;
  } cases[] = {{Algorithm::kHmacSha1, "hmac-sha1."},
               {Algorithm::kHmacSha256, "hmac-sha256."},
               {Algorithm::kHmacSha512, "hmac-sha512."}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.ldnsName);
    // ldns 1.8 writes the TSIG owner uncompressed; CompressedOwnerNameIsCanonicalised covers that.
    Key k = makeKey(c.alg, "tsig.example.");
    std::string b64 = base64(k.secret);
    uint64_t now = static_cast<uint64_t>(std::time(nullptr));

    // A query signed by ldns, verified by us.
    PktPtr q(ldns_pkt_query_new(ldns_dname_new_frm_str("www.example."), LDNS_RR_TYPE_SOA,
                                LDNS_RR_CLASS_IN, LDNS_RD));
    ASSERT_TRUE(q);
    ldns_pkt_set_id(q.get(), 0x4321);
    ASSERT_EQ(ldns_pkt_tsig_sign(q.get(), "tsig.example.", b64.c_str(), 300, c.ldnsName, nullptr),
              LDNS_STATUS_OK);
    uint8_t* wire = nullptr;
    size_t len = 0;
    ASSERT_EQ(ldns_pkt2wire(&wire, q.get(), &len), LDNS_STATUS_OK);
    std::vector<uint8_t> query(wire, wire + len);
    std::free(wire);
    Keyring ring = ringOf(k);  // req->key points into it
    auto req = verifyRequest(query, ring, now);
    ASSERT_TRUE(req.ok()) << req.error().message;
    ASSERT_TRUE(req->present);
    EXPECT_EQ(req->error, TsigRcode::kNoError);
    EXPECT_EQ(req->keyName, "tsig.example.");
    EXPECT_EQ(req->originalId, 0x4321);

    // Our response, verified by ldns against the request MAC.
    std::vector<uint8_t> resp = responseFor(query, req->tsigOffset);
    auto mac = signResponse(resp, *req, now);
    ASSERT_TRUE(mac.ok());
    ldns_pkt* raw = nullptr;
    ASSERT_EQ(ldns_wire2pkt(&raw, resp.data(), resp.size()), LDNS_STATUS_OK);
    PktPtr rp(raw);
    RdfPtr reqMac(ldns_native2rdf_int16_data(req->mac.size(), req->mac.data()));
    EXPECT_TRUE(ldns_pkt_tsig_verify(rp.get(), resp.data(), resp.size(), "tsig.example.",
                                     b64.c_str(), reqMac.get()));
    std::vector<uint8_t> wrong = req->mac;
    wrong[0] ^= 1;
    RdfPtr wrongMac(ldns_native2rdf_int16_data(wrong.size(), wrong.data()));
    EXPECT_FALSE(ldns_pkt_tsig_verify(rp.get(), resp.data(), resp.size(), "tsig.example.",
                                      b64.c_str(), wrongMac.get()));

    // The next message of a stream (timers only), verified by ldns.
    std::vector<uint8_t> resp2 = responseFor(query, req->tsigOffset);
    ASSERT_TRUE(sign(resp2, k, *mac, now, 300, TsigRcode::kNoError, /*timersOnly=*/true).ok());
    ASSERT_EQ(ldns_wire2pkt(&raw, resp2.data(), resp2.size()), LDNS_STATUS_OK);
    PktPtr rp2(raw);
    RdfPtr prior(ldns_native2rdf_int16_data(mac->size(), mac->data()));
    EXPECT_TRUE(ldns_pkt_tsig_verify_next(rp2.get(), resp2.data(), resp2.size(), "tsig.example.",
                                          b64.c_str(), prior.get(), 1));

    // A response signed by ldns to our signed request, verified by us.
    std::vector<uint8_t> ours = makeQuery();
    size_t ourOffset = ours.size();
    auto ourMac = signRequest(ours, k, now);
    ASSERT_TRUE(ourMac.ok());
    std::vector<uint8_t> plain = responseFor(ours, ourOffset);
    ASSERT_EQ(ldns_wire2pkt(&raw, plain.data(), plain.size()), LDNS_STATUS_OK);
    PktPtr lr(raw);
    RdfPtr qm(ldns_native2rdf_int16_data(ourMac->size(), ourMac->data()));
    ASSERT_EQ(ldns_pkt_tsig_sign(lr.get(), "tsig.example.", b64.c_str(), 300, c.ldnsName, qm.get()),
              LDNS_STATUS_OK);
    ASSERT_EQ(ldns_pkt2wire(&wire, lr.get(), &len), LDNS_STATUS_OK);
    std::vector<uint8_t> ldnsResp(wire, wire + len);
    std::free(wire);
    auto v = verifyResponse(ldnsResp, k, *ourMac, now);
    EXPECT_TRUE(v.ok()) << v.error().message;
  }
}

namespace {

/// A UDP socket on 127.0.0.1 and a kdig child that queries it; both closed on destruction.
struct KdigRun {
  int fd = -1;
  FILE* pipe = nullptr;
  ~KdigRun() {
    if (pipe) pclose(pipe);
    if (fd >= 0) close(fd);
  }
  /// Listens on 127.0.0.1 (UDP) and starts kdig with `args` against it.
  bool start(const std::string& args) {
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &l) != 0)
      return false;
    std::string cmd = "kdig @127.0.0.1 -p " + std::to_string(ntohs(a.sin_port)) + " " + args +
                      " +retry=0 +timeout=2 2>&1";
    pipe = popen(cmd.c_str(), "r");
    pollfd pfd{fd, POLLIN, 0};
    return pipe && poll(&pfd, 1, 5000) == 1;
  }
  std::string output() {
    std::string out;
    char b[512];
    while (size_t n = fread(b, 1, sizeof b, pipe)) out.append(b, n);
    pclose(pipe);
    pipe = nullptr;
    if (std::getenv("TSIG_TEST_DEBUG")) std::fprintf(stderr, "%s\n", out.c_str());
    return out;
  }
};

bool haveKdig() { return std::system("command -v kdig >/dev/null 2>&1") == 0; }

}  // namespace

TEST(TsigInterop, Kdig) {
  if (!haveKdig()) GTEST_SKIP() << "kdig not in PATH";
  for (Algorithm a : kAllAlgorithms) {
    for (bool goodSecret : {true, false}) {
      SCOPED_TRACE(std::string(algorithmName(a)) + (goodSecret ? " good" : " wrong secret"));
      // The key goes through parseKeySpec, so kdig also checks our base64 decoding (the 32-byte
      // secret ends in '=').
      std::string alg(algorithmName(a));
      std::string spec = alg.substr(0, alg.size() - 1) + ":k1:" + base64(secretBytes(1));
      auto parsed = parseKeySpec(spec);
      ASSERT_TRUE(parsed.ok() && spec.back() == '=');
      Key k = *parsed;
      KdigRun run;
      ASSERT_TRUE(run.start("-y " + spec + " example. SOA")) << "no query from kdig";
      uint8_t buf[4096];
      sockaddr_in from{};
      socklen_t fromLen = sizeof from;
      ssize_t n =
          recvfrom(run.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fromLen);
      ASSERT_GT(n, 0);
      std::vector<uint8_t> query(buf, buf + n);
      uint64_t now = static_cast<uint64_t>(std::time(nullptr));
      Keyring ring = ringOf(k);
      auto req = verifyRequest(query, ring, now);
      ASSERT_TRUE(req.ok()) << req.error().message;
      ASSERT_TRUE(req->present);
      EXPECT_EQ(req->error, TsigRcode::kNoError);
      EXPECT_EQ(req->keyName, "k1.");
      EXPECT_EQ(req->algorithm, a);

      std::vector<uint8_t> resp = responseFor(query, req->tsigOffset);
      if (goodSecret) {
        ASSERT_TRUE(signResponse(resp, *req, now).ok());
      } else {
        ASSERT_TRUE(sign(resp, makeKey(a, "k1.", 99), req->mac, now).ok());
      }
      ASSERT_EQ(
          sendto(run.fd, resp.data(), resp.size(), 0, reinterpret_cast<sockaddr*>(&from), fromLen),
          static_cast<ssize_t>(resp.size()));
      std::string out = run.output();
      EXPECT_NE(out.find("status: NOERROR"), std::string::npos) << out;
      EXPECT_EQ(out.find("failed to verify TSIG") == std::string::npos, goodSecret) << out;
      EXPECT_EQ(out.find("WARNING") == std::string::npos, goodSecret) << out;
    }
  }
}
