// cdns-authority: the authoritative server for the compute zones.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "authority/server.h"
#include "common/config.h"
#include "common/log.h"

using namespace cdns;

static const char* kUsage = R"(usage: cdns-authority [--config FILE] [options]

Authoritative DNS server for the compute zones (UDP, TCP, DNS over TLS; AXFR/IXFR; NOTIFY).

  --config FILE          JSON configuration (see below); flags add to it
  --check-config         load and check the configuration and every zone, then exit
  --listen ADDR:PORT     UDP+TCP listener (repeatable; port 0 picks a free port)
  --zone NAME=FILE       serve a zone from a master file (repeatable)
  --allow-transfer CIDR  who may AXFR/IXFR the --zone zones (repeatable)
  --notify ADDR:PORT     send NOTIFY for the --zone zones to ADDR (repeatable)
  --tls-listen ADDR:PORT DNS over TLS listener; needs --tls-cert and --tls-key
  --tls-cert FILE, --tls-key FILE
  --metrics ADDR:PORT    Prometheus metrics at http://ADDR:PORT/metrics
  --threads N            worker loops (default: one per core)
  --ready-file FILE      write "udp|tcp|tls|metrics HOST PORT" lines here once serving
  --log-level LEVEL      debug, info, warn, error
  --log-json             log JSON lines
  -h, --help             this text

Signals: SIGHUP reloads configuration and zones (a bad one is logged and the old kept);
SIGTERM or SIGINT stop cleanly.

)";

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a peer closing mid-write is an error return, not a death
  std::string configFile, readyFile;
  bool check = false;
  authority::Config cfg;
  std::vector<authority::ZoneConfig> flagZones;
  std::vector<std::string> acl, notify;
  std::vector<std::string> listen, tlsListen;
  std::string tlsCert, tlsKey, metrics, logLevel;
  int threads = -1;
  bool logJson = false;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw ConfigError("", a + " needs a value");
        return argv[++i];
      };
      if (a == "-h" || a == "--help") {
        std::cout << kUsage << authority::kConfigHelp;
        return 0;
      } else if (a == "--config") configFile = value();
      else if (a == "--check-config") check = true;
      else if (a == "--listen") listen.push_back(value());
      else if (a == "--zone") {
        std::string v = value();
        auto eq = v.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
          throw ConfigError("", "--zone wants NAME=FILE, got \"" + v + "\"");
        authority::ZoneConfig z;
        z.name = v.substr(0, eq);
        if (z.name.back() != '.') z.name += '.';
        z.file = v.substr(eq + 1);
        z.fromFlags = true;
        flagZones.push_back(z);
      } else if (a == "--allow-transfer") acl.push_back(value());
      else if (a == "--notify") notify.push_back(value());
      else if (a == "--tls-listen") tlsListen.push_back(value());
      else if (a == "--tls-cert") tlsCert = value();
      else if (a == "--tls-key") tlsKey = value();
      else if (a == "--metrics") metrics = value();
      else if (a == "--threads") {
        std::string v = value();
        char* end = nullptr;
        long n = std::strtol(v.c_str(), &end, 10);
        if (*end || n < 1 || n > 256) throw ConfigError("", "--threads wants 1..256, got \"" + v + "\"");
        threads = static_cast<int>(n);
      } else if (a == "--ready-file") readyFile = value();
      else if (a == "--log-level") logLevel = value();
      else if (a == "--log-json") logJson = true;
      else throw ConfigError("", "unknown option " + a + " (see --help)");
    }
    if (!configFile.empty()) cfg = authority::loadConfig(configFile);
    for (auto& z : flagZones) {
      for (const auto& p : acl) {
        auto prefix = authority::parsePrefix(p);
        if (!prefix) throw ConfigError("", "--allow-transfer: " + prefix.error().message);
        z.transferAcl.push_back(*prefix);
      }
      z.notify = notify;
      cfg.zones.push_back(z);
    }
    cfg.listen.insert(cfg.listen.end(), listen.begin(), listen.end());
    cfg.tlsListen.insert(cfg.tlsListen.end(), tlsListen.begin(), tlsListen.end());
    if (!tlsCert.empty()) cfg.tlsCert = tlsCert;
    if (!tlsKey.empty()) cfg.tlsKey = tlsKey;
    if (!metrics.empty()) cfg.metricsListen = metrics;
    if (threads > 0) cfg.threads = threads;
    if (!logLevel.empty()) cfg.logLevel = logLevel;
    if (logJson) cfg.logFormat = "json";
    authority::validateConfig(cfg);
  } catch (const ConfigError& e) {
    std::string what = e.what();
    if (what.rfind("/: ", 0) == 0) what = what.substr(3);  // a flag, not a JSON path
    std::cerr << "cdns-authority: " << what << "\n";
    return 2;
  }
  log::Level level;
  if (!log::parseLevel(cfg.logLevel, level)) {
    std::cerr << "cdns-authority: --log-level: expected debug, info, warn or error\n";
    return 2;
  }
  log::setLevel(level);
  log::setFormat(cfg.logFormat == "json" ? log::Format::kJson : log::Format::kText);

  if (check) {
    auto zones = authority::loadZones(cfg);
    if (!zones) {
      std::cerr << "cdns-authority: " << zones.error().message << "\n";
      return 1;
    }
    if (auto policy = authority::makePolicy(cfg); !policy) {
      std::cerr << "cdns-authority: " << policy.error().message << "\n";
      return 1;
    }
    std::cout << "configuration OK: " << (*zones)->all().size() << " zone(s)\n";
    return 0;
  }
  authority::Server server(cfg, configFile, readyFile);
  if (auto st = server.start(); !st) {
    std::cerr << "cdns-authority: " << st.error().message << "\n";
    return 1;
  }
  return server.run();
}
