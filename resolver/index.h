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
};

/// A candidate answer: a center offering the service, with its endpoint.
struct Candidate {
  const Center* center;
  std::string endpoint;                 // "infer.sz1.centers.gba.example." (presentation)
  std::string endpointWire;             // lower-case wire
  std::vector<std::string> addresses;   // A/AAAA rdata (wire)
  double score = 0;                     // set by rankers; higher is better
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
  struct Endpoint {
    std::string center, endpoint, endpointWire;
    std::vector<std::string> addresses;
  };
  std::map<std::string, Center> centers_;
  std::map<std::string, std::vector<Endpoint>> services_;
  uint32_t serial_ = 0;
};

}  // namespace cdns::resolver
