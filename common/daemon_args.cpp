#include "common/daemon_args.h"

namespace cdns {

Result<DaemonArgs> parseDaemonArgs(const std::vector<std::string>& args) {
  DaemonArgs d;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      d.help = true;
      return d;
    }
    if (a == "--check-config") {
      d.check = true;
      continue;
    }
    std::string* into = a == "--config" ? &d.configFile : a == "--listen" ? &d.listen : a == "--ready-file" ? &d.readyFile : nullptr;
    if (!into) return makeError("unknown option " + a + " (see --help)");
    if (i + 1 >= args.size()) return makeError(a + " needs a value");
    *into = args[++i];
  }
  if (d.configFile.empty()) return makeError("--config FILE is required (see --help)");
  return d;
}

}  // namespace cdns
