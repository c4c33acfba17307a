// RAII handles for ldns objects.
#pragma once

// ldns/common.h #defines bool, true and false unless stdbool.h came first; those macros break
// the standard library (std::optional's operator<=>). Include ldns only through this header.
#include <stdbool.h>  // NOLINT

#include <ldns/ldns.h>

#include <cstdlib>
#include <memory>
#include <vector>

namespace cdns {

struct LdnsDeleter {
  void operator()(ldns_rr* p) const { ldns_rr_free(p); }
  void operator()(ldns_rdf* p) const { ldns_rdf_deep_free(p); }
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
  void operator()(ldns_buffer* p) const { ldns_buffer_free(p); }
  void operator()(ldns_rr_list* p) const { ldns_rr_list_deep_free(p); }
  void operator()(ldns_zone* p) const { ldns_zone_deep_free(p); }
  void operator()(ldns_key_list* p) const { ldns_key_list_free(p); }
};

using RrPtr = std::unique_ptr<ldns_rr, LdnsDeleter>;
using RdfPtr = std::unique_ptr<ldns_rdf, LdnsDeleter>;
using PktPtr = std::unique_ptr<ldns_pkt, LdnsDeleter>;
using BufferPtr = std::unique_ptr<ldns_buffer, LdnsDeleter>;
using RrListPtr = std::unique_ptr<ldns_rr_list, LdnsDeleter>;
using ZonePtr = std::unique_ptr<ldns_zone, LdnsDeleter>;

/// An ldns packet in wire form (uncompressed names as ldns writes them).
inline std::vector<uint8_t> toWire(const ldns_pkt* p) {
  uint8_t* wire = nullptr;
  size_t len = 0;
  if (ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK) return {};
  std::vector<uint8_t> out(wire, wire + len);
  free(wire);
  return out;
}

}  // namespace cdns
