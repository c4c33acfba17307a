// System tests of the publish path: the real cdns-authority taking RFC 2136 updates from nsupdate,
// knsupdate and hand-built messages; every refusal leaves the zone as it was; leases expire;
// a SIGKILL loses no acknowledged update and leaves no half-applied one.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "common/dns.h"
#include "common/ldns_handles.h"
#include "common/tsig.h"
#include "rrtypes/zone_loader.h"
#include "tests/support/daemon.h"

using namespace cdns;
using namespace cdns::test;

namespace {

const std::string kBinary = CDNS_AUTHORITY_BIN;
const char* kSecret = "c2VjcmV0LWZvci10aGUtY2VudGVyLXN6MS0wMTIzNDU2Nzg5";
const char* kOtherSecret = "b3RoZXItc2VjcmV0LWZvci1oazEtMDEyMzQ1Njc4OTAxMg==";

uint16_t rcodeOf(const std::vector<uint8_t>& m) { return m.size() >= 4 ? m[3] & 0xF : 0xFFFF; }

class UpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir();
    writeFile(dir_ + "/gba.zone",
              "$ORIGIN gba.example.\n$TTL 300\n@ SOA ns1 hm 1000 3600 600 604800 300\n@ NS ns1\nns1 A 127.0.0.1\n"
              "sz1.centers CAP queue=1 ts=1795843200\nhk1.centers CAP queue=2\n");
    writeFile(dir_ + "/auth.json", std::string(R"({"keys": [
      {"name": "sz1.", "algorithm": "hmac-sha256", "secret": ")") + kSecret + R"("},
      {"name": "hk1.", "algorithm": "hmac-sha256", "secret": ")" + kOtherSecret + R"("}],
     "zones": [{"name": "gba.example.", "file": ")" + dir_ + R"(/gba.zone", "transfer": {"acl": ["127.0.0.1"]},
       "update": {"rules": [{"key": "sz1.", "name": "sz1.centers.gba.example.", "types": ["ANY"]},
                            {"key": "hk1.", "name": "hk1.centers.gba.example.", "match": "exact", "types": ["CAP"]}],
                  "lease": {"min": 1, "max": 3600}}}]})");
    key_ = *tsig::parseKeySpec(std::string("hmac-sha256:sz1.:") + kSecret);
  }
  void TearDown() override { removeTree(dir_); }
  std::unique_ptr<Daemon> start() {
    auto d = std::make_unique<Daemon>(kBinary, std::vector<std::string>{"--config", dir_ + "/auth.json", "--listen",
                                                                       "127.0.0.1:0", "--threads", "2"});
    EXPECT_TRUE(d->ready()) << d->logTail();
    return d;
  }
  // An UPDATE of gba.example. whose update section is `updates` (master-file lines; "DEL name type"
  // deletes an RRset), optionally with a lease, signed with `key` at `when`.
  std::vector<uint8_t> update(const std::vector<std::string>& updates, const tsig::Key* key, int64_t skew = 0,
                              std::optional<uint32_t> lease = std::nullopt,
                              const std::vector<std::string>& prereqs = {}) {
    ldns_rr_list* up = ldns_rr_list_new();
    for (const auto& u : updates) {
      if (u.rfind("DEL ", 0) == 0) {
        std::istringstream in(u.substr(4));
        std::string owner, type;
        in >> owner >> type;
        ldns_rr* r = ldns_rr_new();
        ldns_rr_set_owner(r, ldns_dname_new_frm_str(owner.c_str()));
        ldns_rr_set_type(r, static_cast<ldns_rr_type>(type == "CAP" ? 65281 : ldns_get_rr_type_by_name(type.c_str())));
        ldns_rr_set_class(r, LDNS_RR_CLASS_ANY);
        ldns_rr_set_ttl(r, 0);
        ldns_rr_list_push_rr(up, r);
      } else {
        ldns_rr_list_push_rr(up, rrtypes::parseRr(u)->release());
      }
    }
    ldns_rr_list* pr = ldns_rr_list_new();
    for (const auto& p : prereqs) {
      ldns_rr* r = rrtypes::parseRr(p)->release();
      ldns_rr_set_ttl(r, 0);
      ldns_rr_list_push_rr(pr, r);
    }
    ldns_pkt* p = ldns_update_pkt_new(ldns_dname_new_frm_str("gba.example."), LDNS_RR_CLASS_IN, pr, up, nullptr);
    ldns_pkt_set_id(p, static_cast<uint16_t>(++id_));
    std::vector<uint8_t> msg = toWire(p);
    ldns_rr_list_deep_free(up);
    ldns_rr_list_deep_free(pr);  // ldns_update_pkt_new cloned them
    ldns_pkt_free(p);
    if (lease) {
      uint8_t opt[] = {0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 8, 0, 2, 0, 4, 0, 0, 0, 0};
      dns::put32(opt + 15, *lease);
      msg.insert(msg.end(), opt, opt + sizeof opt);
      dns::put16(msg.data() + 10, static_cast<uint16_t>(dns::get16(msg.data() + 10) + 1));
    }
    if (key) (void)tsig::signRequest(msg, *key, static_cast<uint64_t>(time(nullptr) + skew));
    return msg;
  }
  std::vector<uint8_t> exchange(const Daemon& d, const std::vector<uint8_t>& msg) {
    int fd = tcpConnect(d.port("tcp"));
    sendAll(fd, frame(msg));
    auto r = readFrame(fd, 5000);
    close(fd);
    return r;
  }
  std::string axfr(const Daemon& d) {
    return runCommand("kdig @127.0.0.1 -p " + std::to_string(d.port("tcp")) +
                      " gba.example AXFR +nocomments +nostats | sort");
  }
  std::string dig(const Daemon& d, const std::string& q) {
    return runCommand("dig @127.0.0.1 -p " + std::to_string(d.port("udp")) + " +short " + q);
  }
  std::string dir_;
  tsig::Key key_;
  int id_ = 0;
};

