// cdns-resolver's configuration file: loaded and checked as a whole (errors name the JSON path),
// so that a reload can refuse a bad file and keep the old configuration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resolver/answer.h"
#include "resolver/forward.h"
#include "resolver/probe.h"
#include "resolver/replica.h"

namespace cdns::resolver {

// Everything the configuration file says, checked.
struct Loaded {
  std::vector<ReplicaConfig> replicas;
  std::vector<std::string> listens;
  std::optional<ForwardConfig> forward;
  AnswerConfig answer;
  std::optional<ProbeConfig> probes;
  std::string metricsListen;
  std::vector<std::string> plugins;
  uint64_t tcpIdleMs = 10000;
  size_t tcpMax = 512;
  std::string fingerprint;  // of the parts only a restart applies: zones, listen, forward, probes, metrics
};

/// Loads and checks the configuration; throws ConfigError naming the JSON path.
Loaded loadConfig(const std::string& file, const std::string& listenOverride);
/// Logs each chain's run order.
void logChains(const AnswerConfig& c);

}  // namespace cdns::resolver
