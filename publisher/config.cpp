// cdns-publish configuration loading.
#include "publisher/config.h"

#include <arpa/inet.h>

#include "common/config.h"
#include "common/dns.h"
#include "common/net.h"
#include "rrtypes/registry.h"

namespace cdns::publisher {

const char* const kConfigHelp = R"(configuration (JSON; relative file names are relative to the file):
  "center":     "sz1"                          this center's label (required)
  "zone":       "gba.example."                 the compute zone (required)
  "primaries":  ["127.0.0.1:53", ...]          tried in order, with failover (required)
  "key":        {"name": "sz1.", "algorithm": "hmac-sha256", "secret": "base64"}
                or "key_file": "sz1.key"       (BIND/Knot key file)        (one required)
  "interval_seconds": 5    how often state is collected and compared
  "heartbeat_seconds": 60  republish everything (fresh ts, renewed lease) at least this often
  "lease_seconds": 180     update lease (RFC 9664); the authority drops the records if not renewed
  "ttl": 60, "timeout_ms": 1000, "attempts": 4
  "withdraw": "delete" | "zero"   on SIGTERM: delete the capacity, or publish zero free
  "collectors": [{"type": "proc", "disk_path": "/"},
                 {"type": "gpu", "command": "nvidia-smi ...", "busy_util_percent": 10, "busy_mem_percent": 10, "power": false},
                 {"type": "slurm", "partition": "debug"},
                 {"type": "power", "powercap_root": "/sys/class/powercap", "fallback_watts": 820000},
                 {"type": "relay", "url": "http://127.0.0.1:8443/v1/stats"},
                 {"type": "exec", "command": "./probe.sh", "timeout_ms": 5000}]
  "static":     {"site": {"kind": "ai", "region": "shenzhen", ...}, "price": {...}, "energy": {...},
                 "tier": {...}, "cap": {...}, "netq": [{"peer": "gz1", ...}], "data": [{"name": "...", ...}]}
  "thresholds": {"cap.load": 0.05, "cap.mem": "5%"}   changes within these are not published
  "services":   [{"name": "infer", "addresses": ["192.0.2.10"]}]
  "relay":      {"address": "192.0.2.10", "port": 8443}
  "calibrate":  {"command": "...", "metric": "bs448_images_per_s", "bench": "resnet50-fp16-train",
                 "unit": "images/s", "tier_file": "tier.json",
                 "grades": [{"class": "P1.large", "min": 5000}, {"class": "S1.medium", "min": 1000}, ...]}
  "log":        {"level": "info"}
)";

static std::string resolve(const std::string& configFile, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  auto slash = configFile.rfind('/');
  return slash == std::string::npos ? path : configFile.substr(0, slash + 1) + path;
}

static void staticRecord(const ConfigNode& node, const std::string& type, std::map<std::string, std::string>& out) {
  const rrtypes::TypeDef* t = rrtypes::findType(type);
  if (!node.isObject()) node.fail("expected an object of key: value");
  for (auto it = node.json().begin(); it != node.json().end(); ++it) {
    if (!t->key(it.key())) node.fail(it.key(), "no such " + type + " key");
    const auto& v = it.value();
    std::string text = v.is_string() ? v.get<std::string>() : v.is_number() || v.is_boolean() ? v.dump() : "";
    if (text.empty()) node.fail(it.key(), "expected a string or a number");
    out[it.key()] = text;
  }
}

