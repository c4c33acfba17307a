// A worker: one thread, one libuv loop, its own SO_REUSEPORT UDP and TCP sockets. The query
// path reads the current zone snapshot without locks (see ZoneStore).
#pragma once

#include <uv.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <openssl/ssl.h>

#include "authority/metrics.h"
#include "authority/query.h"
#include "authority/zone.h"

#include "common/tsig.h"
#include "common/udp_batch.h"

namespace cdns::authority {

struct ZoneConfig;
class Updater;

/// The published zones. Writers (reload, updates) publish a new ZoneSet; each worker re-reads
/// the pointer only when the generation changed, so the common path is one relaxed-acquire load.
class ZoneStore {
 public:
  void publish(std::shared_ptr<const ZoneSet> set) {
    std::lock_guard<std::mutex> g(mu_);
    current_ = std::move(set);
    generation_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const ZoneSet> get() const {
    std::lock_guard<std::mutex> g(mu_);
    return current_;
  }
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  /// Read-modify-write of the published set (reload and updater both publish).
  template <typename F>
  void modify(F&& f) {
    std::lock_guard<std::mutex> g(mu_);
    auto next = std::make_shared<ZoneSet>(*current_);
    f(*next);
    current_ = std::move(next);
    generation_.fetch_add(1, std::memory_order_release);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const ZoneSet> current_ = std::make_shared<ZoneSet>();
  std::atomic<uint64_t> generation_{1};
};

/// Transfer permissions and TSIG keys, swapped with the config on reload.
struct TransferPolicy {
  std::vector<ZoneConfig> zones;
  tsig::Keyring keys;
  const ZoneConfig* find(std::string_view lowerOrigin) const;
};

/// What every worker shares, read-only after start (policy swapped under its own lock).
struct Shared {
  ZoneStore store;
  QueryLimits limits;
  uint32_t tcpIdleTimeoutMs = 10000;
  uint32_t tcpMaxConnections = 1024;
  std::atomic<int64_t> tcpOpen{0};   // across all workers, for the cap
  SSL_CTX* tls = nullptr;            // DNS over TLS context, when configured
  Updater* updater = nullptr;        // the publish path, when any zone takes updates
  std::mutex policyMu;
  std::shared_ptr<const TransferPolicy> policy = std::make_shared<TransferPolicy>();
  std::shared_ptr<const TransferPolicy> getPolicy() {
    std::lock_guard<std::mutex> g(policyMu);
    return policy;
  }
};

/// Sockets a worker serves: fds already bound (and listening for TCP).
struct WorkerSockets {
  std::vector<int> udp;
  std::vector<int> tcp;
  std::vector<int> tls;
};

class Worker {
 public:
  Worker(int index, Shared& shared, WorkerSockets sockets);
  ~Worker();
  /// Starts the thread. Sockets are owned by the worker from here on.
  void start();
  /// Asks the loop to close everything and return; safe from any thread.
  void stop();
  /// Sends a message on TCP connection `connId` if it is still open; safe from any thread.
  void postReply(uint64_t connId, std::vector<uint8_t> msg);
  void join();
  const WorkerStats& stats() const { return stats_; }

  // Used by the connection code (loop thread only).
  Shared& shared() { return shared_; }
  WorkerStats& mutableStats() { return stats_; }
  const ZoneSet& zones();
  std::shared_ptr<const ZoneSet> zonesShared();
  uv_loop_t* loop() { return &loop_; }
  uint8_t* scratch() { return scratch_.data(); }

 private:
  void run();
  static void onUdpReadable(uv_poll_t* h, int status, int events) noexcept;
  static void onTcpConnection(uv_stream_t* server, int status) noexcept;
  static void onStop(uv_async_t* h) noexcept;
  static void onReplies(uv_async_t* h) noexcept;
  void serveUdp(int fd);
  void closeAll();

  int index_;
  Shared& shared_;
  WorkerSockets sockets_;
  uv_loop_t loop_;
  uv_async_t stopAsync_;
  uv_async_t replyAsync_;
  std::mutex replyMu_;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> replies_;
  std::vector<std::unique_ptr<uv_poll_t>> udpPolls_;
  std::vector<std::unique_ptr<uv_tcp_t>> tcpListeners_;
  std::thread thread_;
  WorkerStats stats_;
  uint64_t generation_ = 0;
  std::shared_ptr<const ZoneSet> zones_;
  std::vector<uint8_t> scratch_;  // one 64 KiB response buffer for streams
  std::unique_ptr<net::UdpBatch> udp_;
  friend struct TcpConn;
};

}  // namespace cdns::authority
