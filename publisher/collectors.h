// Collectors: each reads one source of a center's live state into State fields. Every collector
// fails soft: a missing source is reported once and skipped, never fatal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "publisher/state.h"

namespace cdns::publisher {

/// Runs a command with /bin/sh, a time limit and captured stdout; exit status in `status`.
Result<std::string> runCommand(const std::string& command, int timeoutMs, int* status = nullptr);

class Collector {
 public:
  virtual ~Collector() = default;
  virtual const std::string& name() const = 0;
  /// Reads the source and sets fields. An Error means the source is unavailable this time.
  virtual Status collect(State& s) = 0;
};

/// Builds a collector from its config ({"type": "proc", ...}); errors name the JSON path.
/// Throws ConfigError (start-up only).
std::unique_ptr<Collector> makeCollector(const nlohmann::json& config, const std::string& path);

// Parsers, exposed for the tests that feed them recorded real output.

struct CpuTimes {
  uint64_t busy = 0, total = 0;
};
/// /proc/stat "cpu" line -> busy and total jiffies.
Result<CpuTimes> parseProcStat(const std::string& text);
/// /proc/meminfo -> MemTotal and MemAvailable in bytes.
Result<std::pair<uint64_t, uint64_t>> parseMeminfo(const std::string& text);
/// /proc/loadavg -> the 1-minute load average.
Result<double> parseLoadavg(const std::string& text);

struct Gpu {
  std::string model;  // "H200"
  uint64_t memTotalMiB = 0, memUsedMiB = 0;
  double util = 0;       // percent; -1 when [N/A]
  double powerW = 0;     // -1 when [N/A]
};
/// `nvidia-smi --query-gpu=name,memory.total,memory.used,utilization.gpu,power.draw --format=csv`
/// (with or without header and units, "[N/A]" in any field).
Result<std::vector<Gpu>> parseNvidiaSmiCsv(const std::string& text);
/// "NVIDIA H200" -> "H200", "NVIDIA A100-SXM4-80GB" -> "A100-SXM4-80GB", spaces -> '-'.
std::string gpuModel(const std::string& name);

struct SlurmState {
  uint64_t cpusAlloc = 0, cpusIdle = 0, cpusTotal = 0;
  uint64_t nodesIdle = 0, nodesTotal = 0;
  uint64_t pending = 0, running = 0;
};
/// `sinfo -h -o "%C %D %t"` lines ("A/I/O/T nodes state") and `squeue -h -o "%T"` lines.
Result<SlurmState> parseSlurm(const std::string& sinfo, const std::string& squeue);

/// "key=value" lines (blank lines and # comments skipped); keys are field paths.
Result<std::vector<std::pair<std::string, std::string>>> parseKeyValues(const std::string& text);

}  // namespace cdns::publisher
