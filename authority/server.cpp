// The control plane of cdns-authority.
#include "authority/server.h"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include <openssl/err.h>

#include "authority/zone.h"
#include "common/config.h"
#include "common/log.h"
#include "common/net.h"
#include "rrtypes/zone_loader.h"
#include "common/http_server.h"

namespace cdns::authority {

Result<std::shared_ptr<const ZoneSet>> loadZones(const Config& config) {
  auto set = std::make_shared<ZoneSet>();
  for (const auto& zc : config.zones) {
    // Stream the file: each record is kept once, in the zone's own form.
    std::vector<Record> records;
    auto st = rrtypes::forEachRecord(zc.file, zc.name, [&](RrPtr rr) -> Status {
      if (ldns_rr_get_class(rr.get()) != LDNS_RR_CLASS_IN) return makeError("only class IN is served");
      records.push_back(Zone::recordOf(rr.get()));
      return {};
    });
    if (!st) return st.error();
    auto zone = Zone::fromRecords(zc.name, records, zc.file);
    records = std::vector<Record>();
    if (!zone) return zone.error();
    log::info("authority.zone").kv("zone", (*zone)->originText()).kv("serial", (*zone)->serial())
        .kv("records", (*zone)->recordCount()).kv("file", zc.file).msg("zone file read");
    set->add(std::move(*zone));
    // The parsed records are gone now; give their memory back to the system (a large zone's
    // text and ldns objects take more than the zone itself).
    malloc_trim(0);
  }
  return std::shared_ptr<const ZoneSet>(std::move(set));
}

Result<std::shared_ptr<const TransferPolicy>> makePolicy(const Config& c) {
  auto policy = std::make_shared<TransferPolicy>();
  policy->zones = c.zones;
  for (size_t i = 0; i < c.keys.size(); ++i) {
    const auto& k = c.keys[i];
    auto key = tsig::parseKeySpec(k.algorithm + ":" + k.name + ":" + k.secret);
    if (!key) return makeError("/keys/" + std::to_string(i) + ": " + key.error().message);
    policy->keys.add(std::move(*key));
  }
  return std::shared_ptr<const TransferPolicy>(std::move(policy));
}

struct Server::Metrics {
  std::unique_ptr<http::Server> http;
};

Server::Server(Config config, std::string configFile, std::string readyFile)
    : config_(std::move(config)), configFile_(std::move(configFile)), readyFile_(std::move(readyFile)) {}

Server::~Server() {
  if (shared_.tls) SSL_CTX_free(shared_.tls);
}

static Status makeTlsContext(const Config& c, SSL_CTX*& result) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return makeError("tls: cannot create context");
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);  // RFC 7858 §3.2, RFC 8310
  if (SSL_CTX_use_certificate_chain_file(ctx, c.tlsCert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, c.tlsKey.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    char why[256];
    ERR_error_string_n(ERR_get_error(), why, sizeof why);
    SSL_CTX_free(ctx);
    return makeError("tls: cannot use cert " + c.tlsCert + " / key " + c.tlsKey + ": " + why);
  }
  static const unsigned char kAlpn[] = {3, 'd', 'o', 't'};
  SSL_CTX_set_alpn_select_cb(
      ctx,
      [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen, void*) {
        // Offer "dot" (RFC 7858 ALPN id) when the client asks for it; otherwise continue without.
        if (SSL_select_next_proto(const_cast<unsigned char**>(out), outlen, kAlpn, sizeof kAlpn, in, inlen) ==
            OPENSSL_NPN_NEGOTIATED)
          return SSL_TLSEXT_ERR_OK;
        return SSL_TLSEXT_ERR_NOACK;
      },
      nullptr);
  result = ctx;
  return {};
}

