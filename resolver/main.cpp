// cdns-resolver: compute-aware answers from live replicas of the compute zones.
// So far it answers service names and the compute zones; forwarding other names comes next.
#include <unistd.h>
#include <uv.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "common/config.h"
#include "common/dns.h"
#include "common/log.h"
#include "common/net.h"
#include "resolver/answer.h"
#include "resolver/forward.h"
#include "resolver/replica.h"

using namespace cdns;

static const char* kUsage = R"(usage: cdns-resolver --config FILE [--listen ADDR:PORT] [--ready-file FILE] [--check-config]

Answers "<requirements>.<service>.svc.<zone>" with a CNAME to the best center's endpoint and its
addresses, chosen by the service's policy chain over a live replica of the compute zone (AXFR,
then IXFR on NOTIFY). Requirements travel as leading labels (gpu-4.mem-64g.policy-price) or in EDNS
option 65001 ("gpu=4,policy=price"); EDNS option 65002 asks for the explanation.

configuration (JSON):
  "listen":   ["127.0.0.1:5353"]
  "zones":    [{"name": "gba.example.", "primaries": ["127.0.0.1:5300"], "notify_listen": "127.0.0.1:5354",
                "key": {"name": "xfr.", "algorithm": "hmac-sha256", "secret": "base64"}}]
  "ttl":      5                                  TTL of chosen answers
  "chains":   {"default": {"policies": [{"name": "fits"}, {"name": "load"}]}, "price": {...}}
  "services": {"infer": "default"}               service -> chain ("policy-NAME" picks another)
  "forward":  {"upstreams": ["192.0.2.53:53"], "timeout_ms": 1500, "attempts": 2, "cache_size": 100000,
               "cache_bytes": 67108864, "max_ttl": 86400, "max_negative_ttl": 3600}
              names outside the compute zones go to the upstreams (in order; the timeout doubles each
              round) and are cached, NXDOMAIN/NODATA for the SOA MINIMUM; failures are SERVFAIL with an
              Extended DNS Error. Without "forward" those names are REFUSED.
)";

