// Unit tests of the forwarding cache and of the replies built from cached responses: TTLs lowered
// by age, expiry, negative answers (RFC 2308), what is not cached, eviction, and the reply's
// header, EDNS and truncation.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "authority/query.h"
#include "common/dns.h"
#include "common/msg_writer.h"
#include "resolver/cache.h"
#include "resolver/forward.h"

using namespace cdns;
using namespace cdns::resolver;

namespace {

std::string wire(const char* text) {
  auto n = dns::nameFromText(text);
  EXPECT_TRUE(n.ok()) << text;
  return *n;
}

std::string soaRdata(uint32_t minimum) {
  std::string r = wire("ns1.example.test.") + wire("hostmaster.example.test.");
  uint32_t fields[5] = {2026010101, 7200, 900, 1209600, minimum};
  for (uint32_t f : fields) {
    uint8_t b[4];
    dns::put32(b, f);
    r.append(reinterpret_cast<const char*>(b), 4);
  }
  return r;
}

std::string a(uint8_t last) { return std::string("\xc0\x00\x02", 3) + static_cast<char>(last); }

struct Rr {
  const char* owner;
  uint16_t type;
  uint32_t ttl;
  std::string rdata;
};

// A response to "<qname> <qtype>" with the given sections, and an OPT record when `opt` >= 0
// (its value is the upper rcode bits).
std::vector<uint8_t> response(const char* qname, uint16_t qtype, uint16_t rcode,
                              const std::vector<Rr>& an, const std::vector<Rr>& ns = {},
                              const std::vector<Rr>& ar = {}, int opt = -1,
                              uint16_t extraFlags = 0) {
  std::vector<uint8_t> buf(4096);
  dns::MessageWriter w(buf.data(), buf.size());
  uint8_t hdr[12] = {0x12, 0x34};
  dns::put16(hdr + 2, static_cast<uint16_t>(dns::kFlagQR | dns::kFlagRD | dns::kFlagRA |
                                            extraFlags | rcode));
  dns::put16(hdr + 4, 1);
  dns::put16(hdr + 6, static_cast<uint16_t>(an.size()));
  dns::put16(hdr + 8, static_cast<uint16_t>(ns.size()));
  dns::put16(hdr + 10, static_cast<uint16_t>(ar.size() + (opt >= 0 ? 1 : 0)));
  w.raw(hdr, 12);
  std::string q = wire(qname);
  w.name(q, false);
  w.u16(qtype);
  w.u16(dns::kIN);
  for (const auto* sec : {&an, &ns, &ar})
    for (const auto& r : *sec) EXPECT_TRUE(w.rr(wire(r.owner), 0, r.type, r.ttl, r.rdata));
  if (opt >= 0) {
    uint8_t o[11] = {0, 0, dns::kOPT, 0x04, 0xd0, static_cast<uint8_t>(opt), 0, 0, 0, 0, 0};
    w.raw(o, sizeof o);
  }
  buf.resize(w.size());
  return buf;
}

// The TTLs of every record of a message, in order (OPT included, as its raw TTL field).
std::vector<uint32_t> ttls(const std::vector<uint8_t>& m) {
  WireReader r(m.data(), m.size());
  r.skip(4);
  uint16_t qd = r.u16();
  uint32_t n = static_cast<uint32_t>(r.u16()) + r.u16() + r.u16();
  std::string name;
  for (uint16_t i = 0; i < qd; ++i) {
    EXPECT_TRUE(dns::readName(r, name).ok());
    r.skip(4);
  }
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < n; ++i) {
    EXPECT_TRUE(dns::readName(r, name).ok());
    r.skip(4);
    out.push_back(r.u32());
    r.skip(r.u16());
  }
  EXPECT_FALSE(r.failed());
  return out;
}

CachedResponse prepared(const std::vector<uint8_t>& m, TtlLimits limits = {}) {
  auto r = prepareResponse(m.data(), m.size(), limits);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : CachedResponse{};
}

const std::string kKey = Cache::key(wire("www.example.test."), dns::kA, dns::kIN, false, false);

