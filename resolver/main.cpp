// cdns-resolver: compute-aware answers from live replicas of the compute zones; every other
// name forwarded and cached.
#include <unistd.h>
#include <uv.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <tuple>
#include <optional>
#include <random>

#include <arpa/inet.h>

#include "common/config.h"
#include "common/daemon_args.h"
#include "common/dns.h"
#include "common/http_server.h"
#include "common/log.h"
#include "common/net.h"
#include "common/udp_batch.h"
#include "resolver/answer.h"
#include "resolver/config.h"
#include "resolver/forward.h"
#include "resolver/probe.h"
#include "resolver/replica.h"

using namespace cdns;
using resolver::Loaded;
using resolver::loadConfig;
using resolver::logChains;

static const char* kUsage = R"(usage: cdns-resolver --config FILE [--listen ADDR:PORT] [--ready-file FILE] [--check-config]

Answers "<requirements>.<service>.svc.<zone>" with the best center for it, chosen by the
service's policy chain over a live replica of the compute zone (AXFR, then IXFR on NOTIFY over
UDP or TCP): A/AAAA as a CNAME to the center's endpoint plus its addresses, SRV and SVCB with
the endpoint's port. Requirements travel as leading labels (gpu-4.mem-64g.policy-price) or in
EDNS option 65001 ("gpu=4,policy=price"); EDNS option 65002 asks for the explanation; EDNS
Client Subnet places the client. No fit: NODATA with an Extended DNS Error saying what was
missing; unknown service: NXDOMAIN. Other names: forwarded and cached, or REFUSED.
SIGHUP reloads chains, services, plug-ins, access points, reservations and TTL.

configuration (JSON; docs/config.md sections 10-11 and docs/policies.md have it all):
  "listen":         ["127.0.0.1:5353"]               UDP and TCP
  "metrics_listen": "127.0.0.1:9154"                 Prometheus text at /metrics
  "zones":          [{"name": "gba.example.", "primaries": ["127.0.0.1:5300"], "notify_listen": "127.0.0.1:5354",
                      "key": {"name": "xfr.", "algorithm": "hmac-sha256", "secret": "base64"}}]
  "ttl":            5                                TTL of chosen answers
  "chains":         {"default": {"policies": [{"name": "fits"}, {"name": "load"}], "select": "best"}, ...}
                    policies: manual fcfs fits fresh jurisdiction load energy price network data qos
                    and plug-ins; select: "best", {"name": "weighted"|"sticky", "top": 3}
  "services":       {"infer": "default"} or {"infer": {"chain": "default", "port": 443}}
  "plugins":        ["/usr/local/lib/cdns/policies/cdns_policy_affinity.so"]
  "access_points":  [{"prefix": "10.0.0.0/8", "peer": "sz1"}]     client subnets -> NETQ peers
  "client_subnet":  {"ipv4": 24, "ipv6": 56}         a client's subnet when it sends no ECS
  "reservations":   {"hold": 30, "min_cpus": 1}      what answers hold until a center publishes
  "probes":         {"interval": 10, "timeout_ms": 1000, "port": 443}   own TCP round trips
  "tcp":            {"idle_timeout_ms": 10000, "max_connections": 512}
  "forward":        {"upstreams": ["192.0.2.53:53"], "timeout_ms": 1500, "attempts": 2, "cache_size": 100000,
                     "cache_bytes": 67108864, "max_ttl": 86400, "max_negative_ttl": 3600}
                    names outside the compute zones go to the upstreams (in order; the timeout doubles
                    each round) and are cached, NXDOMAIN/NODATA for the SOA MINIMUM; failures are
                    SERVFAIL with an Extended DNS Error. Without "forward" those names are REFUSED.
)";

