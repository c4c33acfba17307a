// cdns-relay: the job API (HTTP/1.1 + JSON, TLS) in front of one scheduler backend.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/http_server.h"
#include "relay/backend.h"
#include "relay/job.h"

namespace cdns::relay {

struct Config {
  std::string listen = "127.0.0.1:8443";
  std::string tlsCert, tlsKey;
  std::string statsListen;                   // optional plain-HTTP loopback listener: health, stats, metrics
  std::string keyFile;                       // HMAC key for bearer tokens (base64)
  std::string stateDir = "relay-state";      // job table and working directories (absolute once loaded)
  std::string backend = "local";             // local | slurm
  std::string partition;                     // slurm
  std::map<std::string, std::string> users;  // network user -> local account
  uint32_t maxCpus = 1, maxGpus = 0;
  uint64_t maxMemory = 0;                    // bytes; 0: no limit
  uint32_t maxTime = 86400;                  // seconds
  uint32_t maxJobsPerUser = 100;             // pending + running
  uint64_t retention = 30 * 86400;           // seconds a final job stays in the table; 0: for good
};

/// Loads and checks the configuration; throws ConfigError naming the JSON path.
Config loadConfig(const std::string& file);
extern const char* const kConfigHelp;
/// "16G", "512M", 1073741824 -> bytes (binary multiples).
bool parseBytes(const nlohmann::json& v, uint64_t& out);
/// Whether "ADDR:PORT" is a loopback address (127.0.0.0/8, ::1).
bool isLoopback(const std::string& hostPort);

/// Everything runs on one libuv loop; scheduler commands of a blocking backend run on libuv's
/// worker threads and their results come back to the loop.
class Relay {
 public:
  Relay(Config config, std::vector<uint8_t> key);
  /// Opens the job table, reconciles it with the backend, listens. Returns the bound port.
  Result<uint16_t> start(uv_loop_t* loop);
  /// The bound port of `stats_listen`; 0 without one.
  uint16_t statsPort() const { return statsPort_; }
  void stop();
  /// On SIGHUP: takes users, limits, job_retention and the token key from a configuration that
  /// loaded; what only a restart can change is logged and left as it is.
  void reload(const Config& config, std::vector<uint8_t> key);
  void handle(const http::Request& req, http::Responder respond);

 private:
  void submit(const http::Request& req, const std::string& user, http::Responder respond);
  http::Response list(const http::Request& req, const std::string& user);
  http::Response get(const std::string& id, const std::string& user);
  void cancel(const std::string& id, const std::string& user, http::Responder respond);
  http::Response output(const http::Request& req, const std::string& id, const std::string& user);
  http::Response health();
  http::Response stats();
  http::Response metrics();
  http::Response handleStats(const http::Request& req);
  void poll();
  void prune();
  /// Takes what the backend found out about a copy of a job into the table.
  void merge(const Job& fresh);
  void schedulerProblem(const std::string& problem);
  /// Runs `work` on a worker thread when the backend blocks (else here), then `done` on the loop.
  void offLoop(std::function<void()> work, std::function<void()> done);
  static void onTimer(uv_timer_t* t) noexcept;

  Config c_;
  std::vector<uint8_t> key_;
  uv_loop_t* loop_ = nullptr;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<http::Server> http_, statsHttp_;
  uint16_t statsPort_ = 0;
  uv_timer_t timer_{};
  bool timerOpen_ = false;
  uint64_t ticks_ = 0;
  bool polling_ = false;               // a poll is on a worker thread
  std::set<std::string> submitting_;   // recorded, handed to the backend, no answer yet
  std::string schedulerError_;         // why the last poll could not ask the scheduler
  std::map<int, uint64_t> responses_;  // by HTTP status, for metrics
  uint64_t submitted_ = 0;
  uint64_t nextId_ = 0;
};

}  // namespace cdns::relay
