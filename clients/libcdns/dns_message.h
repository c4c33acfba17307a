// libcdns internals: building queries with our EDNS options and reading the resolver's answers
// (CNAME + addresses, SRV, EDE, the explanation). Shared with cdig and cdns-submit; not installed.
#pragma once

// The standard headers before ldns: its common.h defines bool/false for C.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cdns/cdns.h"

#include <ldns/ldns.h>

namespace cdns::client::detail {

/// EDNS options in the local/experimental range (RFC 6891 §9), as cdns-resolver reads them.
inline constexpr uint16_t kOptRequirements = 65001;  // "gpu=4,policy=price"
inline constexpr uint16_t kOptExplain = 65002;       // empty in the query, JSON in the answer
inline constexpr uint16_t kOptEde = 15;              // RFC 8914 Extended DNS Error
inline constexpr uint16_t kOptSubnet = 8;            // RFC 7871 Client Subnet

/// Appends one EDNS option (code, length, data) to `out`.
void appendOption(std::vector<uint8_t>& out, uint16_t code, const std::string& data);
/// Options 65001 (when `req` is not empty) and 65002 (when `explain`).
std::vector<uint8_t> serviceOptions(const Requirements& req, bool explain);
/// "gpu=4,policy=price".
std::string requirementsText(const Requirements& req);

/// A query with RD, EDNS (1232-byte buffer) and the given raw option bytes.
Result<std::vector<uint8_t>> buildQuery(const std::string& name, ldns_rr_type type, const std::vector<uint8_t>& options);

/// The options of the answer's OPT record, in order.
std::vector<std::pair<uint16_t, std::string>> ednsOptions(const ldns_pkt* p);
/// The EDE texts of an answer ("no center left after fits (asked: gpu=100)"), with their code.
std::string edeText(const ldns_pkt* p);

/// Reads a service answer: CNAME from `qname` to the endpoint, then its addresses.
Result<Resolution> readResolution(const std::vector<uint8_t>& wire, const std::string& service, const std::string& qname);
/// Reads a relay SRV answer (lowest priority, then highest weight), with an address when given.
Result<RelayEndpoint> readRelay(const std::vector<uint8_t>& wire, const std::string& center, const std::string& qname);
/// The first A/AAAA of `host` in an answer, as text; empty when none.
std::string firstAddress(const std::vector<uint8_t>& wire, const std::string& host);

}  // namespace cdns::client::detail