namespace {

struct State {
  std::string configFile, listenOverride, loaded;
  std::unique_ptr<resolver::Prober> prober;
  std::unique_ptr<http::Server> metrics;
  resolver::AnswerStats stats;
  uint64_t reloads = 0, reloadFailures = 0;
  std::mt19937_64 rng{std::random_device{}()};
  uint16_t probePort = 443;
  uint64_t tcpIdleMs = 10000;
  size_t tcpMax = 512, tcpConnections = 0;
  std::vector<std::unique_ptr<resolver::Replica>> replicas;
  std::vector<resolver::ComputeZone> zones;
  std::vector<uint64_t> versions;  // each replica's version() when zones[i] was last brought up to date
  resolver::AnswerConfig config;
  std::vector<uint8_t> out = std::vector<uint8_t>(65535);
  std::unique_ptr<resolver::Forwarder> forwarder;  // names outside the compute zones, when configured
  uv_poll_t udp;
  int udpFd = -1;
  std::unique_ptr<net::UdpBatch> batch = std::make_unique<net::UdpBatch>(4096);  // UDP answers stay within 1232 bytes
  uv_tcp_t tcp;
  char recvBuf[65536];
};

State* gState = nullptr;

// The probe results, by center id of the zone's current index.
void applyProbes(resolver::ComputeZone& cz) {
  if (!gState->prober) return;
  auto rtt = gState->prober->results();
  std::vector<double> now(cz.index->byId().size(), -1);
  for (const resolver::Center* c : cz.index->byId())
    if (auto it = rtt.find(c->name); it != rtt.end()) now[c->id] = it->second;
  if (now != cz.probeRttMs) {  // decisions kept from before saw the old figures
    cz.probeRttMs = std::move(now);
    ++cz.probeEpoch;
  }
}

// Tells the prober what to probe: every endpoint address of every center, at the port of the
// center's SRV record for the service, else the configured port.
void setProbeTargets() {
  if (!gState->prober) return;
  std::map<std::string, std::vector<sockaddr_storage>> targets;
  for (const auto& cz : gState->zones)
    for (const resolver::Center* c : cz.index->byId())
      for (const auto& ep : cz.index->endpointsOf(c->id))
        for (const auto& a : ep->addresses) {
          sockaddr_storage ss{};
          uint16_t port = htons(ep->port ? ep->port : gState->probePort);
          if (a.size() == 4) {
            auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
            v4->sin_family = AF_INET;
            v4->sin_port = port;
            std::memcpy(&v4->sin_addr, a.data(), 4);
          } else {
            auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
            v6->sin6_family = AF_INET6;
            v6->sin6_port = port;
            std::memcpy(&v6->sin6_addr, a.data(), 16);
          }
          targets[c->name].push_back(ss);
        }
  gState->prober->setTargets(std::move(targets));
}

// The replicas may have moved on: rebuild the index of a zone whose version changed (what was
// handed out stays held for centers whose data did not change).
const std::vector<resolver::ComputeZone>& current() {
  bool changed = false;
  gState->versions.resize(gState->replicas.size(), UINT64_MAX);
  for (size_t i = 0; i < gState->replicas.size(); ++i) {
    uint64_t v = gState->replicas[i]->version();
    if (v == gState->versions[i]) continue;  // nothing new: no lock taken, nothing copied
    gState->versions[i] = v;
    auto [z, index] = gState->replicas[i]->current();
    auto& cz = gState->zones[i];
    if (z == cz.zone) continue;
    cz.zone = z;
    cz.index = index;
    cz.held->follow(*cz.index);
    applyProbes(cz);
    changed = true;
  }
  if (changed) setProbeTargets();
  return gState->zones;
}

resolver::AnswerContext contextFor(const sockaddr* from) {
  return resolver::AnswerContext{from, static_cast<uint64_t>(time(nullptr)), gState->rng(), &gState->stats};
}

// Once a second: holds past their time end, probe results come in, replica ages are read.
void onTick(uv_timer_t*) {
  uint64_t now = static_cast<uint64_t>(time(nullptr));
  current();
  for (size_t i = 0; i < gState->zones.size(); ++i) {
    auto& cz = gState->zones[i];
    cz.held->expire(now, gState->config.holdSeconds);
    cz.lastSuccess = gState->replicas[i]->status().lastSuccess;
    applyProbes(cz);
  }
}

// SIGHUP: reads the configuration again; policies, chains, services, access points, TTL and
// reservations change at once; a file that does not load changes nothing.
void onReload(uv_signal_t*, int) {
  try {
    Loaded cfg = loadConfig(gState->configFile, gState->listenOverride);
    if (cfg.fingerprint != gState->loaded)
      log::warn("resolver.reload").msg("zones, listen, forward, probes, tcp and metrics_listen change only with a restart; kept as they were");
    logChains(cfg.answer);
    gState->config = std::move(cfg.answer);
    for (auto& cz : gState->zones) cz.plans->clear();  // made by the old chains
    ++gState->reloads;
    log::info("resolver.reload").kv("chains", gState->config.chains.size()).msg("configuration reloaded");
  } catch (const ConfigError& e) {
    ++gState->reloadFailures;
    log::error("resolver.reload").kv("file", gState->configFile).kv("error", e.what()).msg("configuration not reloaded; the old one stays");
  }
}

// Prometheus text exposition of the resolver's state.
std::string renderMetrics() {
  std::string o;
  auto line = [&](const std::string& name, const std::string& labels, double v) {
    char b[64];
    snprintf(b, sizeof b, "%.17g", v);
    o += name + (labels.empty() ? "" : "{" + labels + "}") + " " + b + "\n";
  };
  auto help = [&](const char* name, const char* type, const char* text) {
    o += std::string("# HELP ") + name + " " + text + "\n# TYPE " + name + " " + type + "\n";
  };
  const auto& s = gState->stats;
  uint64_t now = static_cast<uint64_t>(time(nullptr));
  help("cdns_resolver_service_queries_total", "counter", "Service queries answered, by outcome.");
  line("cdns_resolver_service_queries_total", "outcome=\"answer\"", static_cast<double>(s.answers));
  line("cdns_resolver_service_queries_total", "outcome=\"nodata\"", static_cast<double>(s.nodata));
  line("cdns_resolver_service_queries_total", "outcome=\"nxdomain\"", static_cast<double>(s.nxdomain));
  line("cdns_resolver_service_queries_total", "outcome=\"formerr\"", static_cast<double>(s.formerr));
  help("cdns_resolver_chosen_total", "counter", "Answers per chosen center.");
  for (const auto& [k, v] : s.chosen)
    line("cdns_resolver_chosen_total", "zone=\"" + k.first + "\",center=\"" + k.second + "\"", static_cast<double>(v));
  help("cdns_resolver_replica_serial", "gauge", "SOA serial of each replica.");
  help("cdns_resolver_replica_age_seconds", "gauge", "Seconds since the replica last heard from a primary.");
  help("cdns_resolver_replica_transfers_total", "counter", "Zone transfers by kind.");
  help("cdns_resolver_replica_failures_total", "counter", "Failed checks with the primaries.");
  for (size_t i = 0; i < gState->replicas.size(); ++i) {
    auto st = gState->replicas[i]->status();
    std::string z = "zone=\"" + gState->zones[i].zone->originText() + "\"";
    line("cdns_resolver_replica_serial", z, st.serial);
    line("cdns_resolver_replica_age_seconds", z, static_cast<double>(now > st.lastSuccess ? now - st.lastSuccess : 0));
    line("cdns_resolver_replica_transfers_total", z + ",kind=\"ixfr\"", static_cast<double>(st.ixfrs));
    line("cdns_resolver_replica_transfers_total", z + ",kind=\"axfr\"", static_cast<double>(st.axfrs));
    line("cdns_resolver_replica_failures_total", z, static_cast<double>(st.failures));
  }
  help("cdns_resolver_plans_total", "counter",
       "Decisions by how the chain ran: built (in full, kept as a plan) or reused (from a plan).");
  for (const auto& cz : gState->zones) {
    std::string z = "zone=\"" + cz.zone->originText() + "\"";
    line("cdns_resolver_plans_total", z + ",how=\"built\"", static_cast<double>(cz.plans->stats().built));
    line("cdns_resolver_plans_total", z + ",how=\"reused\"", static_cast<double>(cz.plans->stats().reused));
  }
  help("cdns_resolver_held_cpus", "gauge", "CPUs handed out per center since its last update (reservations).");
  help("cdns_resolver_probe_rtt_ms", "gauge", "Smoothed round trip of the resolver's own probes per center.");
  for (const auto& cz : gState->zones)
    for (const resolver::Center* c : cz.index->byId()) {
      std::string l = "zone=\"" + cz.zone->originText() + "\",center=\"" + c->name + "\"";
      auto held = cz.held->table();
      if (c->id < held.size()) line("cdns_resolver_held_cpus", l, static_cast<double>(held[c->id].cpus));
      if (c->id < cz.probeRttMs.size() && cz.probeRttMs[c->id] >= 0) line("cdns_resolver_probe_rtt_ms", l, cz.probeRttMs[c->id]);
    }
  help("cdns_resolver_reloads_total", "counter", "Configuration reloads (SIGHUP) by result.");
  line("cdns_resolver_reloads_total", "result=\"ok\"", static_cast<double>(gState->reloads));
  line("cdns_resolver_reloads_total", "result=\"failed\"", static_cast<double>(gState->reloadFailures));
  return o;
}

// One TCP client (RFC 7766): pipelined queries answered in turn, forwarded ones when their
// answer comes; closed after `tcpIdleMs` without a complete query, and at end of input once
// every forwarded answer has gone out.
struct Conn {
  uv_tcp_t h;
  uv_timer_t idle;
  sockaddr_storage peer{};
  std::vector<uint8_t> in;
  std::shared_ptr<char> alive = std::make_shared<char>();  // forwarded replies check it
  size_t pending = 0;  // forwarded queries not answered yet
  bool eof = false;
  int closing = 0;
};

void closeConn(Conn* c);
void onIdle(uv_timer_t* t) { closeConn(static_cast<Conn*>(t->data)); }

// Closes once the answers already written have gone out (a plain close would drop them).
void finishConn(Conn* c) {
  if (c->closing) return;
  auto* req = new uv_shutdown_t;
  req->data = c;
  int rc = uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&c->h), [](uv_shutdown_t* r, int) {
    auto* conn = static_cast<Conn*>(r->data);
    delete r;
    closeConn(conn);
  });
  if (rc != 0) {
    delete req;
    closeConn(c);
  }
}

