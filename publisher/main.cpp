// cdns-publish: a computing center's agent that keeps its records in the compute zone true.
#include <iostream>

#include "common/config.h"
#include "common/log.h"
#include "publisher/publisher.h"

using namespace cdns;

static const char* kUsage = R"(usage: cdns-publish --config FILE [options]

Measures this center (CPU, memory, GPUs, Slurm, power, the job relay, any command) and keeps its
compute records (SITE CAP PRICE ENERGY NETQ DATA TIER) in the zone current with TSIG-signed
RFC 2136 updates: one atomic update per change, thresholds against noise, a heartbeat, an update
lease so the records vanish if this agent dies, and withdrawal on SIGTERM.

  --config FILE      JSON configuration (see below)
  --check-config     load and check the configuration, build the static records, exit
  --once             collect and publish everything now, then exit
  --dry-run          print the update (nsupdate style) instead of sending it, then exit
  --set TYPE.KEY=V   override a field, e.g. --set cap.queue=3 (repeatable)
  --calibrate        run the configured benchmark, grade it, publish TIER, exit
  --log-level LEVEL  debug, info, warn, error
  -h, --help         this text

Signals: SIGTERM/SIGINT withdraw the capacity and exit; SIGHUP republishes everything now.
Exit status: 0 ok, 1 nothing could be published, 2 bad usage or configuration.

)";

int main(int argc, char** argv) {
  std::string configFile, logLevel;
  publisher::RunOptions opts;
  bool check = false, calibrate = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "cdns-publish: " << a << " needs a value\n";
        exit(2);
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::cout << kUsage << publisher::kConfigHelp;
      return 0;
    } else if (a == "--config") configFile = value();
    else if (a == "--check-config") check = true;
    else if (a == "--once") opts.once = true;
    else if (a == "--dry-run") opts.dryRun = true;
    else if (a == "--set") opts.overrides.push_back(value());
    else if (a == "--calibrate") calibrate = true;
    else if (a == "--log-level") logLevel = value();
    else {
      std::cerr << "cdns-publish: unknown option " << a << " (see --help)\n";
      return 2;
    }
  }
  if (configFile.empty()) {
    std::cerr << "cdns-publish: --config FILE is required (see --help)\n";
    return 2;
  }
  publisher::Config cfg;
  try {
    cfg = publisher::loadConfig(configFile);
  } catch (const ConfigError& e) {
    std::cerr << "cdns-publish: " << configFile << ": " << e.what() << "\n";
    return 2;
  }
  for (const auto& o : opts.overrides) {
    publisher::State probe;
    if (auto st = publisher::applyOverride(probe, o); !st) {
      std::cerr << "cdns-publish: " << st.error().message << "\n";
      return 2;
    }
  }
  log::Level level;
  if (!log::parseLevel(logLevel.empty() ? cfg.logLevel : logLevel, level)) {
    std::cerr << "cdns-publish: bad log level\n";
    return 2;
  }
  log::setLevel(level);
  if (check) {
    auto records = publisher::buildRecords(cfg.staticState, 0);
    if (!records) {
      std::cerr << "cdns-publish: " << configFile << ": static: " << records.error().message << "\n";
      return 2;
    }
    std::cout << "configuration OK: center " << cfg.centerOwner() << ", " << cfg.collectors.size() << " collector(s), "
              << records->size() << " static record type(s)\n";
    return 0;
  }
  publisher::Publisher p(std::move(cfg), opts);
  return calibrate ? p.calibrate() : p.run();
}
