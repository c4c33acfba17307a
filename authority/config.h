// cdns-authority configuration: JSON file and/or command-line flags, validated before start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/socket.h>

#include "authority/update.h"
#include "common/result.h"

namespace cdns::authority {

/// An address prefix for ACLs ("127.0.0.0/8", "::1/128", "192.0.2.1").
struct Prefix {
  int family = 0;
  uint8_t addr[16] = {};
  int bits = 0;
  bool contains(const sockaddr* sa) const;
};
Result<Prefix> parsePrefix(const std::string& text);

struct KeyConfig {
  std::string name;       // "pub.sz1." (absolute)
  std::string algorithm;  // "hmac-sha256"
  std::string secret;     // base64
};

struct ZoneConfig {
  std::string name;                      // "gba.example."
  std::string file;
  std::vector<std::string> notify;       // "127.0.0.1:5301": NOTIFY targets (RFC 1996)
  std::string notifyKey;                 // TSIG key that signs NOTIFY out (empty: unsigned)
  std::vector<Prefix> transferAcl;       // who may AXFR/IXFR; empty = nobody
  std::vector<std::string> transferKeys; // TSIG keys that may transfer (any address)
  // Dynamic updates (RFC 2136): enabled when there are rules.
  std::vector<UpdateRule> updateRules;
  std::string journal;                   // default: <file>.journal
  uint32_t writebackSeconds = 300;       // write the zone back to its file this often (0: never)
  LeaseLimits lease;
  bool fromFlags = false;                // given by --zone, kept across reloads of the file
  bool dynamic() const { return !updateRules.empty(); }
  std::string journalPath() const { return journal.empty() ? file + ".journal" : journal; }
};

struct Config {
  std::vector<std::string> listen;       // "127.0.0.1:53": UDP and TCP
  std::vector<std::string> tlsListen;    // DNS over TLS (RFC 7858)
  std::string tlsCert, tlsKey;
  std::string metricsListen;             // Prometheus text format over HTTP
  int threads = 0;                       // 0 = one per core
  uint16_t udpMaxPayload = 1232;
  uint32_t tcpIdleTimeoutMs = 10000;
  uint32_t tcpMaxConnections = 1024;
  std::string logLevel = "info";
  std::string logFormat = "text";
  std::vector<KeyConfig> keys;
  std::vector<ZoneConfig> zones;
};

/// Loads a JSON config file; throws ConfigError naming the JSON path of the problem.
Config loadConfig(const std::string& file);
/// Checks cross-references (keys named by zones exist, files readable, TLS complete). Throws ConfigError.
void validateConfig(const Config& c);
/// The JSON schema in words, for --help and docs.
extern const char* const kConfigHelp;

}  // namespace cdns::authority