void closeConn(Conn* c) {
  if (c->closing) return;
  c->closing = 2;
  c->alive.reset();
  --gState->tcpConnections;
  auto done = [](uv_handle_t* h) {
    auto* conn = static_cast<Conn*>(h->data);
    if (--conn->closing == 0) delete conn;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&c->idle), done);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->h), done);
}

// A DNS message framed for a stream (RFC 1035 §4.2.2), written to `s`.
void writeFramed(uv_stream_t* s, const uint8_t* msg, size_t len) {
  auto* req = new uv_write_t;
  auto* data = new std::vector<uint8_t>(len + 2);
  dns::put16(data->data(), static_cast<uint16_t>(len));
  std::memcpy(data->data() + 2, msg, len);
  req->data = data;
  uv_buf_t wb = uv_buf_init(reinterpret_cast<char*>(data->data()), static_cast<unsigned>(data->size()));
  auto done = [](uv_write_t* r, int) {
    delete static_cast<std::vector<uint8_t>*>(r->data);
    delete r;
  };
  if (uv_write(req, s, &wb, 1, done) != 0) done(req, 0);
}

// Names outside the compute zones go to the forwarder (when configured), which replies through
// these now (from its cache) or later.
bool forwardUdp(const uint8_t* msg, size_t len, const sockaddr_storage& from, socklen_t fromLen) {
  if (!gState->forwarder) return false;
  sockaddr_storage peer = from;
  return gState->forwarder->handle(msg, len, true, current(), [peer, fromLen](const uint8_t* p, size_t n) {
    sendto(gState->udpFd, p, n, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&peer), fromLen);
  });
}
bool forwardTcp(Conn* c, const uint8_t* msg, size_t len) {
  if (!gState->forwarder) return false;
  ++c->pending;
  bool handled = gState->forwarder->handle(msg, len, false, current(), [c, alive = std::weak_ptr<char>(c->alive)](const uint8_t* p, size_t n) {
    if (alive.expired()) return;  // the connection is gone
    writeFramed(reinterpret_cast<uv_stream_t*>(&c->h), p, n);
    if (--c->pending == 0 && c->eof) finishConn(c);
  });
  if (!handled) --c->pending;
  return handled;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  auto args = parseDaemonArgs(std::vector<std::string>(argv + 1, argv + argc));
  if (!args) {
    std::cerr << "cdns-resolver: " << args.error().message << "\n";
    return 2;
  }
  if (args->help) {
    std::cout << kUsage;
    return 0;
  }
  const std::string &configFile = args->configFile, &listen = args->listen, &readyFile = args->readyFile;
  bool check = args->check;
  State st;
  gState = &st;
  st.configFile = configFile;
  st.listenOverride = listen;
  Loaded cfg;
  try {
    cfg = loadConfig(configFile, listen);
  } catch (const ConfigError& e) {
    std::cerr << "cdns-resolver: " << configFile << ": " << e.what() << "\n";
    return 2;
  }
  if (check) {
    std::cout << "configuration OK: " << cfg.replicas.size() << " zone(s), " << cfg.answer.chains.size() << " chain(s)"
              << (cfg.forward ? ", forwarding to " + std::to_string(cfg.forward->upstreams.size()) + " upstream(s)" : "")
              << (cfg.plugins.empty() ? "" : ", " + std::to_string(cfg.plugins.size()) + " plug-in(s)") << "\n";
    return 0;
  }
  logChains(cfg.answer);
  st.config = std::move(cfg.answer);
  st.loaded = cfg.fingerprint;
  st.tcpIdleMs = cfg.tcpIdleMs;
  st.tcpMax = cfg.tcpMax;
  auto& rcs = cfg.replicas;
  auto& listens = cfg.listens;
  auto& forwardConfig = cfg.forward;
  std::string ready;
  for (auto& rc : rcs) {
    auto r = std::make_unique<resolver::Replica>(rc);
    auto port = r->start();
    if (!port) {
      std::cerr << "cdns-resolver: " << port.error().message << "\n";
      return 1;
    }
    if (*port) {
      auto na = net::parseHostPort(rc.notifyListen, 53);
      ready += "notify " + net::formatHost(reinterpret_cast<sockaddr*>(&*na)) + " " + std::to_string(*port) + "\n";
    }
    resolver::ComputeZone cz;
    std::tie(cz.zone, cz.index) = r->current();
    cz.held = std::make_shared<resolver::Reservations>();
    cz.held->follow(*cz.index);
    cz.plans = std::make_shared<resolver::Plans>();
    cz.lastSuccess = r->status().lastSuccess;
    st.zones.push_back(std::move(cz));
    st.replicas.push_back(std::move(r));
  }
  uv_loop_t* loop = uv_default_loop();
  if (forwardConfig) {
    auto f = resolver::Forwarder::create(loop, *forwardConfig);
    if (!f) {
      std::cerr << "cdns-resolver: " << f.error().message << "\n";
      return 1;
    }
    st.forwarder = std::move(*f);
  }
  auto addr = net::parseHostPort(listens[0], 53);
  if (!addr) {
    std::cerr << "cdns-resolver: " << addr.error().message << "\n";
    return 2;
  }
  // UDP and TCP on the same port; with port 0 the UDP socket picks it, and a clash on TCP means
  // trying another.
  int udpFd = -1, tcpFd = -1;
  for (int attempt = 0; attempt < 20 && tcpFd < 0; ++attempt) {
    sockaddr_storage a = *addr;
    auto u = net::bindSocket(a, SOCK_DGRAM, false);
    if (!u) {
      std::cerr << "cdns-resolver: " << u.error().message << "\n";
      return 1;
    }
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    getsockname(*u, reinterpret_cast<sockaddr*>(&bound), &blen);
    net::setPort(a, net::portOf(reinterpret_cast<sockaddr*>(&bound)));
    auto t = net::bindSocket(a, SOCK_STREAM, false);
    if (!t) {
      close(*u);
      if (net::portOf(reinterpret_cast<sockaddr*>(&*addr)) != 0) {
        std::cerr << "cdns-resolver: " << t.error().message << "\n";
        return 1;
      }
      continue;
    }
    udpFd = *u;
    tcpFd = *t;
    *addr = a;
  }
  if (tcpFd < 0) {
    std::cerr << "cdns-resolver: no port free for both UDP and TCP\n";
    return 1;
  }
  st.udpFd = udpFd;
  uv_poll_init(loop, &st.udp, udpFd);
  uv_tcp_init(loop, &st.tcp);
  uv_tcp_open(&st.tcp, tcpFd);
  // UDP in batches: a recvmmsg, the answers, one sendmmsg.
  uv_poll_start(&st.udp, UV_READABLE, [](uv_poll_t*, int status, int events) {
    if (status < 0 || !(events & UV_READABLE)) return;
    gState->batch->serve(gState->udpFd, [](const uint8_t* msg, size_t len, const sockaddr_storage& from, socklen_t fromLen,
                                           uint8_t* out, size_t cap) -> size_t {
      if (forwardUdp(msg, len, from, fromLen)) return 0;  // the forwarder answers (now from its cache, or later)
      return resolver::answer(msg, len, out, cap, true, current(), gState->config,
                              contextFor(reinterpret_cast<const sockaddr*>(&from)));
    });
  });
  int listening = uv_listen(reinterpret_cast<uv_stream_t*>(&st.tcp), 128, [](uv_stream_t* server, int status) {
    if (status < 0) return;
    auto* c = new Conn();
    uv_tcp_init(server->loop, &c->h);
    uv_timer_init(server->loop, &c->idle);
    c->h.data = c;
    c->idle.data = c;
    ++gState->tcpConnections;
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->h)) != 0 || gState->tcpConnections > gState->tcpMax) {
      closeConn(c);  // over the cap: accepted and closed at once, as the authority does
      return;
    }
    uv_timer_start(&c->idle, onIdle, gState->tcpIdleMs, 0);
    int plen = sizeof c->peer;
    uv_tcp_getpeername(&c->h, reinterpret_cast<sockaddr*>(&c->peer), &plen);
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&c->h),
        [](uv_handle_t*, size_t, uv_buf_t* b) { *b = uv_buf_init(gState->recvBuf, sizeof gState->recvBuf); },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
          auto* conn = static_cast<Conn*>(s->data);
          if (n < 0) {
            // End of input: answers still on their way from upstream go out first (a client may
            // half-close after its last query); an error closes at once.
            conn->eof = true;
            uv_read_stop(s);
            if (n != UV_EOF) closeConn(conn);
            else if (conn->pending == 0) finishConn(conn);
            return;
          }
          conn->in.insert(conn->in.end(), b->base, b->base + n);
          while (conn->in.size() >= 2) {
            size_t flen = dns::get16(conn->in.data());
            if (conn->in.size() < flen + 2) break;
            uv_timer_start(&conn->idle, onIdle, gState->tcpIdleMs, 0);
            size_t len = forwardTcp(conn, conn->in.data() + 2, flen)
                             ? 0
                             : resolver::answer(conn->in.data() + 2, flen, gState->out.data() + 2, gState->out.size() - 2,
                                                false, current(), gState->config, contextFor(reinterpret_cast<sockaddr*>(&conn->peer)));
            conn->in.erase(conn->in.begin(), conn->in.begin() + static_cast<long>(flen + 2));
            if (len) writeFramed(s, gState->out.data() + 2, len);
          }
        });
  });
  if (listening != 0) {
    std::cerr << "cdns-resolver: cannot listen on TCP: " << uv_strerror(listening) << "\n";
    return 1;
  }
  std::string host = net::formatHost(reinterpret_cast<sockaddr*>(&*addr));
  std::string port = std::to_string(net::portOf(reinterpret_cast<sockaddr*>(&*addr)));
  ready = "udp " + host + " " + port + "\ntcp " + host + " " + port + "\n" + ready;
  if (!cfg.metricsListen.empty()) {
    st.metrics = std::make_unique<http::Server>(loop, [](const http::Request& req) {
      http::Response r;
      if (req.path != "/metrics") {
        r.status = 404;
        r.body = "not found; try /metrics\n";
        return r;
      }
      r.contentType = "text/plain; version=0.0.4; charset=utf-8";
      r.body = renderMetrics();
      return r;
    });
    auto mport = st.metrics->listen(cfg.metricsListen);
    if (!mport) {
      std::cerr << "cdns-resolver: metrics: " << mport.error().message << "\n";
      return 1;
    }
    auto ma = net::parseHostPort(cfg.metricsListen);
    ready += "metrics " + net::formatHost(reinterpret_cast<sockaddr*>(&*ma)) + " " + std::to_string(*mport) + "\n";
  }
  if (cfg.probes) {
    st.probePort = cfg.probes->port;
    st.prober = std::make_unique<resolver::Prober>(*cfg.probes);
    setProbeTargets();
    st.prober->start();
  }
  if (!readyFile.empty()) {
    std::ofstream(readyFile + ".tmp") << ready << "pid " << getpid() << "\n";
    std::rename((readyFile + ".tmp").c_str(), readyFile.c_str());
  }
  log::info("resolver").kv("listen", host + ":" + port).kv("zones", st.replicas.size()).msg("ready");
  uv_signal_t term, intr, hup;
  uv_signal_init(loop, &term);
  uv_signal_init(loop, &intr);
  uv_signal_init(loop, &hup);
  auto onStop = [](uv_signal_t* s, int) { uv_stop(s->loop); };
  uv_signal_start(&term, onStop, SIGTERM);
  uv_signal_start(&intr, onStop, SIGINT);
  uv_signal_start(&hup, onReload, SIGHUP);
  uv_timer_t tick;
  uv_timer_init(loop, &tick);
  uv_timer_start(&tick, onTick, 1000, 1000);
  uv_run(loop, UV_RUN_DEFAULT);
  if (st.prober) st.prober->stop();
  if (st.metrics) st.metrics->close();
  st.forwarder.reset();
  uv_run(loop, UV_RUN_NOWAIT);  // the forwarder's handles close
  for (auto& r : st.replicas) r->stop();
  if (!readyFile.empty()) std::remove(readyFile.c_str());
  log::info("resolver").msg("stopped");
  return 0;
}
