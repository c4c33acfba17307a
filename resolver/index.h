// The resolver's view of a compute zone: services -> offering centers -> each center's state,
// built from one replica snapshot (rebuilt when the zone changes; readers keep their version).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "authority/zone.h"

namespace cdns::resolver {

/// One center, decoded from its records (SITE, CAP, PRICE, ENERGY, NETQ, DATA, TIER).
struct Center {
  std::string name;                    // "sz1"
  std::map<std::string, nlohmann::json> records;  // type name -> decoded rdata (NETQ/DATA: arrays)
  // The figures policies use most, pulled out once:
  uint64_t ts = 0;                     // newest ts of its records
  double load = 0;
  uint64_t cpuFree = 0, cpuTotal = 0, memFree = 0, queue = 0;
  std::map<std::string, std::pair<uint64_t, uint64_t>> gpus;  // model -> free, total
  uint64_t gpuFree = 0;
  std::string region, jurisdiction, kind;
  // Figures the rankers read per decision, decoded once when the index is built:
  double cpuHour = -1;                      // PRICE cpu-hour (-1: unknown)
  std::map<std::string, double> gpuHour;    // PRICE gpu-hour by model
  double carbonPerWork = 1e9;               // ENERGY carbon x pue x (1 - renewable)
  std::map<std::string, std::pair<double, double>> links;  // NETQ peer -> rtt ms, bw bit/s
  double bestRtt = 1e6;                     // over all NETQ peers
};

/// A candidate answer: a center offering the service, with its endpoint.
struct Endpoint {
  std::string center, endpoint, endpointWire;  // "infer.sz1.centers.gba.example.", lower-case wire
  std::vector<std::string> addresses;          // A/AAAA rdata (wire)
};

/// A candidate answer: a center offering the service, with its endpoint. Cheap to copy: it
/// points into the index, which the caller keeps alive for the decision.
struct Candidate {
  const Center* center;
  const Endpoint* endpoint;
  double score = 0;  // set by rankers; higher is better
};

class Index {
 public:
  /// Builds from a zone version; `apex` is the zone's origin.
  static std::shared_ptr<const Index> build(const authority::Zone& zone);
  /// The candidates for `service` in the order the zone lists them; empty when unknown.
  std::vector<Candidate> candidates(const std::string& service) const;
  bool hasService(const std::string& service) const { return services_.count(service) != 0; }
  const std::map<std::string, Center>& centers() const { return centers_; }
  uint32_t serial() const { return serial_; }

 private:
  std::map<std::string, Center> centers_;
  std::map<std::string, std::vector<Endpoint>> services_;
  uint32_t serial_ = 0;
};

}  // namespace cdns::resolver
