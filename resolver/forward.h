// Forwarding of names outside the compute zones: to configured upstream servers through c-ares
// on the resolver's libuv loop, with an answer cache (positive and negative, TTLs respected).
// An upstream that fails or does not answer gives SERVFAIL with an Extended DNS Error (RFC 8914).
#pragma once

#include <ares.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "authority/query.h"
#include "common/config.h"
#include "common/result.h"
#include "resolver/answer.h"
#include "resolver/cache.h"

namespace cdns::resolver {

/// The "forward" section of the resolver's configuration.
struct ForwardConfig {
  std::vector<sockaddr_storage> upstreams;  // tried in order
  int timeoutMs = 1500;                     // first try; c-ares doubles it each further round
  int attempts = 2;                         // rounds over the upstream list
  Cache::Limits cache;
  TtlLimits ttl;

  /// Reads {"upstreams": ["127.0.0.1:53"], "timeout_ms": 1500, "attempts": 2, "cache_size": 100000,
  /// "cache_bytes": 67108864, "max_ttl": 86400, "max_negative_ttl": 3600}; throws ConfigError
  /// naming the JSON path.
  static ForwardConfig fromConfig(const ConfigNode& node);
};

/// EDNS buffer size we offer upstream and to clients (RFC 6891 §6.2.5; DNS Flag Day 2020).
inline constexpr uint16_t kForwardUdpPayload = 1232;

/// Extended DNS Error info-codes (RFC 8914 §4) of forwarding failures.
inline constexpr uint16_t kEdeOther = 0;
inline constexpr uint16_t kEdeNoReachableAuthority = 22;
inline constexpr uint16_t kEdeNetworkError = 23;

/// The reply to client query `q` from a response as the cache keeps it (`stored`, no OPT): the
/// client's ID and question spelling, RD and CD as asked, RA set, AA cleared, AD only for a client
/// that asked for DNSSEC data or AD (RFC 6840 §5.8), and an OPT record when the client sent one.
/// Over UDP a reply larger than the client's limit becomes an empty one with TC set (RFC 1035
/// §4.2.1, RFC 6891 §7). Returns 0 when `stored` does not answer q's question.
size_t writeForwardReply(const authority::ParsedQuery& q, const std::vector<uint8_t>& stored,
                         bool udp, uint8_t* out, size_t cap);
/// SERVFAIL for `q` (its question as sent, RA set), with an EDE of `code` and `text` when the
/// client sent EDNS.
size_t writeForwardFailure(const authority::ParsedQuery& q, uint16_t code, const std::string& text,
                           uint8_t* out, size_t cap);

/// Owned and called on one libuv loop thread only.
class Forwarder {
 public:
  /// Gets the reply to send; called once per handled query, now (from the cache) or later.
  using Reply = std::function<void(const uint8_t* msg, size_t len)>;
  struct Stats {
    uint64_t queries = 0, cacheHits = 0, upstreamQueries = 0, upstreamFailures = 0, coalesced = 0;
  };

  /// Sets up the c-ares channel on `loop`; errors name the problem.
  static Result<std::unique_ptr<Forwarder>> create(uv_loop_t* loop, const ForwardConfig& config);
  /// Fails what is still in flight without replies, and closes the loop handles it owns (their
  /// memory is freed once the loop runs their close callbacks).
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  /// Takes a well-formed QUERY for class IN outside every compute zone in `zones` (transfers and
  /// meta types excepted) and answers it through `reply`; false when the query is not one to
  /// forward, and the caller answers it (FORMERR, NOTIMP, REFUSED, the compute zones).
  bool handle(const uint8_t* msg, size_t len, bool udp, const std::vector<ComputeZone>& zones,
              Reply reply);

  const Stats& stats() const { return stats_; }
  const Cache& cache() const { return cache_; }

 private:
  struct Waiter {
    authority::ParsedQuery q;
    bool udp;
    Reply reply;
  };
  struct Pending {
    Forwarder* self;
    std::string key;
    std::vector<uint8_t> query;  // what goes upstream
    bool edns = true;
    std::vector<Waiter> waiters;
  };
  struct Poll;

  Forwarder(uv_loop_t* loop, const ForwardConfig& config);
  void send(Pending* p);
  void onAnswer(Pending* p, int status, const uint8_t* abuf, size_t alen);
  void fail(Pending* p, uint16_t code, const std::string& text);
  void sockState(ares_socket_t fd, bool readable, bool writable);
  void armTimer();
  void upstreamHealth(bool ok, const std::string& why);
  static std::vector<uint8_t> upstreamQuery(const authority::ParsedQuery& q, bool edns);

  uv_loop_t* loop_;
  ForwardConfig config_;
  ares_channel channel_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  std::unordered_map<ares_socket_t, Poll*> polls_;
  std::unordered_map<std::string, Pending*> inflight_;
  Cache cache_;
  Stats stats_;
  bool upstreamOk_ = true;
  std::string upstreamList_;  // "127.0.0.1:53,..." for messages
  std::vector<uint8_t> out_ = std::vector<uint8_t>(65535);
};

}  // namespace cdns::resolver
