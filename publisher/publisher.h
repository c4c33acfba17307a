// The publisher: collect, compare, publish as one signed update per change; heartbeat, lease,
// withdrawal on SIGTERM. Runs on the calling thread; signals are taken synchronously.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "publisher/config.h"
#include "publisher/sender.h"

namespace cdns::publisher {

struct RunOptions {
  bool once = false;    // publish now and exit
  bool dryRun = false;  // print the update, send nothing
  std::vector<std::string> overrides;  // "cap.queue=3"
};

class Publisher {
 public:
  explicit Publisher(Config config, RunOptions options) : c_(std::move(config)), o_(std::move(options)) {}
  /// Runs until SIGTERM/SIGINT (then withdraws) or, with --once/--dry-run, one round. Exit status.
  int run();
  /// --calibrate: runs the benchmark, grades it, publishes TIER and keeps it in the tier file.
  int calibrate();

  /// One round of collection: static fields, collectors (failing soft), calibrated tier, overrides.
  State collect();
  /// The update that publishes `types` of `records` (each RRset replaced), plus the service and
  /// relay records when `withServices`.
  std::vector<UpdateOp> updateFor(const RecordSet& records, const std::vector<std::string>& types, bool withServices) const;
  /// Presentation form of an update, nsupdate style, for --dry-run.
  std::string describe(const std::vector<UpdateOp>& ops) const;

 private:
  bool publish(const std::vector<UpdateOp>& ops, const char* why);
  void withdraw();
  std::string wire(const std::string& name) const;

  Config c_;
  RunOptions o_;
  std::map<std::string, bool> failing_;  // collectors reported as failing (logged once)
  State lastState_;
  bool published_ = false;
};

}  // namespace cdns::publisher
