// What this resolver has handed out per center of one zone since each center last published
// (reservations): a burst of queries between two updates spreads instead of piling onto the
// center that looked best at the last update.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "resolver/index.h"
#include "resolver/policy.h"

namespace cdns::resolver {

/// A center's holds end when its data changes (its newest ts moves) or after the hold time.
/// Every change is numbered, and the last few are logged by center, so that a plan (plan.h)
/// brings itself up to date by looking at the centers that changed, not at all of them.
class Reservations {
 public:
  /// Follows a new index version: holds stay for centers whose data did not change.
  void follow(const Index& index);
  std::span<const Held> table() const { return held_; }
  /// Counts what `q` asked for (at least `minCpus` CPUs) against the center.
  void hold(const Center& c, const Requirements& q, uint64_t now, uint64_t minCpus);
  /// Ends the holds older than `holdSeconds`.
  void expire(uint64_t now, uint64_t holdSeconds);

  /// How many changes there have been.
  uint64_t seq() const { return seq_; }
  /// Calls `f(id)` for the center of each change after the first `since` (a center may come more
  /// than once); false, calling nothing, when the log no longer reaches back that far.
  template <class F>
  bool changesSince(uint64_t since, F f) const {
    if (since > seq_ || seq_ - since > kLog) return false;
    for (uint64_t s = since; s < seq_; ++s) f(log_[s % kLog]);
    return true;
  }

 private:
  static constexpr size_t kLog = 512;
  void changed(uint32_t id) { log_[seq_++ % kLog] = id; }

  std::vector<Held> held_;
  std::vector<uint64_t> ts_, since_;  // the center's ts when held; when the first hold was taken
  std::vector<std::string> names_;
  std::array<uint32_t, kLog> log_{};
  uint64_t seq_ = 0;
};

}  // namespace cdns::resolver
