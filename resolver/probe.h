// The resolver's own measurements of the path to each center: a TCP connect to each of the
// center's endpoint addresses, timed, every interval. A connection refused still measures the
// round trip (the RST came back); no answer within the timeout counts as unreachable. Results are
// smoothed (EWMA) and read by the network and qos policies when a center publishes no NETQ link
// towards the client.
#pragma once

#include <sys/socket.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cdns::resolver {

struct ProbeConfig {
  uint64_t intervalMs = 10000;
  int timeoutMs = 1000;
  uint16_t port = 443;  // when the center publishes no SRV port for the service
};

class Prober {
 public:
  /// One round trip to each address (TCP connects, all at once, in batches of 256): the round
  /// trips in ms, < 0 where nothing came back within `timeoutMs`.
  static std::vector<double> measure(const std::vector<sockaddr_storage>& addrs, int timeoutMs);

  explicit Prober(ProbeConfig config) : c_(config) {}
  ~Prober() { stop(); }
  void start();
  void stop();
  /// The addresses to probe, by center name (replaced as a whole). Any thread.
  void setTargets(std::map<std::string, std::vector<sockaddr_storage>> targets);
  /// The smoothed round trip by center name, in ms (unreachable: the timeout x 10). Any thread.
  std::map<std::string, double> results() const;
  static constexpr double kUnreachableFactor = 10;

 private:
  void run();
  ProbeConfig c_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<std::string, std::vector<sockaddr_storage>> targets_;
  std::map<std::string, double> rtt_;
  std::thread thread_;
};

}  // namespace cdns::resolver
