// cdns-relay: the job API (HTTP/1.1 + JSON, TLS) in front of one scheduler backend.
#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/http_server.h"
#include "relay/backend.h"
#include "relay/job.h"

namespace cdns::relay {

struct Config {
  std::string listen = "127.0.0.1:8443";
  std::string tlsCert, tlsKey;
  std::string keyFile;                       // HMAC key for bearer tokens (base64)
  std::string stateDir = "relay-state";      // job table and working directories
  std::string backend = "local";             // local | slurm
  std::string partition;                     // slurm
  std::map<std::string, std::string> users;  // network user -> local account
  uint32_t maxCpus = 1, maxGpus = 0;
  uint64_t maxMemory = 0;                    // bytes; 0: no limit
  uint32_t maxTime = 86400;                  // seconds
  uint32_t maxJobsPerUser = 100;             // pending + running
};

/// Loads and checks the configuration; throws ConfigError naming the JSON path.
Config loadConfig(const std::string& file);
extern const char* const kConfigHelp;

class Relay {
 public:
  Relay(Config config, std::vector<uint8_t> key);
  /// Opens the job table, reconciles it with the backend, listens. Returns the bound port.
  Result<uint16_t> start(uv_loop_t* loop);
  void stop();
  http::Response handle(const http::Request& req);

 private:
  http::Response submit(const http::Request& req, const std::string& user);
  http::Response list(const http::Request& req, const std::string& user);
  http::Response get(const std::string& id, const std::string& user);
  http::Response cancel(const std::string& id, const std::string& user);
  http::Response output(const http::Request& req, const std::string& id, const std::string& user);
  http::Response stats();
  http::Response metrics();
  void poll();
  static void onTimer(uv_timer_t* t) noexcept;

  Config c_;
  std::vector<uint8_t> key_;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<http::Server> http_;
  uv_timer_t timer_{};
  bool timerOpen_ = false;
  std::map<int, uint64_t> responses_;  // by HTTP status, for metrics
  uint64_t submitted_ = 0;
  uint64_t nextId_ = 0;
};

}  // namespace cdns::relay
