// Fuzz target: the resolver's answer path (query parse, requirement labels and EDNS options,
// client subnet, the policy chains with every selector, SRV/SVCB/CNAME answers, explanations)
// over the three test centers. Whatever it answers must be a well-formed DNS message that ldns
// can parse, within the size the transport allows, and the same byte for byte whether its
// decision came from a plan (resolver/plan.h) or from the whole chain.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/ldns_handles.h"
#include "resolver/answer.h"
#include "rrtypes/zone_loader.h"

using namespace cdns;
using namespace cdns::resolver;

namespace {

struct World {
  std::vector<ComputeZone> zones;  // decisions from plans
  std::vector<ComputeZone> whole;  // the same zone, its own reservations, every chain in full
  AnswerConfig config;
};

World& world() {
  static World* w = [] {
    auto* x = new World();
    auto file = rrtypes::loadZoneFile(CDNS_TEST_DATA "/resolver.zone", "gba.example.");
    if (!file) abort();
    auto zone = authority::Zone::build("gba.example.", file->records, "resolver.zone");
    if (!zone) abort();
    ComputeZone cz;
    cz.zone = *zone;
    cz.index = Index::build(**zone);
    cz.held = std::make_shared<Reservations>();
    cz.held->follow(*cz.index);
    cz.probeRttMs.assign(cz.index->byId().size(), 3.5);
    x->whole.push_back(cz);
    cz.held = std::make_shared<Reservations>();
    cz.held->follow(*cz.index);
    cz.plans = std::make_shared<Plans>();
    x->zones.push_back(cz);
    PolicyRegistry reg;
    registerBuiltinPolicies(reg);
    const char* chains[][2] = {
        {"default", R"({"policies": [{"name": "manual"}, {"name": "fresh", "max_age": 100000000}, {"name": "fits"}, {"name": "load"}]})"},
        {"price", R"({"policies": [{"name": "fits"}, {"name": "price"}, {"name": "data"}], "select": {"name": "weighted", "top": 2}})"},
        {"near", R"({"policies": [{"name": "jurisdiction", "allow": ["CN", "HK"]}, {"name": "network"}, {"name": "qos", "max_rtt_ms": 50}], "select": {"name": "sticky", "top": 3}})"},
        {"first", R"({"policies": [{"name": "energy"}, {"name": "fcfs", "order": ["hk1"]}]})"},
    };
    for (const auto& c : chains) {
      auto chain = Chain::fromJson(nlohmann::json::parse(c[1]), reg);
      if (!chain) abort();
      x->config.chains[c[0]] = std::move(*chain);
    }
    x->config.servicePort["infer"] = 443;
    x->config.accessPoints.push_back(*parseAccessPoint("10.0.0.0/8", "gz1"));
    x->config.accessPoints.push_back(*parseAccessPoint("2001:db8::/32", "sz1"));
    return x;
  }();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static uint8_t out[65536], again[65536];
  World& w = world();
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl(0x0a010203);
  for (bool udp : {true, false}) {
    AnswerContext ctx{reinterpret_cast<sockaddr*>(&from), 1795843260, size, nullptr};
    size_t n = answer(data, size, out, sizeof out, udp, w.zones, w.config, ctx);
    size_t m = answer(data, size, again, sizeof again, udp, w.whole, w.config, ctx);
    if (n != m || std::memcmp(out, again, n) != 0) abort();  // a plan decided otherwise
    if (!n) continue;
    if (n < 12 || (udp && n > 1232)) abort();
    ldns_pkt* p = nullptr;
    if (ldns_wire2pkt(&p, out, n) != LDNS_STATUS_OK) abort();
    ldns_pkt_free(p);
  }
  for (auto* zones : {&w.zones, &w.whole}) (*zones)[0].held->expire(1795843260 + 100, 30);  // keep the reservations from filling up
  return 0;
}
