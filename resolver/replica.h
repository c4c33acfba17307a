// A live replica of one compute zone: AXFR first, then IXFR on every NOTIFY from a primary and
// on the SOA refresh timer; the resolver reads immutable snapshots while it follows the zone.
// To the primary it is an ordinary secondary, so cdns-authority, Knot or BIND can feed it.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "authority/zone.h"
#include "common/result.h"
#include "common/tsig.h"
#include "resolver/index.h"

namespace cdns::resolver {

struct ReplicaConfig {
  std::string zone;                    // "gba.example."
  std::vector<std::string> primaries;  // "127.0.0.1:53"; NOTIFY is accepted from these addresses
  std::optional<tsig::Key> key;        // signs transfers and SOA queries, verifies NOTIFY
  std::string notifyListen;            // "127.0.0.1:0": where primaries send NOTIFY (empty: none)
  uint32_t minRefreshSeconds = 1;      // floor under the SOA's refresh interval
  uint32_t maxRefreshSeconds = 3600;   // ceiling over it
  int timeoutMs = 2000;
};

struct ReplicaStatus {
  uint32_t serial = 0;
  uint64_t lastSuccess = 0;  // Unix seconds of the last successful check
  uint64_t transfers = 0, ixfrs = 0, axfrs = 0, notifies = 0, failures = 0;
  std::string lastError;
};

class Replica {
 public:
  explicit Replica(ReplicaConfig config);
  ~Replica();

  /// Binds the NOTIFY socket (returning its port, 0 when none) and starts following the zone.
  /// The first transfer happens before start() returns; an error there is returned.
  Result<uint16_t> start();
  void stop();

  /// The current zone version (never null after a successful start). Any thread.
  std::shared_ptr<const authority::Zone> zone() const;
  /// The current version with its index, built when the version arrived. Any thread.
  std::pair<std::shared_ptr<const authority::Zone>, std::shared_ptr<const Index>> current() const;
  /// Counts the versions: a reader that saw this number before has the current one (no lock).
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  ReplicaStatus status() const;
  /// Asks for a check now (as a NOTIFY would). Any thread.
  void poke();

  // One step of following, exposed for tests: SOA check, then IXFR (or AXFR) when newer.
  Status refresh();
  /// Full transfer from the first primary that answers.
  Status transferFull();

 private:
  void run();
  void handleNotify();
  /// The reply to one NOTIFY from `from`, or nothing when it is to be ignored.
  std::optional<std::vector<uint8_t>> notifyReply(const std::vector<uint8_t>& msg, const sockaddr_storage& from,
                                                  const tsig::Keyring& ring);
  Result<std::vector<std::vector<uint8_t>>> xfr(const std::string& primary, uint16_t qtype);
  Status apply(std::vector<std::vector<uint8_t>>& messages, bool incremental);

  ReplicaConfig c_;
  std::string origin_;  // lower-case wire
  mutable std::mutex mu_;
  std::shared_ptr<const authority::Zone> zone_;
  std::shared_ptr<const Index> index_;
  std::atomic<uint64_t> version_{0};  // raised after zone_ and index_ change
  ReplicaStatus status_;
  std::condition_variable cv_;
  bool poked_ = false, stop_ = false;
  int notifyFd_ = -1, notifyTcpFd_ = -1;  // NOTIFY over UDP and TCP (Knot sends it over TCP)
  std::thread thread_, notifyThread_;
};

}  // namespace cdns::resolver