namespace {

struct State {
  std::vector<std::unique_ptr<resolver::Replica>> replicas;
  std::vector<resolver::ComputeZone> zones;
  resolver::AnswerConfig config;
  std::vector<uint8_t> out = std::vector<uint8_t>(65535);
  std::unique_ptr<resolver::Forwarder> forwarder;  // names outside the compute zones, when configured
  uv_udp_t udp;
  uv_tcp_t tcp;
  char recvBuf[65536];
};

State* gState = nullptr;

// The replicas may have moved on: rebuild the index of a zone whose version changed.
const std::vector<resolver::ComputeZone>& current() {
  for (size_t i = 0; i < gState->replicas.size(); ++i) {
    auto z = gState->replicas[i]->zone();
    if (z != gState->zones[i].zone) gState->zones[i] = {z, resolver::Index::build(*z)};
  }
  return gState->zones;
}

struct Conn {
  uv_tcp_t h;
  std::vector<uint8_t> in;
  std::shared_ptr<char> alive = std::make_shared<char>();  // forwarded replies check it
};

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
bool forwardUdp(uv_udp_t* h, const uint8_t* msg, size_t len, const sockaddr* from) {
  if (!gState->forwarder) return false;
  sockaddr_storage peer{};
  std::memcpy(&peer, from, from->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  return gState->forwarder->handle(msg, len, true, current(), [h, peer](const uint8_t* p, size_t n) {
    uv_buf_t ob = uv_buf_init(reinterpret_cast<char*>(const_cast<uint8_t*>(p)), static_cast<unsigned>(n));
    uv_udp_try_send(h, &ob, 1, reinterpret_cast<const sockaddr*>(&peer));
  });
}
bool forwardTcp(Conn* c, const uint8_t* msg, size_t len) {
  if (!gState->forwarder) return false;
  auto* s = reinterpret_cast<uv_stream_t*>(&c->h);
  return gState->forwarder->handle(msg, len, false, current(), [s, alive = std::weak_ptr<char>(c->alive)](const uint8_t* p, size_t n) {
    if (!alive.expired() && !uv_is_closing(reinterpret_cast<uv_handle_t*>(s))) writeFramed(s, p, n);
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::string configFile, listen, readyFile;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "cdns-resolver: " << a << " needs a value\n";
        exit(2);
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--config") configFile = value();
    else if (a == "--listen") listen = value();
    else if (a == "--ready-file") readyFile = value();
    else if (a == "--check-config") check = true;
    else {
      std::cerr << "cdns-resolver: unknown option " << a << " (see --help)\n";
      return 2;
    }
  }
  if (configFile.empty()) {
    std::cerr << "cdns-resolver: --config FILE is required\n";
    return 2;
  }
  State st;
  gState = &st;
  std::vector<resolver::ReplicaConfig> rcs;
  std::vector<std::string> listens;
  std::optional<resolver::ForwardConfig> forwardConfig;
  try {
    auto j = loadJsonFile(configFile);
    ConfigNode root(j, "");
    root.checkKnown({"listen", "zones", "ttl", "chains", "services", "forward"});
    if (root.has("forward")) forwardConfig = resolver::ForwardConfig::fromConfig(root.child("forward"));
    listens = root.strings("listen");
    if (!listen.empty()) listens = {listen};
    if (listens.empty()) root.fail("listen", "expected at least one address");
    st.config.ttl = static_cast<uint32_t>(root.integer("ttl", 0, 86400, 5));
    auto zones = root.child("zones");
    for (size_t i = 0; i < zones.size(); ++i) {
      auto z = zones.at(i);
      z.checkKnown({"name", "primaries", "notify_listen", "key"});
      resolver::ReplicaConfig rc;
      rc.zone = z.str("name");
      rc.primaries = z.strings("primaries");
      if (rc.primaries.empty()) z.fail("primaries", "expected at least one address");
      rc.notifyListen = z.str("notify_listen", "");
      if (z.has("key")) {
        auto k = z.child("key");
        auto key = tsig::parseKeySpec(k.str("algorithm", "hmac-sha256") + ":" + k.str("name") + ":" + k.str("secret"));
        if (!key) k.fail(key.error().message);
        rc.key = *key;
      }
      rcs.push_back(rc);
    }
    resolver::PolicyRegistry reg;
    resolver::registerBuiltinPolicies(reg);
    auto chains = root.child("chains");
    if (!chains.isObject() || !chains.has("default")) chains.fail("expected an object with a \"default\" chain");
    for (auto it = chains.json().begin(); it != chains.json().end(); ++it) {
      auto c = resolver::Chain::fromJson(it.value(), reg);
      if (!c) throw ConfigError("/chains/" + it.key(), c.error().message);
      log::info("resolver.chain").kv("name", it.key()).kv("order", [&] {
        std::string o;
        for (const auto& n : (*c)->order()) o += (o.empty() ? "" : ",") + n;
        return o;
      }());
      st.config.chains[it.key()] = std::move(*c);
    }
    if (root.has("services")) {
      auto s = root.child("services");
      for (auto it = s.json().begin(); it != s.json().end(); ++it) {
        std::string chain = it.value().is_string() ? it.value().get<std::string>() : "";
        if (!st.config.chains.count(chain)) s.fail(it.key(), "no chain named \"" + chain + "\"");
        st.config.serviceChain[it.key()] = chain;
      }
    }
  } catch (const ConfigError& e) {
    std::cerr << "cdns-resolver: " << configFile << ": " << e.what() << "\n";
    return 2;
  }
  if (check) {
    std::cout << "configuration OK: " << rcs.size() << " zone(s), " << st.config.chains.size() << " chain(s)"
              << (forwardConfig ? ", forwarding to " + std::to_string(forwardConfig->upstreams.size()) + " upstream(s)" : "")
              << "\n";
    return 0;
  }
  std::string ready;
  for (auto& rc : rcs) {
    auto r = std::make_unique<resolver::Replica>(rc);
    auto port = r->start();
    if (!port) {
      std::cerr << "cdns-resolver: " << port.error().message << "\n";
      return 1;
    }
    if (*port) ready += "notify 127.0.0.1 " + std::to_string(*port) + "\n";
    st.zones.push_back({r->zone(), resolver::Index::build(*r->zone())});
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
  uv_udp_init(loop, &st.udp);
  uv_udp_open(&st.udp, udpFd);
  uv_tcp_init(loop, &st.tcp);
  uv_tcp_open(&st.tcp, tcpFd);
  uv_udp_recv_start(
      &st.udp, [](uv_handle_t*, size_t, uv_buf_t* b) { *b = uv_buf_init(gState->recvBuf, sizeof gState->recvBuf); },
      [](uv_udp_t* h, ssize_t n, const uv_buf_t* b, const sockaddr* from, unsigned) {
        if (n <= 0 || !from) return;
        if (forwardUdp(h, reinterpret_cast<const uint8_t*>(b->base), static_cast<size_t>(n), from)) return;
        size_t len = resolver::answer(reinterpret_cast<const uint8_t*>(b->base), static_cast<size_t>(n), gState->out.data(),
                                      gState->out.size(), true, current(), gState->config, static_cast<uint64_t>(time(nullptr)));
        if (!len) return;
        uv_buf_t ob = uv_buf_init(reinterpret_cast<char*>(gState->out.data()), static_cast<unsigned>(len));
        uv_udp_try_send(h, &ob, 1, from);
      });
  int listening = uv_listen(reinterpret_cast<uv_stream_t*>(&st.tcp), 128, [](uv_stream_t* server, int status) {
    if (status < 0) return;
    auto* c = new Conn();
    uv_tcp_init(server->loop, &c->h);
    c->h.data = c;
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->h)) != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&c->h), [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
      return;
    }
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&c->h),
        [](uv_handle_t*, size_t, uv_buf_t* b) { *b = uv_buf_init(gState->recvBuf, sizeof gState->recvBuf); },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
          auto* conn = static_cast<Conn*>(s->data);
          if (n < 0) {
            uv_close(reinterpret_cast<uv_handle_t*>(s), [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
            return;
          }
          conn->in.insert(conn->in.end(), b->base, b->base + n);
          while (conn->in.size() >= 2) {
            size_t flen = dns::get16(conn->in.data());
            if (conn->in.size() < flen + 2) break;
            size_t len = forwardTcp(conn, conn->in.data() + 2, flen)
                             ? 0
                             : resolver::answer(conn->in.data() + 2, flen, gState->out.data() + 2, gState->out.size() - 2,
                                                false, current(), gState->config, static_cast<uint64_t>(time(nullptr)));
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
  if (!readyFile.empty()) {
    std::ofstream(readyFile + ".tmp") << ready << "pid " << getpid() << "\n";
    std::rename((readyFile + ".tmp").c_str(), readyFile.c_str());
  }
  log::info("resolver").kv("listen", host + ":" + port).kv("zones", st.replicas.size()).msg("ready");
  uv_signal_t term, intr;
  uv_signal_init(loop, &term);
  uv_signal_init(loop, &intr);
  auto onStop = [](uv_signal_t* s, int) { uv_stop(s->loop); };
  uv_signal_start(&term, onStop, SIGTERM);
  uv_signal_start(&intr, onStop, SIGINT);
  uv_run(loop, UV_RUN_DEFAULT);
  st.forwarder.reset();
  uv_run(loop, UV_RUN_NOWAIT);  // the forwarder's handles close
  for (auto& r : st.replicas) r->stop();
  if (!readyFile.empty()) std::remove(readyFile.c_str());
  log::info("resolver").msg("stopped");
  return 0;
}