TEST(ForwardCache, TtlsGoDownWithAgeUntilTheEntryExpires) {
  auto m = response("www.example.test.", dns::kA, dns::kNoError,
                    {{"www.example.test.", dns::kA, 300, a(80)}}, {},
                    {{"ns1.example.test.", dns::kA, 3600, a(1)}});
  auto r = prepared(m);
  EXPECT_TRUE(r.cacheable);
  EXPECT_FALSE(r.negative);
  EXPECT_EQ(r.ttl, 300u);  // the least TTL of the message
  Cache c({});
  ASSERT_TRUE(c.insert(kKey, r, 10'000));
  auto fresh = c.lookup(kKey, 10'000);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(ttls(*fresh), (std::vector<uint32_t>{300, 3600}));
  auto later = c.lookup(kKey, 10'000 + 1'500);  // 1.5 s: one whole second off every TTL
  ASSERT_TRUE(later);
  EXPECT_EQ(ttls(*later), (std::vector<uint32_t>{299, 3599}));
  auto last = c.lookup(kKey, 10'000 + 299'999);
  ASSERT_TRUE(last);
  EXPECT_EQ(ttls(*last), (std::vector<uint32_t>{1, 3301}));
  EXPECT_FALSE(c.lookup(kKey, 10'000 + 300'000));  // expired: gone
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.stats().hits, 3u);
  EXPECT_EQ(c.stats().expired, 1u);
  EXPECT_FALSE(c.lookup(kKey, 10'000));
  EXPECT_EQ(c.stats().misses, 2u);
}

TEST(ForwardCache, ACnameChainLivesAsLongAsItsShortestRecord) {
  auto m = response("alias.example.test.", dns::kA, dns::kNoError,
                    {{"alias.example.test.", dns::kCNAME, 600, wire("www.example.test.")},
                     {"www.example.test.", dns::kA, 60, a(80)}});
  auto r = prepared(m);
  EXPECT_EQ(r.ttl, 60u);
  Cache c({});
  ASSERT_TRUE(c.insert("k", r, 0));
  auto hit = c.lookup("k", 30'000);
  ASSERT_TRUE(hit);
  EXPECT_EQ(ttls(*hit), (std::vector<uint32_t>{570, 30}));
  EXPECT_FALSE(c.lookup("k", 60'000));
}

TEST(ForwardCache, NxdomainIsCachedForTheSoaMinimum) {
  // RFC 2308 §5: the negative TTL is min(SOA TTL, SOA MINIMUM), and the SOA carries it.
  auto m = response("nx.example.test.", dns::kA, dns::kNxDomain, {},
                    {{"example.test.", dns::kSOA, 3600, soaRdata(300)}});
  auto r = prepared(m);
  EXPECT_TRUE(r.negative);
  EXPECT_TRUE(r.cacheable);
  EXPECT_EQ(r.rcode, dns::kNxDomain);
  EXPECT_EQ(r.ttl, 300u);
  EXPECT_EQ(ttls(r.wire), (std::vector<uint32_t>{300}));
  Cache c({});
  ASSERT_TRUE(c.insert("nx", r, 0));
  auto hit = c.lookup("nx", 100'000);
  ASSERT_TRUE(hit);
  EXPECT_EQ((*hit)[3] & 0xF, dns::kNxDomain);
  EXPECT_EQ(ttls(*hit), (std::vector<uint32_t>{200}));
  EXPECT_FALSE(c.lookup("nx", 300'000));
}

TEST(ForwardCache, NodataIsNegativeAndTheSoaTtlWinsWhenSmaller) {
  auto m = response("www.example.test.", dns::kAAAA, dns::kNoError, {},
                    {{"example.test.", dns::kSOA, 120, soaRdata(300)}});
  auto r = prepared(m);
  EXPECT_TRUE(r.negative);
  EXPECT_TRUE(r.cacheable);
  EXPECT_EQ(r.ttl, 120u);
}

TEST(ForwardCache, NegativeTtlsAreCapped) {
  auto m = response("nx.example.test.", dns::kA, dns::kNxDomain, {},
                    {{"example.test.", dns::kSOA, 86400, soaRdata(86400)}});
  EXPECT_EQ(prepared(m, {86400, 900}).ttl, 900u);
  auto none = prepared(m, {86400, 0});  // max_negative_ttl 0: negative answers are not cached
  EXPECT_FALSE(none.cacheable);
  Cache c({});
  EXPECT_FALSE(c.insert("nx", none, 0));
}

TEST(ForwardCache, PositiveTtlsAreCappedAndTopBitMeansZero) {
  auto big = response("www.example.test.", dns::kA, dns::kNoError,
                      {{"www.example.test.", dns::kA, 1'000'000, a(80)}});
  auto r = prepared(big, {3600, 900});
  EXPECT_EQ(r.ttl, 3600u);
  EXPECT_EQ(ttls(r.wire), (std::vector<uint32_t>{3600}));
  // RFC 2181 §8: a TTL with the most significant bit set is zero, and zero is not cached.
  auto neg = response("www.example.test.", dns::kA, dns::kNoError,
                      {{"www.example.test.", dns::kA, 0x80000001u, a(80)}});
  EXPECT_FALSE(prepared(neg).cacheable);
  auto zero = response("www.example.test.", dns::kA, dns::kNoError,
                       {{"www.example.test.", dns::kA, 0, a(80)}});
  EXPECT_FALSE(prepared(zero).cacheable);
}

TEST(ForwardCache, WhatIsNotCached) {
  struct Row {
    const char* what;
    std::vector<uint8_t> msg;
  } rows[] = {
      {"negative without SOA", response("nx.example.test.", dns::kA, dns::kNxDomain, {})},
      {"referral-shaped NODATA",
       response("www.example.test.", dns::kA, dns::kNoError, {},
                {{"example.test.", dns::kNS, 3600, wire("ns1.example.test.")}})},
      {"SERVFAIL", response("www.example.test.", dns::kA, dns::kServFail, {})},
      {"REFUSED", response("www.example.test.", dns::kA, dns::kRefused, {})},
      {"truncated",
       response("www.example.test.", dns::kA, dns::kNoError,
                {{"www.example.test.", dns::kA, 300, a(80)}}, {}, {}, -1, dns::kFlagTC)},
      {"extended rcode (BADVERS)", response("www.example.test.", dns::kA, 0, {}, {}, {}, 1)},
  };
  Cache c({});
  for (auto& row : rows) {
    auto r = prepared(row.msg);
    EXPECT_FALSE(r.cacheable) << row.what;
    EXPECT_EQ(r.ttl, 0u) << row.what;
    EXPECT_FALSE(c.insert(row.what, r, 0)) << row.what;
  }
  EXPECT_EQ(c.size(), 0u);
}

TEST(ForwardCache, TheOptRecordIsRemoved) {
  auto m = response("www.example.test.", dns::kA, dns::kNoError,
                    {{"www.example.test.", dns::kA, 300, a(80)}}, {},
                    {{"ns1.example.test.", dns::kA, 300, a(1)}}, 0);
  auto r = prepared(m);
  EXPECT_TRUE(r.upstreamEdns);
  EXPECT_EQ(r.wire.size(), m.size() - 11);
  EXPECT_EQ(dns::get16(r.wire.data() + 10), 1);
  EXPECT_EQ(ttls(r.wire).size(), 2u);
  EXPECT_EQ(r.rcode, dns::kNoError);
}

TEST(ForwardCache, MalformedResponsesAreErrorsThatSayWhy) {
  auto good = response("www.example.test.", dns::kA, dns::kNoError,
                       {{"www.example.test.", dns::kA, 300, a(80)}});
  struct Row {
    const char* what;
    std::vector<uint8_t> msg;
    const char* says;
  };
  auto cut = good;
  cut.resize(cut.size() - 2);
  auto query = good;
  query[2] &= 0x7f;
  auto twoQuestions = good;
  dns::put16(twoQuestions.data() + 4, 2);
  auto optInAnswer =
      response("www.example.test.", dns::kA, dns::kNoError, {{".", dns::kOPT, 0, ""}});
  auto afterOpt = response("www.example.test.", dns::kA, dns::kNoError, {}, {}, {}, 0);
  afterOpt.insert(afterOpt.end(), good.end() - 16, good.end());  // an A record after the OPT
  dns::put16(afterOpt.data() + 10, 2);
  Row rows[] = {
      {"short", std::vector<uint8_t>(good.begin(), good.begin() + 5), "shorter than a header"},
      {"record cut", cut, "record 1 of 1: runs past the end"},
      {"QR clear", query, "not a response"},
      {"two questions", twoQuestions, "2 questions"},
      {"OPT in the answer", optInAnswer, "OPT outside the additional section"},
      {"record after OPT", afterOpt, "follows the OPT record"}};
  for (auto& row : rows) {
    auto r = prepareResponse(row.msg.data(), row.msg.size(), {});
    ASSERT_FALSE(r.ok()) << row.what;
    EXPECT_NE(r.error().message.find(row.says), std::string::npos)
        << row.what << ": " << r.error().message;
  }
}

TEST(ForwardCache, LeastRecentlyUsedGoesFirst) {
  auto r = prepared(response("www.example.test.", dns::kA, dns::kNoError,
                             {{"www.example.test.", dns::kA, 300, a(80)}}));
  Cache c({2, 1u << 20});
  ASSERT_TRUE(c.insert("a", r, 0));
  ASSERT_TRUE(c.insert("b", r, 0));
  ASSERT_TRUE(c.lookup("a", 1));  // a is now the most recent
  ASSERT_TRUE(c.insert("c", r, 2));
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.stats().evictions, 1u);
  EXPECT_TRUE(c.lookup("a", 3));
  EXPECT_FALSE(c.lookup("b", 3));
  EXPECT_TRUE(c.lookup("c", 3));
  ASSERT_TRUE(c.insert("c", r, 4));  // replacing keeps one entry
  EXPECT_EQ(c.size(), 2u);
}

TEST(ForwardCache, TheByteBoundEvictsToo) {
  auto r = prepared(response("www.example.test.", dns::kA, dns::kNoError,
                             {{"www.example.test.", dns::kA, 300, a(80)}}));
  Cache probe({10, 1u << 20});
  ASSERT_TRUE(probe.insert("k0", r, 0));
  size_t one = probe.bytes();
  Cache c({1000, one * 3});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.insert("k" + std::to_string(i), r, 0));
  EXPECT_EQ(c.size(), 3u);
  EXPECT_LE(c.bytes(), one * 3);
  EXPECT_EQ(c.stats().evictions, 7u);
  EXPECT_TRUE(c.lookup("k9", 0));
  EXPECT_FALSE(c.lookup("k0", 0));
  Cache tiny({10, one - 1});  // larger than the whole cache: not kept
  EXPECT_FALSE(tiny.insert("k0", r, 0));
}

TEST(ForwardCache, KeysSeparateTypeClassAndDnssecFlags) {
  std::string n = wire("www.example.test.");
  std::set<std::string> keys = {Cache::key(n, dns::kA, dns::kIN, false, false),
                                Cache::key(n, dns::kAAAA, dns::kIN, false, false),
                                Cache::key(n, dns::kA, dns::kCH, false, false),
                                Cache::key(n, dns::kA, dns::kIN, true, false),
                                Cache::key(n, dns::kA, dns::kIN, false, true)};
  EXPECT_EQ(keys.size(), 5u);
}

// A client's query, parsed.
struct Query {
  std::vector<uint8_t> bytes;
  authority::ParsedQuery q;
};
Query query(const char* qname, uint16_t qtype, uint16_t flags, int ednsPayload = -1,
            bool dnssecOk = false) {
  Query out;
  auto& m = out.bytes;
  m = {0xab, 0xcd, 0, 0, 0, 1, 0, 0, 0, 0, 0, static_cast<uint8_t>(ednsPayload >= 0 ? 1 : 0)};
  dns::put16(m.data() + 2, flags);
  std::string n = wire(qname);
  m.insert(m.end(), n.begin(), n.end());
  m.insert(m.end(), {static_cast<uint8_t>(qtype >> 8), static_cast<uint8_t>(qtype), 0, 1});
  if (ednsPayload >= 0)
    m.insert(m.end(), {0, 0, dns::kOPT, static_cast<uint8_t>(ednsPayload >> 8),
                       static_cast<uint8_t>(ednsPayload), 0, 0,
                       static_cast<uint8_t>(dnssecOk ? 0x80 : 0), 0, 0, 0});
  EXPECT_EQ(authority::parseQuery(m.data(), m.size(), out.q), authority::ParseStatus::kOk);
  return out;
}

TEST(ForwardReply, KeepsTheClientsIdAndSpellingAndSetsTheFlags) {
  auto stored = prepared(response("www.example.test.", dns::kA, dns::kNoError,
                                  {{"www.example.test.", dns::kA, 300, a(80)}}, {}, {}, -1,
                                  dns::kFlagAA | dns::kFlagAD))
                    .wire;
  auto cq = query("WWW.Example.TEST.", dns::kA, dns::kFlagRD);
  std::vector<uint8_t> out(65535);
  size_t n = writeForwardReply(cq.q, stored, true, out.data(), out.size());
  ASSERT_EQ(n, stored.size());
  EXPECT_EQ(dns::get16(out.data()), 0xabcd);
  uint16_t flags = dns::get16(out.data() + 2);
  EXPECT_TRUE(flags & dns::kFlagQR);
  EXPECT_TRUE(flags & dns::kFlagRD);
  EXPECT_TRUE(flags & dns::kFlagRA);
  EXPECT_FALSE(flags & dns::kFlagAA);  // not authoritative: forwarded
  EXPECT_FALSE(flags & dns::kFlagAD);  // RFC 6840 §5.8: the client asked for neither AD nor DO
  EXPECT_EQ(0, std::memcmp(out.data() + 12, cq.bytes.data() + 12, cq.q.qnameLen));
  // With DO, AD passes, and the reply carries an OPT with DO echoed.
  auto dq = query("www.example.test.", dns::kA, dns::kFlagRD | dns::kFlagCD, 4096, true);
  n = writeForwardReply(dq.q, stored, true, out.data(), out.size());
  ASSERT_EQ(n, stored.size() + 11);
  flags = dns::get16(out.data() + 2);
  EXPECT_TRUE(flags & dns::kFlagAD);
  EXPECT_TRUE(flags & dns::kFlagCD);
  EXPECT_EQ(dns::get16(out.data() + 10), 1);
  EXPECT_EQ(out[n - 11 + 2], dns::kOPT);
  EXPECT_EQ(dns::get16(out.data() + n - 11 + 3), kForwardUdpPayload);
  EXPECT_EQ(out[n - 11 + 7], 0x80);
  // A different question is not answered from this response.
  auto other = query("mail.example.test.", dns::kA, dns::kFlagRD);
  EXPECT_EQ(writeForwardReply(other.q, stored, true, out.data(), out.size()), 0u);
  auto otherType = query("www.example.test.", dns::kAAAA, dns::kFlagRD);
  EXPECT_EQ(writeForwardReply(otherType.q, stored, true, out.data(), out.size()), 0u);
}

TEST(ForwardReply, TooLargeForUdpIsTruncatedButNotOverTcp) {
  std::vector<Rr> txt;
  std::string rdata(1, static_cast<char>(200));
  rdata += std::string(200, 'x');
  for (int i = 0; i < 8; ++i) {
    rdata[1] = static_cast<char>('a' + i);
    txt.push_back({"big.example.test.", dns::kTXT, 300, rdata});
  }
  auto stored = prepared(response("big.example.test.", dns::kTXT, dns::kNoError, txt)).wire;
  ASSERT_GT(stored.size(), 1232u);
  std::vector<uint8_t> out(65535);
  auto cq = query("big.example.test.", dns::kTXT, dns::kFlagRD, 1232);
  size_t n = writeForwardReply(cq.q, stored, true, out.data(), out.size());
  ASSERT_EQ(n, cq.bytes.size());  // header, question, OPT
  EXPECT_TRUE(dns::get16(out.data() + 2) & dns::kFlagTC);
  EXPECT_EQ(dns::get16(out.data() + 6), 0);
  EXPECT_EQ(dns::get16(out.data() + 10), 1);
  n = writeForwardReply(cq.q, stored, false, out.data(), out.size());
  EXPECT_EQ(n, stored.size() + 11);
  EXPECT_FALSE(dns::get16(out.data() + 2) & dns::kFlagTC);
  EXPECT_EQ(dns::get16(out.data() + 6), 8);
}

TEST(ForwardReply, FailureIsServfailWithAnExtendedError) {
  std::vector<uint8_t> out(65535);
  auto cq = query("www.example.test.", dns::kA, dns::kFlagRD, 1232);
  std::string text = "no answer from 127.0.0.1:53 in time";
  size_t n = writeForwardFailure(cq.q, kEdeNoReachableAuthority, text, out.data(), out.size());
  ASSERT_EQ(n, cq.bytes.size() + 6 + text.size());
  EXPECT_EQ(dns::get16(out.data()), 0xabcd);
  EXPECT_EQ(dns::get16(out.data() + 2) & 0xF, dns::kServFail);
  EXPECT_TRUE(dns::get16(out.data() + 2) & dns::kFlagRA);
  size_t opt = cq.bytes.size() - 11;
  EXPECT_EQ(dns::get16(out.data() + opt + 9), 6 + text.size());
  EXPECT_EQ(dns::get16(out.data() + opt + 11), 15);  // EDE
  EXPECT_EQ(dns::get16(out.data() + opt + 15), 22);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out.data()) + opt + 17, text.size()), text);
  auto plain = query("www.example.test.", dns::kA, dns::kFlagRD);
  EXPECT_EQ(writeForwardFailure(plain.q, kEdeNetworkError, text, out.data(), out.size()),
            plain.bytes.size());
  EXPECT_EQ(dns::get16(out.data() + 10), 0);
}

}  // namespace