TEST_F(UpdateTest, NsupdateAndKnsupdatePublishAndDigSeesItAtOnce) {
  if (!haveCommand("nsupdate") || !haveCommand("knsupdate")) GTEST_SKIP() << "nsupdate/knsupdate missing";
  auto d = start();
  std::string p = std::to_string(d->port("udp"));
  writeFile(dir_ + "/sz1.key", std::string("key \"sz1.\" {\n  algorithm hmac-sha256;\n  secret \"") + kSecret + "\";\n};\n");
  int st = 0;
  runCommand("printf 'server 127.0.0.1 " + p +
                 "\\nzone gba.example\\nupdate delete sz1.centers.gba.example A\\nupdate add sz1.centers.gba.example 60 A "
                 "192.0.2.41\\nsend\\n' | nsupdate -k " + dir_ + "/sz1.key 2>&1",
             &st);
  EXPECT_EQ(st, 0);
  EXPECT_EQ(dig(*d, "sz1.centers.gba.example A"), "192.0.2.41\n");
  EXPECT_NE(dig(*d, "gba.example SOA").find(" 1001 "), std::string::npos);
  std::string out = runCommand("printf 'server 127.0.0.1 " + p +
                                   "\\nzone gba.example\\nupdate add infer.sz1.centers.gba.example 60 A 192.0.2.42\\n"
                                   "send\\n' | knsupdate -y hmac-sha256:sz1.:" + kSecret + " 2>&1",
                               &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_EQ(dig(*d, "infer.sz1.centers.gba.example A"), "192.0.2.42\n");
  EXPECT_NE(dig(*d, "gba.example SOA").find(" 1002 "), std::string::npos);
  EXPECT_EQ(d->stop(), 0);
}

TEST_F(UpdateTest, EveryRefusalHasItsRcodeAndLeavesTheZoneAlone) {
  auto d = start();
  std::string before = axfr(*d);
  ASSERT_NE(before.find("1000"), std::string::npos);
  tsig::Key unknown = *tsig::parseKeySpec(std::string("hmac-sha256:stranger.:") + kSecret);
  tsig::Key wrongSecret = *tsig::parseKeySpec(std::string("hmac-sha256:sz1.:") + kOtherSecret);
  struct Case {
    const char* what;
    std::vector<uint8_t> msg;
    uint16_t rcode;
    std::string tsigError;  // expected in the response's TSIG RR (empty: none checked)
  };
  std::vector<Case> cases = {
      {"unknown key", update({"sz1.centers.gba.example. 60 IN A 192.0.2.1"}, &unknown), dns::kNotAuth, "17"},  // BADKEY
      {"bad MAC", update({"sz1.centers.gba.example. 60 IN A 192.0.2.1"}, &wrongSecret), dns::kNotAuth, "16"},  // BADSIG
      {"clock skew", update({"sz1.centers.gba.example. 60 IN A 192.0.2.1"}, &key_, -3600), dns::kNotAuth, "18"},  // BADTIME
      {"unsigned", update({"sz1.centers.gba.example. 60 IN A 192.0.2.1"}, nullptr), dns::kRefused, ""},
      {"another center's name", update({"hk1.centers.gba.example. 60 IN CAP queue=9"}, &key_), dns::kRefused, ""},
      {"the SOA", update({"gba.example. 300 IN SOA ns1 hm 5000 1 1 1 1"}, &key_), dns::kRefused, ""},
      {"failed prerequisite",
       update({"sz1.centers.gba.example. 60 IN A 192.0.2.1"}, &key_, 0, std::nullopt, {"sz1.centers.gba.example. 0 IN CAP queue=99"}),
       dns::kNxRrset, ""},
      {"out-of-zone record", update({"www.other.test. 60 IN A 192.0.2.1"}, &key_), dns::kNotZone, ""},
      {"half allowed, half not",
       update({"sz1.centers.gba.example. 60 IN A 192.0.2.1", "hk1.centers.gba.example. 60 IN CAP queue=9"}, &key_),
       dns::kRefused, ""},
  };
  tsig::Key hk1 = *tsig::parseKeySpec(std::string("hmac-sha256:hk1.:") + kOtherSecret);
  cases.push_back({"type outside the key's policy", update({"hk1.centers.gba.example. 60 IN A 192.0.2.1"}, &hk1),
                   dns::kRefused, ""});
  for (const auto& c : cases) {
    auto r = exchange(*d, c.msg);
    ASSERT_FALSE(r.empty()) << c.what;
    EXPECT_EQ(rcodeOf(r), c.rcode) << c.what;
    if (!c.tsigError.empty()) {
      ldns_pkt* p = nullptr;
      ASSERT_EQ(ldns_wire2pkt(&p, r.data(), r.size()), LDNS_STATUS_OK);
      ASSERT_NE(ldns_pkt_tsig(p), nullptr) << c.what;
      char* s = ldns_rr2str(ldns_pkt_tsig(p));
      // ldns prints "... <original id> <error> <other len> ...".
      std::string want = " " + std::to_string(dns::get16(c.msg.data())) + " " + c.tsigError + " ";
      EXPECT_NE(std::string(s).find(want), std::string::npos) << c.what << ": " << s;
      free(s);
      ldns_pkt_free(p);
    }
    EXPECT_EQ(axfr(*d), before) << "zone changed after: " << c.what;
  }
  // And a good one changes it.
  EXPECT_EQ(rcodeOf(exchange(*d, update({"sz1.centers.gba.example. 60 IN A 192.0.2.1"}, &key_))), dns::kNoError);
  EXPECT_NE(axfr(*d), before);
  EXPECT_EQ(d->stop(), 0);
}

TEST_F(UpdateTest, LeasesExpireOnTimeAndRenewalsKeepRecords) {
  auto d = start();
  // Two records with a 2 s lease; one is renewed every second, the other is not.
  auto r = exchange(*d, update({"a.sz1.centers.gba.example. 60 IN A 192.0.2.1"}, &key_, 0, 2));
  ASSERT_EQ(rcodeOf(r), dns::kNoError);
  ldns_pkt* p = nullptr;
  ASSERT_EQ(ldns_wire2pkt(&p, r.data(), r.size()), LDNS_STATUS_OK);
  ldns_pkt_free(p);
  ASSERT_EQ(rcodeOf(exchange(*d, update({"b.sz1.centers.gba.example. 60 IN A 192.0.2.2"}, &key_, 0, 2))), dns::kNoError);
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(900));
    ASSERT_EQ(rcodeOf(exchange(*d, update({"b.sz1.centers.gba.example. 60 IN A 192.0.2.2"}, &key_, 0, 2))),
              dns::kNoError);
  }
  EXPECT_EQ(dig(*d, "a.sz1.centers.gba.example A"), "");  // expired after ~2 s
  EXPECT_EQ(dig(*d, "b.sz1.centers.gba.example A"), "192.0.2.2\n");  // renewed
  // A record published without a lease stays.
  ASSERT_EQ(rcodeOf(exchange(*d, update({"c.sz1.centers.gba.example. 60 IN A 192.0.2.3"}, &key_))), dns::kNoError);
  std::this_thread::sleep_for(std::chrono::milliseconds(3200));
  EXPECT_EQ(dig(*d, "b.sz1.centers.gba.example A"), "");  // no renewal: gone
  EXPECT_EQ(dig(*d, "c.sz1.centers.gba.example A"), "192.0.2.3\n");
  EXPECT_NE(d->log().find("authority.lease"), std::string::npos);
  // Expiry survives a restart: the journal holds the leases.
  ASSERT_EQ(rcodeOf(exchange(*d, update({"d.sz1.centers.gba.example. 60 IN A 192.0.2.4"}, &key_, 0, 2))), dns::kNoError);
  d->kill();
  auto again = start();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(dig(*again, "d.sz1.centers.gba.example A"), "");
  EXPECT_EQ(dig(*again, "c.sz1.centers.gba.example A"), "192.0.2.3\n");
  EXPECT_EQ(again->stop(), 0);
}

