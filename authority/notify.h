// NOTIFY out (RFC 1996): tells secondaries and subscribers that a zone changed, retrying until
// each target acknowledges. Runs on the control loop.
#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "authority/metrics.h"
#include "authority/zone.h"
#include "common/tsig.h"

namespace cdns::authority {

class Notifier {
 public:
  Notifier(uv_loop_t* loop, ControlStats& stats);
  ~Notifier();
  /// Binds the sending socket (an ephemeral port on each address family used).
  Status start();
  /// Sends NOTIFY for `zone` to each "host:port" target; a newer notify for the same zone and
  /// target replaces one still being retried (changes coalesce under load).
  /// With `key`, each NOTIFY is TSIG-signed (RFC 8945) so secondaries can require it.
  void notify(const Zone& zone, const std::vector<std::string>& targets, const tsig::Key* key = nullptr);
  /// Closes the socket and timers. Loop thread only.
  void close();

 private:
  struct Pending;
  static void onTimer(uv_timer_t* t) noexcept;
  static void onRecv(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned flags) noexcept;
  void send(Pending& p);
  void finish(const std::string& key);

  uv_loop_t* loop_;
  ControlStats& stats_;
  uv_udp_t udp4_{}, udp6_{};
  bool open4_ = false, open6_ = false;
  std::map<std::string, std::unique_ptr<Pending>> pending_;  // by zone + target
  uint16_t nextId_;
  char recvBuf_[4096];
};

}  // namespace cdns::authority
