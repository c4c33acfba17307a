// cdns-authority's control plane: loads config and zones, starts the worker loops, reloads on
// SIGHUP, stops on SIGTERM/SIGINT, sends NOTIFY, serves metrics. Workers do the query path.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "authority/config.h"
#include "authority/metrics.h"
#include "authority/notify.h"
#include "authority/updater.h"
#include "authority/worker.h"

namespace cdns::authority {

/// Loads every configured zone; errors name the file, the line and the problem.
Result<std::shared_ptr<const ZoneSet>> loadZones(const Config& config);
/// Transfer policy and TSIG keyring from the configuration; errors name the key.
Result<std::shared_ptr<const TransferPolicy>> makePolicy(const Config& config);

class Server {
 public:
  /// `configFile` is re-read on SIGHUP (empty: flags only, zones re-read from their files).
  Server(Config config, std::string configFile, std::string readyFile);
  ~Server();
  /// Loads zones, binds every listener and starts the workers. Errors are fatal at start.
  Status start();
  /// Runs the control loop until SIGTERM or SIGINT; then stops the workers. Returns the exit code.
  int run();

 private:
  Status bindAll();
  Status writeReadyFile();
  void reload();
  void notifyChanged(const ZoneSet* before, const ZoneSet& after);
  const tsig::Key* notifyKey(const ZoneConfig& zc);
  void stopAll();
  static void onSignal(uv_signal_t* s, int signum) noexcept;
  static void onZonesChanged(uv_async_t* a) noexcept;

  Config config_;
  std::string configFile_, readyFile_;
  Shared shared_;
  ControlStats control_;
  uv_loop_t loop_;
  uv_signal_t sigHup_, sigTerm_, sigInt_, sigUsr1_;
  uv_async_t changedAsync_;
  std::mutex changedMu_;
  std::vector<std::string> changed_;  // zones the updater changed, for NOTIFY
  std::unique_ptr<Updater> updater_;
  std::shared_ptr<const TransferPolicy> notifyPolicy_;
  std::unique_ptr<Notifier> notifier_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<WorkerSockets> sockets_;
  std::vector<std::string> readyLines_;
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace cdns::authority