Status Server::bindAll() {
  int n = config_.threads > 0 ? config_.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n < 1) n = 1;
  sockets_.assign(static_cast<size_t>(n), WorkerSockets{});
  auto bindGroup = [&](const std::string& spec, bool dgramToo, bool tls) -> Status {
    auto addr = net::parseHostPort(spec, tls ? 853 : 53);
    if (!addr) return makeError("listen: " + addr.error().message);
    // With port 0 the first socket picks the port; UDP and TCP share it, so retry on a clash.
    for (int attempt = 0; attempt < 20; ++attempt) {
      sockaddr_storage a = *addr;
      std::vector<int> udp, tcp;
      auto cleanup = [&]() {
        for (int fd : udp) ::close(fd);
        for (int fd : tcp) ::close(fd);
      };
      Status st;
      // Binds one socket; with port 0 the first one picks the port the others then share.
      auto bindOne = [&](int type, std::vector<int>& into) {
        auto fd = net::bindSocket(a, type, true);
        if (!fd) {
          st = fd.error();
          return false;
        }
        if (net::portOf(reinterpret_cast<sockaddr*>(&a)) == 0) {
          sockaddr_storage bound{};
          socklen_t len = sizeof bound;
          getsockname(*fd, reinterpret_cast<sockaddr*>(&bound), &len);
          net::setPort(a, net::portOf(reinterpret_cast<sockaddr*>(&bound)));
        }
        into.push_back(*fd);
        return true;
      };
      for (int i = 0; i < n && st.ok(); ++i) {
        if (dgramToo && !bindOne(SOCK_DGRAM, udp)) break;
        if (!bindOne(SOCK_STREAM, tcp)) break;
      }
      if (!st.ok()) {
        cleanup();
        if (net::portOf(reinterpret_cast<sockaddr*>(&*addr)) == 0) continue;  // clash on a picked port
        return st;
      }
      for (int i = 0; i < n; ++i) {
        if (dgramToo) sockets_[static_cast<size_t>(i)].udp.push_back(udp[static_cast<size_t>(i)]);
        (tls ? sockets_[static_cast<size_t>(i)].tls : sockets_[static_cast<size_t>(i)].tcp).push_back(tcp[static_cast<size_t>(i)]);
      }
      std::string host = net::formatHost(reinterpret_cast<sockaddr*>(&a));
      std::string port = std::to_string(net::portOf(reinterpret_cast<sockaddr*>(&a)));
      if (dgramToo) readyLines_.push_back("udp " + host + " " + port);
      readyLines_.push_back((tls ? "tls " : "tcp ") + host + " " + port);
      log::info("authority.listen").kv("addr", net::formatAddr(reinterpret_cast<sockaddr*>(&a)))
          .kv("transport", tls ? "tls" : "udp+tcp").kv("workers", n);
      return {};
    }
    return makeError("listen " + spec + ": no port free for both UDP and TCP");
  };
  for (const auto& l : config_.listen)
    if (auto st = bindGroup(l, true, false); !st) return st;
  for (const auto& l : config_.tlsListen)
    if (auto st = bindGroup(l, false, true); !st) return st;
  return {};
}

Status Server::writeReadyFile() {
  if (readyFile_.empty()) return {};
  std::string tmp = readyFile_ + ".tmp";
  {
    std::ofstream out(tmp);
    for (const auto& l : readyLines_) out << l << "\n";
    out << "pid " << getpid() << "\n";
    if (!out) return makeError("cannot write ready file " + tmp);
  }
  if (std::rename(tmp.c_str(), readyFile_.c_str()) != 0) return makeError("cannot write ready file " + readyFile_);
  return {};
}

