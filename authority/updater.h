// The publish path's single writer: one thread applies RFC 2136 updates and lease expiries to the
// dynamic zones, journals them with one fsync per batch (group commit), publishes the new zone
// versions to the workers, then answers. Workers hand updates over with submit().
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "authority/config.h"
#include "authority/journal.h"
#include "authority/metrics.h"
#include "authority/worker.h"
#include "common/tsig.h"

namespace cdns::authority {

/// One UPDATE handed from a worker. `reply` is called once, from the updater thread.
struct UpdateJob {
  std::vector<uint8_t> msg;
  tsig::RequestInfo tsig;                          // verified signature (the key is in `policy`)
  std::shared_ptr<const TransferPolicy> policy;    // keeps the keyring alive
  bool ednsRequest = false;
  uint16_t ednsPayload = 0;
  std::function<void(std::vector<uint8_t>)> reply;
};

struct UpdaterStats {
  Counter accepted, unchanged;
  Counter refused[6];  // by reason, see kRefusalNames
  Counter leaseExpiries;
  Counter batches;
  std::atomic<uint64_t> journalBytes{0};
};
inline constexpr const char* kRefusalNames[] = {"policy", "prerequisite", "notzone", "malformed", "journal", "other"};

class Updater {
 public:
  /// `onChanged(origin)` is called (from the updater thread) after a zone version is published.
  Updater(Shared& shared, std::function<void(const std::string&)> onChanged);
  ~Updater();

  /// Opens the journals of the dynamic zones and replays them over `zones` (the versions loaded
  /// from the files), returning the zones to publish. Start-up only.
  Result<std::shared_ptr<const ZoneSet>> init(const Config& config, std::shared_ptr<const ZoneSet> zones);
  void start();
  /// Writes every dynamic zone back, then stops the thread.
  void stop();

  /// Queues an update (any thread).
  void submit(std::unique_ptr<UpdateJob> job);
  /// Queues a write-back of every dynamic zone to its file (SIGUSR1; any thread).
  void requestWriteback();
  /// Takes freshly loaded zones after SIGHUP: a dynamic zone keeps its updated version unless
  /// the file has a newer serial (then the journal restarts from the file). Any thread.
  void reload(const Config& config, std::shared_ptr<const ZoneSet> loaded);
  /// The IXFR chain from `from` to `to` for a zone; empty when the history does not reach.
  std::vector<std::shared_ptr<const Changeset>> ixfrChain(std::string_view origin, uint32_t from, uint32_t to);

  const UpdaterStats& stats() const { return stats_; }
  /// Whether the zone takes updates (fixed after init(); any thread).
  bool handles(std::string_view origin) const { return zones_.count(std::string(origin)) != 0; }

 private:
  struct Dynamic;
  void run();
  void processBatch(std::vector<std::unique_ptr<UpdateJob>>& jobs);
  bool expireLeases(uint64_t now, std::map<std::string, std::vector<Changeset>>& pending);
  void publish(const std::vector<std::string>& changed);
  void writeback(Dynamic& d);
  uint64_t nextLeaseExpiry() const;

  Shared& shared_;
  std::function<void(const std::string&)> onChanged_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<UpdateJob>> queue_;
  bool stop_ = false, writebackRequested_ = false;
  std::unique_ptr<std::pair<Config, std::shared_ptr<const ZoneSet>>> reload_;
  std::thread thread_;
  std::mutex historyMu_;  // guards the journals' history for ixfrChain()
  std::map<std::string, std::unique_ptr<Dynamic>> zones_;  // by origin (lower wire)
  UpdaterStats stats_;
};

}  // namespace cdns::authority
