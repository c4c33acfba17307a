// The relay's configuration file: loading and checking.
#include <arpa/inet.h>

#include <filesystem>

#include "common/config.h"
#include "common/net.h"
#include "relay/relay.h"

namespace cdns::relay {

bool parseBytes(const nlohmann::json& v, uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return true;
  }
  return v.is_string() && parseByteSize(v.get<std::string>(), out);
}

bool isLoopback(const std::string& hostPort) {
  auto a = net::parseHostPort(hostPort, 0);
  if (!a) return false;
  if (a->ss_family == AF_INET) return (ntohl(reinterpret_cast<sockaddr_in*>(&*a)->sin_addr.s_addr) >> 24) == 127;
  return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<sockaddr_in6*>(&*a)->sin6_addr);
}

const char* const kConfigHelp = R"(configuration (JSON; relative file names are relative to the file):
  "listen":    "127.0.0.1:8443"          plain HTTP only on loopback; elsewhere "tls" is required
  "tls":       {"cert": "cert.pem", "key": "key.pem"}
  "key_file":  "relay.key"               base64 HMAC key for bearer tokens (required)
  "state_dir": "relay-state"             job table and one working directory per job
  "backend":   "local" | "slurm"         the scheduler (default local)
  "slurm":     {"partition": "debug"}
  "users":     {"alice": "alice", ...}   network user -> local account (Unix or Slurm user); others are refused
  "limits":    {"cpus": 4, "gpus": 0, "memory": "8G", "time_limit": 86400, "jobs_per_user": 100}
  "stats_listen":  "127.0.0.1:9443"      plain HTTP on loopback: /v1/health, /v1/stats, /metrics only
  "job_retention": 2592000               seconds an ended job stays in the table (0: for good)
SIGHUP reloads users, limits, job_retention and the key; the rest needs a restart.
)";

Config loadConfig(const std::string& file) {
  nlohmann::json j = loadJsonFile(file);
  ConfigNode root(j, "");
  root.checkKnown({"listen", "tls", "stats_listen", "key_file", "state_dir", "backend", "slurm", "users", "limits",
                   "job_retention"});
  auto resolve = [&](const std::string& p) {
    if (p.empty() || p[0] == '/') return p;
    auto slash = file.rfind('/');
    return slash == std::string::npos ? p : file.substr(0, slash + 1) + p;
  };
  Config c;
  c.listen = root.str("listen", "127.0.0.1:8443");
  if (auto a = net::parseHostPort(c.listen); !a) root.fail("listen", a.error().message);
  if (root.has("tls")) {
    auto t = root.child("tls");
    t.checkKnown({"cert", "key"});
    c.tlsCert = resolve(t.str("cert"));
    c.tlsKey = resolve(t.str("key"));
  }
  if (c.tlsCert.empty() && !isLoopback(c.listen))
    root.fail("listen", "plain HTTP is allowed only on loopback; configure \"tls\" to listen on " + c.listen);
  if (root.has("stats_listen")) {
    c.statsListen = root.str("stats_listen");
    if (auto a = net::parseHostPort(c.statsListen); !a) root.fail("stats_listen", a.error().message);
    if (!isLoopback(c.statsListen)) root.fail("stats_listen", "must be a loopback address (it is plain HTTP)");
  }
  c.keyFile = resolve(root.str("key_file"));
  // Absolute: Slurm is given the working directories, and relative ones would be taken from
  // slurmd's directory, not the relay's.
  std::error_code ec;
  c.stateDir = std::filesystem::absolute(resolve(root.str("state_dir", "relay-state")), ec).lexically_normal().string();
  if (ec) root.fail("state_dir", ec.message());
  while (c.stateDir.size() > 1 && c.stateDir.back() == '/') c.stateDir.pop_back();
  c.retention = static_cast<uint64_t>(root.integer("job_retention", 0, 100LL * 365 * 86400, 30 * 86400));
  c.backend = root.str("backend", "local");
  if (c.backend != "local" && c.backend != "slurm") root.fail("backend", "expected \"local\" or \"slurm\"");
  if (root.has("slurm")) {
    auto s = root.child("slurm");
    s.checkKnown({"partition"});
    c.partition = s.str("partition", "");
  }
  auto users = root.child("users");
  if (!users.isObject() || users.size() == 0) users.fail("expected an object of network user -> local account");
  for (auto it = users.json().begin(); it != users.json().end(); ++it) {
    if (!it.value().is_string()) users.fail(it.key(), "expected a local account name");
    c.users[it.key()] = it.value().get<std::string>();
  }
  if (root.has("limits")) {
    auto l = root.child("limits");
    l.checkKnown({"cpus", "gpus", "memory", "time_limit", "jobs_per_user"});
    c.maxCpus = static_cast<uint32_t>(l.integer("cpus", 1, 1 << 20, 1));
    c.maxGpus = static_cast<uint32_t>(l.integer("gpus", 0, 1 << 16, 0));
    if (l.has("memory") && !parseBytes(l.json()["memory"], c.maxMemory)) l.fail("memory", "expected bytes or \"16G\"");
    c.maxTime = static_cast<uint32_t>(l.integer("time_limit", 1, 86400 * 365, 86400));
    c.maxJobsPerUser = static_cast<uint32_t>(l.integer("jobs_per_user", 1, 1000000, 100));
  }
  return c;
}

}  // namespace cdns::relay