Status Server::start() {
  uv_loop_init(&loop_);
  loop_.data = this;
  uv_async_init(&loop_, &changedAsync_, onZonesChanged);
  auto zones = loadZones(config_);
  if (!zones) return zones.error();
  updater_ = std::make_unique<Updater>(shared_, [this](const std::string& origin) {
    {
      std::lock_guard<std::mutex> g(changedMu_);
      changed_.push_back(origin);
    }
    uv_async_send(&changedAsync_);
  });
  auto live = updater_->init(config_, *zones);
  if (!live) return live.error();
  shared_.store.publish(*live);
  shared_.updater = updater_.get();
  shared_.limits.udpMaxPayload = config_.udpMaxPayload;
  shared_.tcpIdleTimeoutMs = config_.tcpIdleTimeoutMs;
  shared_.tcpMaxConnections = config_.tcpMaxConnections;
  {
    auto policy = makePolicy(config_);
    if (!policy) return policy.error();
    shared_.policy = *policy;
  }
  if (!config_.tlsListen.empty())
    if (auto st = makeTlsContext(config_, shared_.tls); !st) return st;
  if (config_.listen.empty() && config_.tlsListen.empty()) return makeError("nothing to listen on (--listen)");
  if (auto st = bindAll(); !st) return st;

  notifier_ = std::make_unique<Notifier>(&loop_, control_);
  if (auto st = notifier_->start(); !st) return st;
  metrics_ = std::make_unique<Metrics>();
  if (!config_.metricsListen.empty()) {
    metrics_->http = std::make_unique<http::Server>(&loop_, [this](const http::Request& req) {
      http::Response r;
      if (req.path != "/metrics") {
        r.status = 404;
        r.body = "not found; try /metrics\n";
        return r;
      }
      std::vector<const WorkerStats*> stats;
      for (const auto& w : workers_) stats.push_back(&w->stats());
      r.contentType = "text/plain; version=0.0.4; charset=utf-8";
      r.body = renderMetrics(stats, control_, *shared_.store.get(), &updater_->stats());
      return r;
    });
    auto port = metrics_->http->listen(config_.metricsListen);
    if (!port) return makeError("metrics: " + port.error().message);
    auto addr = net::parseHostPort(config_.metricsListen);
    readyLines_.push_back("metrics " + net::formatHost(reinterpret_cast<sockaddr*>(&*addr)) + " " + std::to_string(*port));
  }
  for (size_t i = 0; i < sockets_.size(); ++i) {
    workers_.push_back(std::make_unique<Worker>(static_cast<int>(i), shared_, std::move(sockets_[i])));
    workers_.back()->start();
  }
  uv_signal_init(&loop_, &sigHup_);
  uv_signal_init(&loop_, &sigTerm_);
  uv_signal_init(&loop_, &sigInt_);
  uv_signal_start(&sigHup_, onSignal, SIGHUP);
  uv_signal_start(&sigTerm_, onSignal, SIGTERM);
  uv_signal_start(&sigInt_, onSignal, SIGINT);
  uv_signal_init(&loop_, &sigUsr1_);
  uv_signal_start(&sigUsr1_, onSignal, SIGUSR1);
  updater_->start();
  notifyChanged(nullptr, *shared_.store.get());
  if (auto st = writeReadyFile(); !st) return st;
  log::info("authority").kv("zones", config_.zones.size()).kv("workers", workers_.size()).msg("ready");
  return {};
}

const tsig::Key* Server::notifyKey(const ZoneConfig& zc) {
  if (zc.notifyKey.empty()) return nullptr;
  notifyPolicy_ = shared_.getPolicy();  // keeps the keyring alive while the pointer is used
  return notifyPolicy_->keys.find(zc.notifyKey);
}

void Server::notifyChanged(const ZoneSet* before, const ZoneSet& after) {
  for (const auto& zc : config_.zones) {
    if (zc.notify.empty()) continue;
    auto origin = dns::nameFromText(zc.name);
    if (!origin) continue;
    std::string lower = dns::lowerName(*origin);
    const Zone* now = after.exact(lower);
    const Zone* old = before ? before->exact(lower) : nullptr;
    if (now && (!old || old->serial() != now->serial())) notifier_->notify(*now, zc.notify, notifyKey(zc));
  }
}

