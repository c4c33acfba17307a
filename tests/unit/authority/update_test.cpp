// Unit tests: RFC 2136 processing, table-driven over a small zone.
#include <gtest/gtest.h>

#include <sstream>

#include "authority/update.h"
#include "authority/zone.h"
#include "common/dns.h"
#include "common/ldns_handles.h"
#include "rrtypes/zone_loader.h"

using namespace cdns;
using namespace cdns::authority;

namespace {

std::shared_ptr<const Zone> zone() {
  auto file = rrtypes::loadZoneText(
      "@ 300 SOA ns hm 100 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.80\nalias CNAME www\n"
      "sz1.centers CAP queue=1\nsz1.centers A 192.0.2.10\nhk1.centers CAP queue=2\n",
      "z", "gba.example.");
  EXPECT_TRUE(file.ok());
  return *Zone::build("gba.example.", file->records, "z");
}

std::vector<UpdateRule> rules() {
  UpdateRule sz1{"sz1.", *dns::nameFromText("sz1.centers.gba.example."), UpdateRule::Match::kSubdomain, {dns::kANY}};
  UpdateRule caps{"hk1.", *dns::nameFromText("hk1.centers.gba.example."), UpdateRule::Match::kExact, {65281}};
  UpdateRule admin{"admin.", *dns::nameFromText("gba.example."), UpdateRule::Match::kSubdomain, {dns::kANY, dns::kSOA, dns::kNS}};
  UpdateRule ptr{"sz1.", *dns::nameFromText("infer.svc.gba.example."), UpdateRule::Match::kExact, {dns::kPTR}};
  ptr.targetUnder = *dns::nameFromText("sz1.centers.gba.example.");
  return {sz1, caps, admin, ptr};
}

// "owner ttl CLASS TYPE [rdata]": classes ANY and NONE, and empty rdata, as updates use them
// (RFC 2136 §2.4-2.5), which master-file syntax cannot say.
ldns_rr* rr(const std::string& text) {
  std::istringstream in(text);
  std::string owner, ttl, cls, type;
  in >> owner >> ttl >> cls >> type;
  std::string rest;
  std::getline(in, rest);
  ldns_rr* out = nullptr;
  if (rest.find_first_not_of(' ') != std::string::npos) {
    auto r = rrtypes::parseRr(owner + " " + ttl + " IN " + type + rest, "gba.example.");
    EXPECT_TRUE(r.ok()) << text;
    out = r->release();
  } else {
    out = ldns_rr_new();
    ldns_rdf* name = nullptr;
    ldns_str2rdf_dname(&name, owner.c_str());
    if (!ldns_dname_str_absolute(owner.c_str())) {
      ldns_rdf* origin = ldns_dname_new_frm_str("gba.example.");
      ldns_dname_cat(name, origin);
      ldns_rdf_deep_free(origin);
    }
    ldns_rr_set_owner(out, name);
    ldns_rr_set_ttl(out, static_cast<uint32_t>(std::stoul(ttl)));
    uint16_t code = typeFromName(type);
    EXPECT_NE(code, 0) << type;
    ldns_rr_set_type(out, static_cast<ldns_rr_type>(code));
  }
  ldns_rr_set_class(out, cls == "ANY" ? LDNS_RR_CLASS_ANY : cls == "NONE" ? LDNS_RR_CLASS_NONE : LDNS_RR_CLASS_IN);
  return out;
}

// An UPDATE for gba.example.: prerequisites and updates in presentation form.
std::vector<uint8_t> message(const std::vector<std::string>& prereqs, const std::vector<std::string>& updates,
                             std::optional<uint32_t> lease = std::nullopt) {
  ldns_rr_list* pr = ldns_rr_list_new();
  for (const auto& p : prereqs) ldns_rr_list_push_rr(pr, rr(p));
  ldns_rr_list* up = ldns_rr_list_new();
  for (const auto& u : updates) ldns_rr_list_push_rr(up, rr(u));
  ldns_pkt* p = ldns_update_pkt_new(ldns_dname_new_frm_str("gba.example."), LDNS_RR_CLASS_IN, pr, up, nullptr);
  ldns_rr_list_deep_free(pr);  // ldns_update_pkt_new cloned them
  ldns_rr_list_deep_free(up);
  std::vector<uint8_t> out = toWire(p);
  ldns_pkt_free(p);
  if (lease) {  // append an OPT with the Update Lease option (RFC 9664)
    uint8_t opt[] = {0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 8, 0, 2, 0, 4, 0, 0, 0, 0};
    dns::put32(opt + 15, *lease);
    out.insert(out.end(), opt, opt + sizeof opt);
    dns::put16(out.data() + 10, static_cast<uint16_t>(dns::get16(out.data() + 10) + 1));
  }
  return out;
}

UpdateResult run(const std::string& key, const std::vector<std::string>& prereqs, const std::vector<std::string>& updates,
                 std::optional<uint32_t> lease = std::nullopt) {
  static auto z = zone();
  auto msg = message(prereqs, updates, lease);
  return processUpdate(UpdateRequest{msg.data(), msg.size(), key}, *z, rules(), LeaseLimits{5, 3600});
}

}  // namespace

