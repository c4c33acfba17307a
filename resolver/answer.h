// Answers for the compute zones: "<requirements>.<service>.svc.<apex>" goes through the
// service's policy chain and gets the chosen center's endpoint (A/AAAA: a CNAME plus its
// addresses; SRV and SVCB: the endpoint in those forms); every other name in a compute zone is
// answered from the replica like a secondary would.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "authority/query.h"
#include "authority/zone.h"
#include "resolver/index.h"
#include "resolver/plan.h"
#include "resolver/policy.h"
#include "resolver/reservations.h"

namespace cdns::resolver {

/// EDNS options in the local/experimental range (RFC 6891 §9): requirements as "k=v,k=v" text,
/// and a request for the explanation (answered with a JSON text in the same option code).
inline constexpr uint16_t kOptRequirements = 65001;
inline constexpr uint16_t kOptExplain = 65002;
inline constexpr uint16_t kOptClientSubnet = 8;  // RFC 7871

/// One compute zone as the answerer sees it: the replica's version, its index, and the live
/// per-center tables kept beside it.
struct ComputeZone {
  std::shared_ptr<const authority::Zone> zone;
  std::shared_ptr<const Index> index;
  std::shared_ptr<Reservations> held;  // null: reservations off
  std::vector<double> probeRttMs;      // by Center::id; empty: probing off
  uint64_t probeEpoch = 0;             // counts changes of probeRttMs (plans made before are stale)
  std::shared_ptr<Plans> plans;        // null: every query runs its chain in full
  uint64_t lastSuccess = 0;            // Unix seconds of the replica's last good check with a primary
};

/// A client subnet that maps to an access point (a NETQ peer name) for the network policies.
struct AccessPoint {
  sockaddr_storage prefix{};
  uint8_t length = 0;
  std::string peer;
};

struct AnswerConfig {
  uint32_t ttl = 5;                                      // TTL of chosen answers
  std::map<std::string, std::unique_ptr<Chain>> chains;  // by name; "default" is required
  std::map<std::string, std::string> serviceChain;       // service -> chain name
  std::map<std::string, uint16_t> servicePort;           // service -> port for SRV/SVCB answers
  std::vector<AccessPoint> accessPoints;                 // longest prefix wins
  uint64_t holdSeconds = 30;                             // reservations (0: off)
  uint64_t holdMinCpus = 1;                              // what an answer holds at least
  uint8_t subnetV4 = 24, subnetV6 = 56;                  // a client's subnet without ECS
};

/// What the answerer counts, for metrics.
struct AnswerStats {
  uint64_t answers = 0, nodata = 0, nxdomain = 0, formerr = 0;
  std::map<std::pair<std::string, std::string>, uint64_t> chosen;  // (zone, center) -> answers
};

/// The request's surroundings.
struct AnswerContext {
  const sockaddr* client = nullptr;  // the source address (null: unknown)
  uint64_t now = 0;                  // Unix seconds
  uint64_t nonce = 0;                // a random draw, for the weighted selector
  AnswerStats* stats = nullptr;      // counted into when set
};

/// Answers one request into `out`; returns its length (0: drop).
size_t answer(const uint8_t* msg, size_t len, uint8_t* out, size_t cap, bool udp, const std::vector<ComputeZone>& zones,
              const AnswerConfig& config, const AnswerContext& ctx);
/// The same without a client address or random draw.
inline size_t answer(const uint8_t* msg, size_t len, uint8_t* out, size_t cap, bool udp, const std::vector<ComputeZone>& zones,
                     const AnswerConfig& config, uint64_t now) {
  return answer(msg, len, out, cap, udp, zones, config, AnswerContext{nullptr, now, 0, nullptr});
}

/// Parses "10.1.0.0/16" or "2001:db8::/32"; errors name the problem.
Result<AccessPoint> parseAccessPoint(const std::string& prefix, const std::string& peer);

}  // namespace cdns::resolver