Config loadConfig(const std::string& file) {
  nlohmann::json j = loadJsonFile(file);
  ConfigNode root(j, "");
  root.checkKnown({"center", "zone", "primaries", "key", "key_file", "interval_seconds", "heartbeat_seconds",
                   "lease_seconds", "ttl", "timeout_ms", "attempts", "withdraw", "collectors", "static", "thresholds",
                   "services", "relay", "calibrate", "log"});
  Config c;
  c.center = root.str("center");
  if (c.center.empty() || c.center.find('.') != std::string::npos) root.fail("center", "expected one label, e.g. \"sz1\"");
  c.zone = root.str("zone");
  if (c.zone.empty()) root.fail("zone", "must not be empty");
  if (c.zone.back() != '.') c.zone += '.';
  if (!dns::nameFromText(c.centerOwner())) root.fail("center", "does not make a valid name with the zone");
  c.primaries = root.strings("primaries");
  if (c.primaries.empty()) root.fail("primaries", "expected at least one \"address:port\"");
  for (size_t i = 0; i < c.primaries.size(); ++i)
    if (auto a = net::parseHostPort(c.primaries[i], 53); !a)
      throw ConfigError("/primaries/" + std::to_string(i), a.error().message);
  if (root.has("key") == root.has("key_file")) root.fail("key", "give exactly one of \"key\" and \"key_file\"");
  if (root.has("key")) {
    c.key = tsig::keyFromConfig(root.child("key"));
  } else {
    std::string path = resolve(file, root.str("key_file"));
    auto keys = tsig::parseKeyFile(path);
    if (!keys) root.fail("key_file", keys.error().message);
    if (keys->size() != 1) root.fail("key_file", path + ": expected exactly one key");
    c.key = (*keys)[0];
  }
  c.intervalSeconds = root.number("interval_seconds", 0.1, 86400, 5);
  c.heartbeatSeconds = static_cast<uint32_t>(root.integer("heartbeat_seconds", 1, 86400 * 7, 60));
  c.leaseSeconds = static_cast<uint32_t>(root.integer("lease_seconds", 0, 86400 * 30, 180));
  if (c.leaseSeconds && c.leaseSeconds <= c.heartbeatSeconds)
    root.fail("lease_seconds", "must be longer than heartbeat_seconds, or the records lapse between heartbeats");
  c.ttl = static_cast<uint32_t>(root.integer("ttl", 0, 86400, 60));
  c.timeoutMs = static_cast<int>(root.integer("timeout_ms", 10, 60000, 1000));
  c.attempts = static_cast<int>(root.integer("attempts", 1, 100, 4));
  c.withdraw = root.str("withdraw", "delete");
  if (c.withdraw != "delete" && c.withdraw != "zero") root.fail("withdraw", "expected \"delete\" or \"zero\"");
  if (root.has("collectors")) {
    auto cs = root.child("collectors");
    if (!cs.isArray()) cs.fail("expected an array");
    for (size_t i = 0; i < cs.size(); ++i) c.collectors.push_back(makeCollector(cs.at(i).json(), cs.at(i).path()));
  }
  if (root.has("static")) {
    auto st = root.child("static");
    st.checkKnown({"site", "cap", "price", "energy", "tier", "netq", "data"});
    for (const char* type : {"site", "cap", "price", "energy", "tier"}) {
      if (!st.has(type)) continue;
      std::map<std::string, std::string> kv;
      staticRecord(st.child(type), type, kv);
      for (auto& [k, v] : kv) c.staticState.set(std::string(type) + "." + k, v);
    }
    for (const char* type : {"netq", "data"}) {
      if (!st.has(type)) continue;
      auto list = st.child(type);
      if (!list.isArray()) list.fail("expected an array of records");
      for (size_t i = 0; i < list.size(); ++i) {
        std::map<std::string, std::string> kv;
        staticRecord(list.at(i), type, kv);
        (std::string(type) == "netq" ? c.staticState.netq : c.staticState.data).push_back(kv);
      }
    }
  }
  if (root.has("thresholds")) {
    auto th = root.child("thresholds");
    if (!th.isObject()) th.fail("expected an object");
    for (auto it = th.json().begin(); it != th.json().end(); ++it) {
      std::string text = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
      auto t = parseThreshold(text);
      if (!t) th.fail(it.key(), t.error().message);
      c.thresholds[it.key()] = *t;
    }
  }
  if (root.has("services")) {
    auto ss = root.child("services");
    for (size_t i = 0; i < ss.size(); ++i) {
      auto s = ss.at(i);
      s.checkKnown({"name", "addresses"});
      Service svc{s.str("name"), s.strings("addresses")};
      if (svc.name.empty() || svc.name.find('.') != std::string::npos) s.fail("name", "expected one label");
      for (size_t a = 0; a < svc.addresses.size(); ++a) {
        uint8_t buf[16];
        if (inet_pton(AF_INET, svc.addresses[a].c_str(), buf) != 1 && inet_pton(AF_INET6, svc.addresses[a].c_str(), buf) != 1)
          throw ConfigError(s.pathOf("addresses") + "/" + std::to_string(a), "not an IP address");
      }
      c.services.push_back(svc);
    }
  }
  if (root.has("relay")) {
    auto r = root.child("relay");
    r.checkKnown({"address", "port"});
    Relay relay{r.str("address"), static_cast<uint16_t>(r.integer("port", 1, 65535, 8443))};
    uint8_t buf[16];
    if (inet_pton(AF_INET, relay.address.c_str(), buf) != 1 && inet_pton(AF_INET6, relay.address.c_str(), buf) != 1)
      r.fail("address", "not an IP address");
    c.relay = relay;
  }
  if (root.has("calibrate")) {
    auto cal = root.child("calibrate");
    cal.checkKnown({"command", "metric", "bench", "unit", "grades", "tier_file"});
    c.calibration.command = cal.str("command");
    c.calibration.metric = cal.str("metric");
    c.calibration.bench = cal.str("bench", "resnet50-fp16-train");
    c.calibration.unit = cal.str("unit", "images/s");
    c.calibration.tierFile = resolve(file, cal.str("tier_file", ""));
    auto grades = cal.child("grades");
    for (size_t i = 0; i < grades.size(); ++i) {
      auto g = grades.at(i);
      g.checkKnown({"class", "min"});
      c.calibration.grades.push_back(Grade{g.str("class"), g.number("min", 0, 1e15, 0)});
    }
    if (c.calibration.grades.empty()) grades.fail("expected at least one grade");
  }
  if (root.has("log")) {
    auto l = root.child("log");
    l.checkKnown({"level"});
    c.logLevel = l.str("level", "info");
  }
  return c;
}

}  // namespace cdns::publisher