TEST(Update, RcodesForEveryPrerequisiteKind) {
  struct Case {
    const char* what;
    std::vector<std::string> prereqs;
    uint16_t rcode;
  };
  // Class ANY/NONE prerequisites are written as ldns reads them: "name 0 ANY TYPE" etc.
  const Case cases[] = {
      {"name in use: yes", {"www 0 ANY ANY"}, dns::kNoError},
      {"name in use: no", {"nope 0 ANY ANY"}, dns::kNxDomain},
      {"name not in use: no", {"www 0 NONE ANY"}, dns::kYxDomain},
      {"name not in use: yes", {"nope 0 NONE ANY"}, dns::kNoError},
      {"rrset exists: yes", {"www 0 ANY A"}, dns::kNoError},
      {"rrset exists: no", {"www 0 ANY TXT"}, dns::kNxRrset},
      {"rrset does not exist: no", {"www 0 NONE A"}, dns::kYxRrset},
      {"rrset does not exist: yes", {"www 0 NONE TXT"}, dns::kNoError},
      {"rrset exists (value): yes", {"www 0 IN A 192.0.2.80"}, dns::kNoError},
      {"rrset exists (value): no", {"www 0 IN A 192.0.2.81"}, dns::kNxRrset},
      {"prerequisite outside the zone", {"www.other.test. 0 ANY ANY"}, dns::kNotZone},
      {"prerequisite with a TTL", {"www 60 ANY A"}, dns::kFormErr},
  };
  for (const auto& c : cases) {
    auto r = run("admin.", c.prereqs, {"new 60 IN A 192.0.2.9"});
    EXPECT_EQ(r.rcode, c.rcode) << c.what << ": " << r.reason;
    if (c.rcode != dns::kNoError) {
      EXPECT_TRUE(r.added.empty()) << c.what;
      EXPECT_TRUE(r.removed.empty()) << c.what;
    }
  }
}

TEST(Update, PolicyLimitsKeysToTheirNamesAndTypes) {
  EXPECT_EQ(run("sz1.", {}, {"sz1.centers 60 IN CAP queue=5"}).rcode, dns::kNoError);
  EXPECT_EQ(run("sz1.", {}, {"x.sz1.centers 60 IN TXT \"ok\""}).rcode, dns::kNoError);
  EXPECT_EQ(run("sz1.", {}, {"hk1.centers 60 IN CAP queue=5"}).rcode, dns::kRefused);  // another center
  EXPECT_EQ(run("sz1.", {}, {"@ 60 IN SOA ns hm 200 2 3 4 5"}).rcode, dns::kRefused);  // the SOA
  EXPECT_EQ(run("hk1.", {}, {"hk1.centers 60 IN A 192.0.2.3"}).rcode, dns::kRefused);   // type not allowed
  EXPECT_EQ(run("hk1.", {}, {"x.hk1.centers 60 IN CAP queue=1"}).rcode, dns::kRefused);  // exact name only
  EXPECT_EQ(run("nobody.", {}, {"www 60 IN A 192.0.2.3"}).rcode, dns::kRefused);
  // One forbidden record refuses the whole message: atomic.
  auto r = run("sz1.", {}, {"sz1.centers 60 IN CAP queue=5", "hk1.centers 60 IN CAP queue=5"});
  EXPECT_EQ(r.rcode, dns::kRefused);
  EXPECT_TRUE(r.added.empty());
}

