// Probing the centers' endpoints.
#include "resolver/probe.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>

namespace cdns::resolver {

std::vector<double> Prober::measure(const std::vector<sockaddr_storage>& addrs, int timeoutMs) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> out(addrs.size(), -1);
  for (size_t base = 0; base < addrs.size(); base += 256) {
    size_t n = std::min<size_t>(256, addrs.size() - base);
    std::vector<pollfd> fds;
    std::vector<size_t> which;
    auto t0 = Clock::now();
    auto since = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); };
    for (size_t i = base; i < base + n; ++i) {
      int fd = socket(addrs[i].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;
      socklen_t len = addrs[i].ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
      int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addrs[i]), len);
      if (rc == 0 || errno == ECONNREFUSED) {  // a RST is an answer too
        out[i] = since();
        close(fd);
      } else if (errno == EINPROGRESS) {
        fds.push_back({fd, POLLOUT, 0});
        which.push_back(i);
      } else {
        close(fd);
      }
    }
    size_t open = fds.size();
    while (open > 0) {
      int left = timeoutMs - static_cast<int>(since());
      if (left <= 0 || poll(fds.data(), fds.size(), left) <= 0) break;
      for (size_t k = 0; k < fds.size(); ++k) {
        if (fds[k].fd < 0 || !fds[k].revents) continue;
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(fds[k].fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err == 0 || err == ECONNREFUSED) out[which[k]] = since();
        close(fds[k].fd);
        fds[k].fd = -1;  // poll ignores it from now on
        --open;
      }
    }
    for (auto& p : fds)
      if (p.fd >= 0) close(p.fd);
  }
  return out;
}

void Prober::start() {
  thread_ = std::thread([this] { run(); });
}

void Prober::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Prober::setTargets(std::map<std::string, std::vector<sockaddr_storage>> targets) {
  std::lock_guard<std::mutex> l(mu_);
  targets_ = std::move(targets);
  for (auto it = rtt_.begin(); it != rtt_.end();) it = targets_.count(it->first) ? std::next(it) : rtt_.erase(it);
  cv_.notify_all();
}

std::map<std::string, double> Prober::results() const {
  std::lock_guard<std::mutex> l(mu_);
  return rtt_;
}

void Prober::run() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    auto targets = targets_;
    l.unlock();
    std::vector<sockaddr_storage> all;
    for (const auto& [center, addrs] : targets) all.insert(all.end(), addrs.begin(), addrs.end());
    auto rtts = measure(all, c_.timeoutMs);
    std::map<std::string, double> round;
    size_t k = 0;
    for (const auto& [center, addrs] : targets) {
      double best = -1;
      for (size_t i = 0; i < addrs.size(); ++i, ++k)
        if (rtts[k] >= 0 && (best < 0 || rtts[k] < best)) best = rtts[k];
      round[center] = best >= 0 ? best : c_.timeoutMs * kUnreachableFactor;
    }
    l.lock();
    for (const auto& [center, r] : round) {
      if (!targets_.count(center)) continue;
      auto it = rtt_.find(center);
      rtt_[center] = it == rtt_.end() ? r : 0.7 * it->second + 0.3 * r;
    }
    cv_.wait_for(l, std::chrono::milliseconds(c_.intervalMs), [this] { return stop_; });
  }
}

}  // namespace cdns::resolver
