// Answers for the compute zones: "<requirements>.<service>.svc.<apex>" goes through the
// service's policy chain and gets a CNAME to the chosen center's endpoint plus its addresses;
// every other name in a compute zone is answered from the replica like a secondary would.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "authority/query.h"
#include "authority/zone.h"
#include "resolver/index.h"
#include "resolver/policy.h"

namespace cdns::resolver {

/// EDNS options in the local/experimental range (RFC 6891 §9): requirements as "k=v,k=v" text,
/// and a request for the explanation (answered with a JSON text in the same option code).
inline constexpr uint16_t kOptRequirements = 65001;
inline constexpr uint16_t kOptExplain = 65002;

/// One compute zone as the answerer sees it: the replica's version and its index.
struct ComputeZone {
  std::shared_ptr<const authority::Zone> zone;
  std::shared_ptr<const Index> index;
};

struct AnswerConfig {
  uint32_t ttl = 5;                                  // TTL of chosen answers
  std::map<std::string, std::unique_ptr<Chain>> chains;  // by name; "default" is required
  std::map<std::string, std::string> serviceChain;  // service -> chain name
};

/// Answers one request into `out`; returns its length (0: drop).
size_t answer(const uint8_t* msg, size_t len, uint8_t* out, size_t cap, bool udp,
              const std::vector<ComputeZone>& zones, const AnswerConfig& config, uint64_t now);

}  // namespace cdns::resolver