TEST(Update, ReplaceAnRRsetBumpsTheSerialOnce) {
  auto r = run("sz1.", {}, {"sz1.centers 0 ANY CAP", "sz1.centers 60 IN CAP queue=7"});
  ASSERT_EQ(r.rcode, dns::kNoError);
  ASSERT_EQ(r.removed.size(), 2u);  // old CAP, old SOA
  ASSERT_EQ(r.added.size(), 2u);    // new CAP, new SOA
  auto z = zone()->apply(r.removed, r.added);
  EXPECT_EQ(z->serial(), 101u);
  EXPECT_EQ(z->find(*dns::nameFromText("sz1.centers.gba.example."))->find(65281)->rdata.size(), 1u);
  // The same again changes nothing: no new serial.
  auto again = processUpdate(UpdateRequest{nullptr, 0, ""}, *z, rules(), {});
  EXPECT_EQ(again.rcode, dns::kFormErr);
}

TEST(Update, RulesOfSection3_4_2) {
  // CNAME beside other data is ignored; other data beside a CNAME is ignored.
  auto c = run("admin.", {}, {"www 60 IN CNAME alias"});
  EXPECT_EQ(c.rcode, dns::kNoError);
  EXPECT_TRUE(c.added.empty());
  auto d = run("admin.", {}, {"alias 60 IN A 192.0.2.5"});
  EXPECT_TRUE(d.added.empty());
  // Apex SOA and NS survive deletions; the last apex NS cannot be deleted.
  auto all = run("admin.", {}, {"@ 0 ANY ANY"});
  EXPECT_TRUE(all.removed.empty());
  auto ns = run("admin.", {}, {"@ 0 NONE NS ns"});
  EXPECT_TRUE(ns.removed.empty());
  // A lower SOA serial is ignored, a higher one replaces the SOA without another bump.
  EXPECT_TRUE(run("admin.", {}, {"@ 300 IN SOA ns hm 50 2 3 4 5"}).added.empty());
  auto soa = run("admin.", {}, {"@ 300 IN SOA ns hm 500 2 3 4 5"});
  ASSERT_EQ(soa.added.size(), 1u);
  EXPECT_EQ(zone()->apply(soa.removed, soa.added)->serial(), 500u);
  // Deleting one RR, a whole RRset, a whole name.
  EXPECT_EQ(run("sz1.", {}, {"sz1.centers 0 NONE A 192.0.2.10"}).removed.size(), 2u);
  EXPECT_EQ(run("sz1.", {}, {"sz1.centers 0 ANY ANY"}).removed.size(), 3u);
  // Outside the zone, and meta types, are refused before anything happens.
  EXPECT_EQ(run("admin.", {}, {"www.other.test. 60 IN A 192.0.2.1"}).rcode, dns::kNotZone);
}

TEST(Update, LeaseIsClampedAndNamesTheRecords) {
  auto r = run("sz1.", {}, {"sz1.centers 3600 IN CAP queue=1"}, 1);
  ASSERT_EQ(r.rcode, dns::kNoError);
  ASSERT_TRUE(r.lease.has_value());
  EXPECT_EQ(*r.lease, 5u);  // raised to the minimum
  ASSERT_EQ(r.leased.size(), 1u);  // already present: no change, but the lease is renewed
  EXPECT_TRUE(r.added.empty());
  EXPECT_EQ(*run("sz1.", {}, {"sz1.centers 60 IN CAP queue=3"}, 999999).lease, 3600u);
}

TEST(Update, SharedNamesAreLimitedToTheKeysOwnTargets) {
  EXPECT_EQ(run("sz1.", {}, {"infer.svc 60 IN PTR infer.sz1.centers"}).rcode, dns::kNoError);
  EXPECT_EQ(run("sz1.", {}, {"infer.svc 0 NONE PTR infer.sz1.centers"}).rcode, dns::kNoError);
  EXPECT_EQ(run("sz1.", {}, {"infer.svc 60 IN PTR infer.hk1.centers"}).rcode, dns::kRefused);   // another's target
  EXPECT_EQ(run("sz1.", {}, {"infer.svc 0 NONE PTR infer.hk1.centers"}).rcode, dns::kRefused);  // another's pointer
  EXPECT_EQ(run("sz1.", {}, {"infer.svc 0 ANY PTR"}).rcode, dns::kRefused);                      // everybody's
  EXPECT_EQ(run("sz1.", {}, {"infer.svc 0 ANY ANY"}).rcode, dns::kRefused);
}
