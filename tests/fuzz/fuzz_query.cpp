// Fuzz target: the authoritative query path (parse, answer, compress) over a test zone, for every
// transport. Whatever it answers must be a well-formed DNS message that ldns can parse, no larger
// than the transport allows.
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "authority/query.h"
#include "authority/zone.h"
#include "common/ldns_handles.h"
#include "rrtypes/zone_loader.h"

using namespace cdns;
using namespace cdns::authority;

static const ZoneSet& zones() {
  static std::shared_ptr<ZoneSet> set = [] {
    auto s = std::make_shared<ZoneSet>();
    auto file = rrtypes::loadZoneFile(CDNS_TEST_DATA "/authority.zone", "example.test.");
    if (!file) abort();
    auto zone = Zone::build("example.test.", file->records, "authority.zone");
    if (!zone) abort();
    s->add(*zone);
    return s;
  }();
  return *set;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static uint8_t out[65536];
  QueryLimits limits;
  for (Transport t : {Transport::kUdp, Transport::kTcp}) {
    ParsedQuery q;
    Outcome o = processQuery(data, size, out, sizeof out, t, zones(), limits, q);
    if (o.action != Action::kRespond) continue;
    if (o.len < 12 || (t == Transport::kUdp && o.len > limits.udpMaxPayload)) abort();
    ldns_pkt* p = nullptr;
    if (ldns_wire2pkt(&p, out, o.len) != LDNS_STATUS_OK) abort();
    ldns_pkt_free(p);
  }
  return 0;
}
