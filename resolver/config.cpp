// Loading cdns-resolver's configuration.
#include "resolver/config.h"

#include "common/config.h"
#include "common/log.h"
#include "common/net.h"

namespace cdns::resolver {

Loaded loadConfig(const std::string& file, const std::string& listenOverride) {
  Loaded cfg;
  auto j = loadJsonFile(file);
  ConfigNode root(j, "");
  root.checkKnown({"listen", "zones", "ttl", "chains", "services", "forward", "access_points", "reservations",
                   "client_subnet", "plugins", "probes", "metrics_listen", "tcp"});
  cfg.fingerprint = nlohmann::json{{"listen", j.value("listen", nlohmann::json())}, {"zones", j.value("zones", nlohmann::json())},
                                   {"forward", j.value("forward", nlohmann::json())}, {"probes", j.value("probes", nlohmann::json())},
                                   {"metrics_listen", j.value("metrics_listen", nlohmann::json())},
                                   {"tcp", j.value("tcp", nlohmann::json())}}
                        .dump();
  if (root.has("forward")) cfg.forward = ForwardConfig::fromConfig(root.child("forward"));
  cfg.listens = root.strings("listen");
  if (!listenOverride.empty()) cfg.listens = {listenOverride};
  if (cfg.listens.empty()) root.fail("listen", "expected at least one address");
  for (size_t i = 0; i < cfg.listens.size(); ++i)
    if (auto a = net::parseHostPort(cfg.listens[i], 53); !a) throw ConfigError("/listen/" + std::to_string(i), a.error().message);
  auto& ac = cfg.answer;
  ac.ttl = static_cast<uint32_t>(root.integer("ttl", 0, 86400, 5));
  auto zones = root.child("zones");
  if (zones.size() == 0) root.fail("zones", "expected at least one compute zone");
  for (size_t i = 0; i < zones.size(); ++i) {
    auto z = zones.at(i);
    z.checkKnown({"name", "primaries", "notify_listen", "key"});
    ReplicaConfig rc;
    rc.zone = z.str("name");
    rc.primaries = z.strings("primaries");
    if (rc.primaries.empty()) z.fail("primaries", "expected at least one address");
    rc.notifyListen = z.str("notify_listen", "");
    if (z.has("key")) rc.key = tsig::keyFromConfig(z.child("key"));
    cfg.replicas.push_back(rc);
  }
  PolicyRegistry reg;
  registerBuiltinPolicies(reg);
  cfg.plugins = root.strings("plugins");
  for (size_t i = 0; i < cfg.plugins.size(); ++i)
    if (auto n = loadPolicyPlugin(reg, cfg.plugins[i]); !n) throw ConfigError("/plugins/" + std::to_string(i), n.error().message);
  auto chains = root.child("chains");
  if (!chains.isObject() || !chains.has("default")) chains.fail("expected an object with a \"default\" chain");
  for (auto it = chains.json().begin(); it != chains.json().end(); ++it) {
    auto c = Chain::fromJson(it.value(), reg);
    if (!c) throw ConfigError("/chains/" + it.key(), c.error().message);
    ac.chains[it.key()] = std::move(*c);
  }
  if (root.has("services")) {
    auto s = root.child("services");
    for (auto it = s.json().begin(); it != s.json().end(); ++it) {
      std::string chain;
      if (it.value().is_string()) {
        chain = it.value().get<std::string>();
      } else {
        auto one = s.child(it.key());
        one.checkKnown({"chain", "port"});
        chain = one.str("chain", "default");
        if (one.has("port")) ac.servicePort[it.key()] = static_cast<uint16_t>(one.integer("port", 1, 65535, 0));
      }
      if (!ac.chains.count(chain)) s.fail(it.key(), "no chain named \"" + chain + "\"");
      ac.serviceChain[it.key()] = chain;
    }
  }
  if (root.has("access_points")) {
    auto aps = root.child("access_points");
    for (size_t i = 0; i < aps.size(); ++i) {
      auto a = aps.at(i);
      a.checkKnown({"prefix", "peer"});
      auto ap = parseAccessPoint(a.str("prefix"), a.str("peer"));
      if (!ap) a.fail(ap.error().message);
      ac.accessPoints.push_back(*ap);
    }
  }
  if (root.has("reservations")) {
    auto r = root.child("reservations");
    r.checkKnown({"hold", "min_cpus"});
    ac.holdSeconds = static_cast<uint64_t>(r.integer("hold", 0, 86400, 30));
    ac.holdMinCpus = static_cast<uint64_t>(r.integer("min_cpus", 0, 1 << 20, 1));
  }
  if (root.has("client_subnet")) {
    auto c = root.child("client_subnet");
    c.checkKnown({"ipv4", "ipv6"});
    ac.subnetV4 = static_cast<uint8_t>(c.integer("ipv4", 0, 32, 24));
    ac.subnetV6 = static_cast<uint8_t>(c.integer("ipv6", 0, 128, 56));
  }
  if (root.has("probes")) {
    auto p = root.child("probes");
    p.checkKnown({"interval", "timeout_ms", "port"});
    ProbeConfig pc;
    pc.intervalMs = static_cast<uint64_t>(p.integer("interval", 1, 86400, 10)) * 1000;
    pc.timeoutMs = static_cast<int>(p.integer("timeout_ms", 1, 60000, 1000));
    pc.port = static_cast<uint16_t>(p.integer("port", 1, 65535, 443));
    cfg.probes = pc;
  }
  if (root.has("tcp")) {
    auto t = root.child("tcp");
    t.checkKnown({"idle_timeout_ms", "max_connections"});
    cfg.tcpIdleMs = static_cast<uint64_t>(t.integer("idle_timeout_ms", 100, 3600000, 10000));
    cfg.tcpMax = static_cast<size_t>(t.integer("max_connections", 1, 1000000, 512));
  }
  cfg.metricsListen = root.str("metrics_listen", "");
  if (!cfg.metricsListen.empty())
    if (auto a = net::parseHostPort(cfg.metricsListen); !a) root.fail("metrics_listen", a.error().message);
  return cfg;
}

void logChains(const AnswerConfig& c) {
  for (const auto& [name, chain] : c.chains) {
    std::string o;
    for (const auto& n : chain->order()) o += (o.empty() ? "" : ",") + n;
    log::info("resolver.chain").kv("name", name).kv("order", o);
  }
}

}  // namespace cdns::resolver
