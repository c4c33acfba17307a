// Query counters kept per worker (one writer each, no locked instructions) and rendered in the
// Prometheus text format on request.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace cdns::authority {

class ZoneSet;

/// A counter written by one thread and read by any: relaxed load+store, no lock prefix.
struct Counter {
  std::atomic<uint64_t> v{0};
  void inc(uint64_t n = 1) { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return v.load(std::memory_order_relaxed); }
};

/// Query types counted by name; the rest go to "other".
inline constexpr uint16_t kCountedTypes[] = {1,  2,  5,  6,  12, 15, 16, 28, 33, 43, 64, 65, 251, 252, 255,
                                             65280, 65281, 65282, 65283, 65284, 65285, 65286};
inline constexpr size_t kTypeSlots = std::size(kCountedTypes) + 1;
inline constexpr size_t kRcodeSlots = 24;

struct WorkerStats {
  Counter queries[3];  // by transport: udp, tcp, tls
  Counter byType[kTypeSlots];
  Counter byRcode[kRcodeSlots];
  Counter truncated;
  Counter dropped;        // requests not answered (responses, runts)
  Counter tcpAccepted;
  Counter tcpRefused;     // over the connection cap
  Counter tcpTimedOut;    // closed idle
  Counter transfers;
  Counter transfersRefused;
  Counter updateUnsigned;    // updates refused before the updater: unsigned,
  Counter updateBadTsig;     // failing TSIG verification,
  Counter updateNotDynamic;  // or for a zone that takes no updates
  std::atomic<int64_t> tcpOpen{0};

  static size_t typeSlot(uint16_t type) {
    for (size_t i = 0; i < std::size(kCountedTypes); ++i)
      if (kCountedTypes[i] == type) return i;
    return kTypeSlots - 1;
  }
};

/// Control-side counters (NOTIFY, reloads).
struct ControlStats {
  Counter notifySent, notifyAcked, notifyFailed;
  Counter reloads, reloadFailures;
};

/// Renders every counter, summed over workers, plus zone serials and sizes.
struct UpdaterStats;
std::string renderMetrics(const std::vector<const WorkerStats*>& workers, const ControlStats& control,
                          const ZoneSet& zones, const UpdaterStats* updates);

}  // namespace cdns::authority
