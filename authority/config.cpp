// cdns-authority configuration loading and validation.
#include "authority/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "common/config.h"
#include "common/dns.h"
#include "common/net.h"

namespace cdns::authority {

const char* const kConfigHelp = R"(configuration (JSON; every key optional unless marked):
  (relative file names are relative to the configuration file's directory)
  "listen":        ["127.0.0.1:53", "[::1]:53"]   UDP and TCP listeners (port 0: any free port)
  "tls":           {"listen": ["127.0.0.1:853"], "cert": "cert.pem", "key": "key.pem"}
  "metrics":       "127.0.0.1:9153"                Prometheus metrics over HTTP
  "threads":       0                               worker loops; 0 = one per core
  "limits":        {"udp_max_payload": 1232, "tcp_idle_timeout_ms": 10000, "tcp_max_connections": 1024}
  "log":           {"level": "info", "format": "text" | "json"}
  "keys":          [{"name": "xfr.", "algorithm": "hmac-sha256", "secret": "base64"}]
  "zones":         [{"name": "gba.example.", "file": "gba.example.zone",      (name, file required)
                     "notify": ["127.0.0.1:5301"], "notify_key": "xfr.",
                     "transfer": {"acl": ["127.0.0.0/8"], "keys": ["xfr."]},
                     "update": {"rules": [{"key": "sz1.", "name": "sz1.centers.gba.example.",
                                           "match": "subdomain" | "exact" | "wildcard",
                                           "types": ["SITE", "CAP", "A", "ANY", ...],
                                           "target_under": "sz1.centers.gba.example."}],
                                "journal": "gba.example.zone.journal", "writeback_seconds": 300,
                                "lease": {"min": 1, "max": 604800}}}]
)";

bool Prefix::contains(const sockaddr* sa) const {
  const uint8_t* a = nullptr;
  if (sa->sa_family == AF_INET && family == AF_INET) {
    a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
  } else if (sa->sa_family == AF_INET6 && family == AF_INET6) {
    a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  } else {
    return false;
  }
  int full = bits / 8, rest = bits % 8;
  if (std::memcmp(a, addr, static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[full] & mask) == (addr[full] & mask);
}

Result<Prefix> parsePrefix(const std::string& text) {
  Prefix p;
  std::string host = text;
  int bits = -1;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    host = text.substr(0, slash);
    try {
      size_t used = 0;
      bits = std::stoi(text.substr(slash + 1), &used);
      if (used != text.size() - slash - 1) bits = -2;
    } catch (...) {
      bits = -2;
    }
    if (bits < 0) return makeError("bad prefix length in \"" + text + "\"");
  }
  if (inet_pton(AF_INET, host.c_str(), p.addr) == 1) {
    p.family = AF_INET;
    p.bits = bits < 0 ? 32 : bits;
    if (p.bits > 32) return makeError("prefix length over 32 in \"" + text + "\"");
  } else if (inet_pton(AF_INET6, host.c_str(), p.addr) == 1) {
    p.family = AF_INET6;
    p.bits = bits < 0 ? 128 : bits;
    if (p.bits > 128) return makeError("prefix length over 128 in \"" + text + "\"");
  } else {
    return makeError("\"" + text + "\" is not an address or prefix");
  }
  return p;
}

// Relative paths in a config file are relative to the file's directory.
static std::string resolve(const std::string& configFile, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  auto slash = configFile.rfind('/');
  return slash == std::string::npos ? path : configFile.substr(0, slash + 1) + path;
}

Config loadConfig(const std::string& file) {
  nlohmann::json j = loadJsonFile(file);
  ConfigNode root(j, "");
  root.checkKnown({"listen", "tls", "metrics", "threads", "limits", "log", "keys", "zones"});
  Config c;
  c.listen = root.strings("listen");
  for (size_t i = 0; i < c.listen.size(); ++i)
    if (auto a = net::parseHostPort(c.listen[i], 53); !a) throw ConfigError("/listen/" + std::to_string(i), a.error().message);
  if (root.has("tls")) {
    auto t = root.child("tls");
    t.checkKnown({"listen", "cert", "key"});
    c.tlsListen = t.strings("listen");
    c.tlsCert = resolve(file, t.str("cert"));
    c.tlsKey = resolve(file, t.str("key"));
  }
  c.metricsListen = root.str("metrics", "");
  c.threads = static_cast<int>(root.integer("threads", 0, 256, 0));
  if (root.has("limits")) {
    auto l = root.child("limits");
    l.checkKnown({"udp_max_payload", "tcp_idle_timeout_ms", "tcp_max_connections"});
    c.udpMaxPayload = static_cast<uint16_t>(l.integer("udp_max_payload", 512, 65535, 1232));
    c.tcpIdleTimeoutMs = static_cast<uint32_t>(l.integer("tcp_idle_timeout_ms", 100, 3600000, 10000));
    c.tcpMaxConnections = static_cast<uint32_t>(l.integer("tcp_max_connections", 1, 1000000, 1024));
  }
  if (root.has("log")) {
    auto l = root.child("log");
    l.checkKnown({"level", "format"});
    c.logLevel = l.str("level", "info");
    if (c.logLevel != "debug" && c.logLevel != "info" && c.logLevel != "warn" && c.logLevel != "error")
      l.fail("level", "expected debug, info, warn or error");
    c.logFormat = l.str("format", "text");
    if (c.logFormat != "text" && c.logFormat != "json") l.fail("format", "expected text or json");
  }
  if (root.has("keys")) {
    auto keys = root.child("keys");
    if (!keys.isArray()) keys.fail("expected array");
    for (size_t i = 0; i < keys.size(); ++i) {
      auto k = keys.at(i);
      k.checkKnown({"name", "algorithm", "secret"});
      KeyConfig kc{k.str("name"), k.str("algorithm", "hmac-sha256"), k.str("secret")};
      if (kc.name.empty()) k.fail("name", "must not be empty");
      if (kc.name.back() != '.') kc.name += '.';
      c.keys.push_back(kc);
    }
  }
  if (root.has("zones")) {
    auto zones = root.child("zones");
    if (!zones.isArray()) zones.fail("expected array");
    for (size_t i = 0; i < zones.size(); ++i) {
      auto z = zones.at(i);
      z.checkKnown({"name", "file", "notify", "notify_key", "transfer", "update"});
      ZoneConfig zc;
      zc.name = z.str("name");
      if (zc.name.empty()) z.fail("name", "must not be empty");
      if (zc.name.back() != '.') zc.name += '.';
      zc.file = resolve(file, z.str("file"));
      zc.notify = z.strings("notify");
      zc.notifyKey = z.str("notify_key", "");
      if (!zc.notifyKey.empty() && zc.notifyKey.back() != '.') zc.notifyKey += '.';
      if (z.has("transfer")) {
        auto t = z.child("transfer");
        t.checkKnown({"acl", "keys"});
        auto acl = t.strings("acl");
        for (size_t a = 0; a < acl.size(); ++a) {
          auto p = parsePrefix(acl[a]);
          if (!p) throw ConfigError(t.pathOf("acl") + "/" + std::to_string(a), p.error().message);
          zc.transferAcl.push_back(*p);
        }
        zc.transferKeys = t.strings("keys");
        for (auto& k : zc.transferKeys)
          if (!k.empty() && k.back() != '.') k += '.';
      }
      if (z.has("update")) {
        auto u = z.child("update");
        u.checkKnown({"rules", "journal", "writeback_seconds", "lease"});
        zc.journal = resolve(file, u.str("journal", ""));
        zc.writebackSeconds = static_cast<uint32_t>(u.integer("writeback_seconds", 0, 86400 * 7, 300));
        if (u.has("lease")) {
          auto l = u.child("lease");
          l.checkKnown({"min", "max"});
          zc.lease.min = static_cast<uint32_t>(l.integer("min", 1, 86400 * 365, 1));
          zc.lease.max = static_cast<uint32_t>(l.integer("max", 1, 86400 * 365, 86400 * 7));
          if (zc.lease.max < zc.lease.min) l.fail("max", "must be >= min");
        }
        auto rules = u.child("rules");
        if (!rules.isArray() || rules.size() == 0) rules.fail("expected a non-empty array of rules");
        auto zoneName = dns::nameFromText(zc.name);
        for (size_t k = 0; k < rules.size(); ++k) {
          auto rn = rules.at(k);
          rn.checkKnown({"key", "name", "match", "types", "target_under"});
          UpdateRule rule;
          rule.key = rn.str("key");
          if (!rule.key.empty() && rule.key.back() != '.') rule.key += '.';
          for (auto& ch : rule.key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          auto name = dns::nameFromText(rn.str("name", zc.name));
          if (!name) rn.fail("name", name.error().message);
          rule.name = dns::lowerName(*name);
          if (zoneName && !dns::isSubdomain(rule.name, dns::lowerName(*zoneName))) rn.fail("name", "outside the zone " + zc.name);
          std::string match = rn.str("match", "subdomain");
          if (match == "exact") rule.match = UpdateRule::Match::kExact;
          else if (match == "subdomain") rule.match = UpdateRule::Match::kSubdomain;
          else if (match == "wildcard") rule.match = UpdateRule::Match::kWildcard;
          else rn.fail("match", "expected exact, subdomain or wildcard");
          auto types = rn.strings("types");
          if (types.empty()) rn.fail("types", "expected a non-empty array of type names");
          for (size_t t = 0; t < types.size(); ++t) {
            uint16_t code = typeFromName(types[t]);
            if (code == 0) throw ConfigError(rn.pathOf("types") + "/" + std::to_string(t), "unknown type " + types[t]);
            rule.types.push_back(code);
          }
          if (rn.has("target_under")) {
            auto t = dns::nameFromText(rn.str("target_under"));
            if (!t) rn.fail("target_under", t.error().message);
            rule.targetUnder = dns::lowerName(*t);
          }
          zc.updateRules.push_back(rule);
        }
      }
      c.zones.push_back(zc);
    }
  }
  validateConfig(c);
  return c;
}

void validateConfig(const Config& c) {
  std::set<std::string> keyNames, zoneNames;
  for (size_t i = 0; i < c.keys.size(); ++i)
    if (!keyNames.insert(c.keys[i].name).second)
      throw ConfigError("/keys/" + std::to_string(i) + "/name", "duplicate key " + c.keys[i].name);
  for (size_t i = 0; i < c.zones.size(); ++i) {
    const auto& z = c.zones[i];
    std::string path = "/zones/" + std::to_string(i);
    if (!zoneNames.insert(z.name).second) throw ConfigError(path + "/name", "duplicate zone " + z.name);
    if (access(z.file.c_str(), R_OK) != 0) throw ConfigError(path + "/file", z.file + ": " + std::strerror(errno));
    for (size_t k = 0; k < z.transferKeys.size(); ++k)
      if (!keyNames.count(z.transferKeys[k]))
        throw ConfigError(path + "/transfer/keys/" + std::to_string(k), "no key named " + z.transferKeys[k]);
    if (!z.notifyKey.empty() && !keyNames.count(z.notifyKey))
      throw ConfigError(path + "/notify_key", "no key named " + z.notifyKey);
    for (size_t k = 0; k < z.updateRules.size(); ++k) {
      bool found = false;
      for (const auto& name : keyNames) found = found || dns::nameEqual(*dns::nameFromText(name), *dns::nameFromText(z.updateRules[k].key));
      if (!found) throw ConfigError(path + "/update/rules/" + std::to_string(k) + "/key", "no key named " + z.updateRules[k].key);
    }
  }
  for (size_t i = 0; i < c.zones.size(); ++i)
    for (size_t t = 0; t < c.zones[i].notify.size(); ++t)
      if (auto a = net::parseHostPort(c.zones[i].notify[t], 53); !a)
        throw ConfigError("/zones/" + std::to_string(i) + "/notify/" + std::to_string(t), a.error().message);
  if (!c.metricsListen.empty())
    if (auto a = net::parseHostPort(c.metricsListen); !a) throw ConfigError("/metrics", a.error().message);
  if (!c.tlsListen.empty() && (c.tlsCert.empty() || c.tlsKey.empty()))
    throw ConfigError("/tls", "listen needs both cert and key");
  for (const auto& f : {c.tlsCert, c.tlsKey})
    if (!f.empty() && access(f.c_str(), R_OK) != 0) throw ConfigError("/tls", f + ": " + std::strerror(errno));
}

}  // namespace cdns::authority
