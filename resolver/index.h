// The resolver's view of a compute zone: services -> offering centers -> each center's state,
// built from one replica snapshot (rebuilt when the zone changes; readers keep their version).
#pragma once

#include <cstdint>
#include <array>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "authority/zone.h"

namespace cdns::resolver {

/// A 64-bit key for a GPU model name, so that a decision compares numbers, not strings. Case
/// does not count: requirements arrive in DNS labels, which resolvers may lower-case.
inline uint64_t gpuModelKey(std::string_view model) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char ch : model) h = (h ^ static_cast<unsigned char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch)) * 1099511628211ULL;
  return model.empty() ? 0 : h | 1;
}

/// One center, decoded from its records (SITE, CAP, PRICE, ENERGY, NETQ, DATA, TIER). The
/// figures every decision reads come first, together, so that a decision over many centers
/// touches as little memory as it can.
struct Center {
  uint64_t ts = 0;  // newest ts of its records
  double load = 0;
  uint64_t cpuFree = 0, cpuTotal = 0, memFree = 0, memTotal = 0, gpuFree = 0, gpuTotal = 0, queue = 0;
  double cpuHour = -1;         // PRICE cpu-hour (-1: unknown)
  double carbonPerWork = 1e9;  // ENERGY carbon x pue x (1 - renewable)
  double bestRtt = 1e6;        // over all NETQ peers
  uint32_t id = 0;             // position in the index, for per-center tables
  struct Gpus {
    uint64_t key = 0;  // gpuModelKey(model)
    uint64_t free = 0, total = 0;
    double hourPrice = -1;  // PRICE gpu-hour for this model (-1: not priced)
    std::string model;
  };
  std::vector<Gpus> gpus;  // per model, from CAP and PRICE (a handful at most)

  std::string name;  // "sz1"
  std::string region, jurisdiction, kind;
  struct Link {
    double rtt = 1e6, jitter = 0, loss = 0, bw = 0;  // ms, ms, percent, bit/s
  };
  std::map<std::string, Link> links;              // NETQ by peer
  std::map<std::string, nlohmann::json> records;  // type name -> decoded rdata (NETQ/DATA: arrays)
  std::string recordsJson;                        // the same as one JSON text (for plug-ins)

  /// Free GPUs of the model with `key` (any model when 0).
  uint64_t gpusFree(uint64_t key) const {
    if (!key) return gpuFree;
    for (const auto& g : gpus)
      if (g.key == key) return g.free;
    return 0;
  }
  /// The hourly price of one GPU of the model with `key` (the cheapest priced model when 0);
  /// < 0: not offered.
  double gpuHourPrice(uint64_t key) const {
    double best = -1;
    for (const auto& g : gpus)
      if ((!key || g.key == key) && g.hourPrice >= 0 && (best < 0 || g.hourPrice < best)) best = g.hourPrice;
    return best;
  }
  Gpus& gpuModel(const std::string& model) {
    for (auto& g : gpus)
      if (g.model == model) return g;
    gpus.push_back(Gpus{gpuModelKey(model), 0, 0, -1, model});
    return gpus.back();
  }
};

/// The figures every decision reads, one 128-byte block per center, all centers' blocks side by
/// side in the index: a decision over many candidates streams through them instead of chasing
/// each Center (a few hundred bytes, with maps and strings) around the heap.
struct alignas(64) Hot {
  uint64_t ts = 0;
  double load = 0;
  uint64_t cpuFree = 0, cpuTotal = 0, memFree = 0, gpuFree = 0, queue = 0;
  double cpuHour = -1, carbonPerWork = 1e9, bestRtt = 1e6;
  struct Gpu {
    uint64_t key = 0;
    uint32_t free = 0;
    float hourPrice = -1;
  };
  std::array<Gpu, 2> gpus{};  // the first two models; more live in the Center
  uint32_t id = 0;
  uint8_t models = 0;         // how many models the center has (> 2: see `center`)
  const Center* center = nullptr;

  static Hot of(const Center& c);
  uint64_t gpusFree(uint64_t key) const {
    if (!key) return gpuFree;
    if (models > gpus.size()) return center->gpusFree(key);
    for (uint8_t i = 0; i < models; ++i)
      if (gpus[i].key == key) return gpus[i].free;
    return 0;
  }
  double gpuHourPrice(uint64_t key) const {
    if (models > gpus.size()) return center->gpuHourPrice(key);
    double best = -1;
    for (uint8_t i = 0; i < models; ++i)
      if ((!key || gpus[i].key == key) && gpus[i].hourPrice >= 0 && (best < 0 || gpus[i].hourPrice < best))
        best = gpus[i].hourPrice;
    return best;
  }
};
static_assert(sizeof(Hot) == 128);

/// A candidate answer: a center offering the service, with its endpoint.
struct Endpoint {
  std::string center, endpoint, endpointWire;  // "infer.sz1.centers.gba.example.", lower-case wire
  std::vector<std::string> addresses;          // A/AAAA rdata (wire)
  uint32_t centerId = 0;                       // Center::id
  // From the center's "_<service>._tcp.<center>.centers" SRV record, when it publishes one: the
  // port and target for SRV/SVCB answers, and the target's addresses.
  uint16_t port = 0;
  std::string srvTargetWire;
  std::vector<std::string> srvAddresses;
};

/// A candidate answer: a center offering the service, with its endpoint. Cheap to copy: it
/// points into the index, which the caller keeps alive for the decision.
struct Candidate {
  const Hot* hot;  // the center's figures (hot->center == center)
  const Center* center;
  const Endpoint* endpoint;
  double score = 0;  // set by rankers; higher is better
};

/// What this resolver has handed out for a center since the center's last update (its
/// reservations); policies count it as taken.
struct Held {
  uint64_t cpus = 0, gpus = 0, mem = 0;
};

class Index {
 public:
  /// Builds from a zone version.
  static std::shared_ptr<const Index> build(const authority::Zone& zone);
  /// Builds the index of `zone`, a version that differs from `prev`'s only at `changedOwners`
  /// (lower-case wire names, as an IXFR lists them): the centers whose own records did not change
  /// are shared with `prev`, not decoded again. With `prev` null, or when centers joined or left,
  /// the same as build().
  static std::shared_ptr<const Index> update(const Index* prev, const authority::Zone& zone,
                                             const std::vector<std::string>& changedOwners);
  /// The candidates for `service` in the order the zone lists them; empty when unknown.
  std::vector<Candidate> candidates(const std::string& service) const;
  /// The same into `out` (cleared first), which keeps its capacity across calls.
  void candidates(const std::string& service, std::vector<Candidate>& out) const;
  bool hasService(const std::string& service) const { return services_.count(service) != 0; }
  const std::map<std::string, std::shared_ptr<const Center>>& centers() const { return centers_; }
  /// Centers by id (Center::id), for per-center tables kept outside the index.
  const std::vector<const Center*>& byId() const { return byId_; }
  /// The endpoints a center offers (one per service), by Center::id.
  const std::vector<const Endpoint*>& endpointsOf(uint32_t id) const { return endpointsById_[id]; }
  uint32_t serial() const { return serial_; }

 private:
  std::map<std::string, std::shared_ptr<const Center>> centers_;
  std::vector<const Center*> byId_;
  std::vector<Hot> hot_;
  std::vector<std::vector<const Endpoint*>> endpointsById_;
  std::map<std::string, std::vector<Endpoint>> services_;
  uint32_t serial_ = 0;
};

}  // namespace cdns::resolver