TEST_F(UpdateTest, LeasesSurviveAWriteBackAndAStopAndOneJournalHasOneWriter) {
  auto d = start();
  ASSERT_EQ(rcodeOf(exchange(*d, update({"e.sz1.centers.gba.example. 60 IN A 192.0.2.5"}, &key_, 0, 3))), dns::kNoError);
  d->signal(SIGUSR1);  // write the zone back: the record now lives in the file
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A second server on the same journal is refused.
  int st = 0;
  std::string out = runCommand(kBinary + " --config " + dir_ + "/auth.json --listen 127.0.0.1:0 2>&1", &st);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("in use by another cdns-authority"), std::string::npos) << out;
  EXPECT_EQ(d->stop(), 0);  // clean stop: written back again
  auto again = start();
  EXPECT_EQ(dig(*again, "e.sz1.centers.gba.example A"), "192.0.2.5\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  EXPECT_EQ(dig(*again, "e.sz1.centers.gba.example A"), "");  // the lease still ran out
  EXPECT_EQ(again->stop(), 0);
}

TEST_F(UpdateTest, KillNineLosesNoAcknowledgedUpdateAndLeavesNoHalfOne) {
  std::mt19937 rng(42);
  for (int round = 0; round < 3; ++round) {
    auto d = start();
    std::atomic<bool> stop{false};
    std::vector<int> acked;
    std::thread writer([&] {
      // Each update adds two records under two names: both or neither may exist afterwards.
      for (int n = round * 100000; !stop; ++n) {
        std::string i = std::to_string(n);
        int fd = tcpConnect(d->port("tcp"));
        if (fd < 0) break;
        sendAll(fd, frame(update({"u" + i + ".sz1.centers.gba.example. 60 IN TXT \"" + i + "\"",
                                  "v" + i + ".sz1.centers.gba.example. 60 IN A 192.0.2.7"},
                                 &key_)));
        auto r = readFrame(fd, 2000);
        close(fd);
        if (r.empty()) break;  // the server died mid-update: not acknowledged
        if (rcodeOf(r) == dns::kNoError) acked.push_back(n);
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 500));
    d->kill();  // SIGKILL at an arbitrary moment
    stop = true;
    writer.join();
    ASSERT_GT(acked.size(), 5u);
    auto again = start();
    std::string zone = axfr(*again);
    for (int n : acked) {
      std::string i = std::to_string(n);
      EXPECT_NE(zone.find("u" + i + ".sz1.centers.gba.example."), std::string::npos) << "lost acknowledged update " << n;
    }
    // No half update: every uN has its vN and the other way round.
    std::istringstream lines(zone);
    std::string line;
    std::set<std::string> u, v;
    while (std::getline(lines, line)) {
      if (line.rfind("u", 0) == 0) u.insert(line.substr(1, line.find('.') - 1));
      if (line.rfind("v", 0) == 0) v.insert(line.substr(1, line.find('.') - 1));
    }
    EXPECT_EQ(u, v);
    EXPECT_EQ(again->stop(), 0);
  }
}

}  // namespace