void Server::reload() {
  log::info("authority.reload").msg("SIGHUP: reloading configuration and zones");
  Config next = config_;
  try {
    if (!configFile_.empty()) {
      next = loadConfig(configFile_);
      for (const auto& z : config_.zones)
        if (z.fromFlags) next.zones.push_back(z);
      validateConfig(next);
      // Listeners and threads are fixed at start; a change needs a restart.
      next.listen = config_.listen;
      next.tlsListen = config_.tlsListen;
      next.threads = config_.threads;
      next.metricsListen = config_.metricsListen;
    }
  } catch (const ConfigError& e) {
    control_.reloadFailures.inc();
    log::error("authority.reload").kv("error", e.what()).msg("bad configuration; keeping the old one");
    return;
  }
  auto zones = loadZones(next);
  if (!zones) {
    control_.reloadFailures.inc();
    log::error("authority.reload").kv("error", zones.error().message).msg("bad zone; keeping the old ones");
    return;
  }
  auto policy = makePolicy(next);
  if (!policy) {
    control_.reloadFailures.inc();
    log::error("authority.reload").kv("error", policy.error().message).msg("bad key; keeping the old configuration");
    return;
  }
  auto before = shared_.store.get();
  config_ = next;
  {
    std::lock_guard<std::mutex> g(shared_.policyMu);
    shared_.policy = *policy;
  }
  // Static zones are replaced here; dynamic ones go through the updater, which keeps their
  // updated versions unless the file is newer.
  shared_.store.modify([&](ZoneSet& set) {
    for (const auto& [origin, z] : before->all())
      if (!(*zones)->exact(origin) && !updater_->handles(origin)) set.remove(origin);
    for (const auto& [origin, z] : (*zones)->all())
      if (!updater_->handles(origin)) set.add(z);
  });
  updater_->reload(config_, *zones);
  control_.reloads.inc();
  auto after = shared_.store.get();
  notifyChanged(before.get(), *after);
  log::info("authority.reload").kv("zones", (*zones)->all().size()).msg("done");
}

void Server::onSignal(uv_signal_t* s, int signum) noexcept {
  auto* self = static_cast<Server*>(s->loop->data);
  if (signum == SIGHUP) {
    self->reload();
    return;
  }
  if (signum == SIGUSR1) {
    log::info("authority").msg("SIGUSR1: writing dynamic zones back to their files");
    self->updater_->requestWriteback();
    return;
  }
  log::info("authority").kv("signal", signum == SIGTERM ? "SIGTERM" : "SIGINT").msg("stopping");
  self->stopAll();
}

void Server::onZonesChanged(uv_async_t* a) noexcept {
  auto* self = static_cast<Server*>(a->loop->data);
  std::vector<std::string> changed;
  {
    std::lock_guard<std::mutex> g(self->changedMu_);
    changed.swap(self->changed_);
  }
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  auto zones = self->shared_.store.get();
  for (const auto& origin : changed) {
    const Zone* z = zones->exact(origin);
    if (!z) continue;
    for (const auto& zc : self->config_.zones)
      if (auto n = dns::nameFromText(zc.name); n && dns::nameEqual(*n, origin) && !zc.notify.empty())
        self->notifier_->notify(*z, zc.notify, self->notifyKey(zc));  // replaces a pending one: coalesced
  }
}

void Server::stopAll() {
  // The updater first: it answers what is queued (through the still-running workers) and writes
  // the dynamic zones back.
  updater_->stop();
  for (auto& w : workers_) w->stop();
  for (auto& w : workers_) w->join();
  notifier_->close();
  if (metrics_ && metrics_->http) metrics_->http->close();
  uv_close(reinterpret_cast<uv_handle_t*>(&sigHup_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigTerm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigInt_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigUsr1_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&changedAsync_), nullptr);
}

int Server::run() {
  uv_run(&loop_, UV_RUN_DEFAULT);
  int rc = uv_loop_close(&loop_);
  if (rc != 0) log::warn("authority").msg("control loop closed with handles open");
  workers_.clear();
  if (!readyFile_.empty()) std::remove(readyFile_.c_str());
  log::info("authority").msg("stopped");
  return 0;
}

}  // namespace cdns::authority
