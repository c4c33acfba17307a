// The command line every long-running cdns daemon shares: --config FILE, --listen ADDR:PORT,
// --ready-file FILE, --check-config, -h/--help.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace cdns {

struct DaemonArgs {
  std::string configFile, listen, readyFile;
  bool check = false;  // --check-config: load the configuration, report, exit
  bool help = false;   // -h/--help: print the usage, exit 0
};

/// Parses the arguments after the program name. Errors say what is wrong in the words the
/// daemon prints after its name: "--listen needs a value", "unknown option --x (see --help)",
/// "--config FILE is required (see --help)".
Result<DaemonArgs> parseDaemonArgs(const std::vector<std::string>& args);

}  // namespace cdns
