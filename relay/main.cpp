// cdns-relay: the job adapter in front of a center's scheduler.
#include <openssl/rand.h>
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>

#include "common/config.h"
#include "common/daemon_args.h"
#include "common/log.h"
#include "common/net.h"
#include "relay/relay.h"
#include "relay/token.h"

using namespace cdns;

static const char* kUsage = R"(usage: cdns-relay --config FILE [--listen ADDR:PORT] [--ready-file FILE] [--check-config]
       cdns-relay token --key-file FILE --user NAME [--ttl SECONDS]
       cdns-relay keygen

Runs jobs sent by the network on this center's scheduler (a local process runner, or Slurm)
through a JSON API over HTTP/1.1 (TLS off loopback):
  POST   /v1/jobs                       submit {"name", "command": [...] | "script", "resources":
                                        {"cpus", "gpus", "memory", "time_limit"}, "environment", "files"}
  GET    /v1/jobs[?state=S]             the caller's jobs
  GET    /v1/jobs/{id}                  one job: state, times, exit code, where it ran
  DELETE /v1/jobs/{id}                  cancel
  GET    /v1/jobs/{id}/output?stream=stdout|stderr&offset=N   output from a byte offset
  GET    /v1/health, /v1/stats, /metrics
Requests carry "Authorization: Bearer <token>" (minted by `cdns-relay token`).

  token     mint a token for a network user (HMAC-SHA256 with the relay's key, with an expiry)
  keygen    print a new random key for key_file

)";

static uv_loop_t* gLoop = nullptr;

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "keygen") {
    unsigned char key[32];
    RAND_bytes(key, sizeof key);
    unsigned char out[64];
    EVP_EncodeBlock(out, key, sizeof key);
    std::cout << out << "\n";
    return 0;
  }
  if (!args.empty() && args[0] == "token") {
    std::string keyFile, user;
    uint64_t ttl = 3600;
    for (size_t i = 1; i < args.size(); ++i) {
      if (i + 1 >= args.size()) {
        std::cerr << "cdns-relay token: " << args[i] << " needs a value\n";
        return 2;
      }
      if (args[i] == "--key-file") keyFile = args[++i];
      else if (args[i] == "--user") user = args[++i];
      else if (args[i] == "--ttl") {
        const std::string& v = args[++i];
        char* end = nullptr;
        ttl = v.empty() || v[0] == '-' ? 0 : std::strtoull(v.c_str(), &end, 10);
        if (!end || *end || ttl > 10ULL * 365 * 86400) {
          std::cerr << "cdns-relay token: --ttl " << v << ": expected seconds from 0 (already expired, for tests) to " << 10ULL * 365 * 86400 << "\n";
          return 2;
        }
      }
      else {
        std::cerr << "cdns-relay token: unknown option " << args[i] << "\n";
        return 2;
      }
    }
    if (keyFile.empty() || user.empty()) {
      std::cerr << "cdns-relay token: --key-file and --user are required\n";
      return 2;
    }
    auto key = relay::loadKeyFile(keyFile);
    if (!key) {
      std::cerr << "cdns-relay token: " << key.error().message << "\n";
      return 2;
    }
    std::cout << relay::mintToken(*key, user, static_cast<uint64_t>(time(nullptr)) + ttl) << "\n";
    return 0;
  }
  auto parsed = parseDaemonArgs(args);
  if (!parsed) {
    std::cerr << "cdns-relay: " << parsed.error().message << "\n";
    return 2;
  }
  if (parsed->help) {
    std::cout << kUsage << relay::kConfigHelp;
    return 0;
  }
  const std::string &configFile = parsed->configFile, &listen = parsed->listen, &readyFile = parsed->readyFile;
  bool check = parsed->check;
  // The configuration, with --listen applied, and the token key; throws ConfigError.
  auto load = [&](relay::Config& cfg, std::vector<uint8_t>& key) {
    cfg = relay::loadConfig(configFile);
    if (!listen.empty()) {
      cfg.listen = listen;
      if (auto a = net::parseHostPort(listen); !a) throw ConfigError("--listen", a.error().message);
      if (!relay::isLoopback(listen) && cfg.tlsCert.empty())
        throw ConfigError("--listen", "plain HTTP is allowed only on loopback; configure \"tls\" to listen on " + listen);
    }
    auto k = relay::loadKeyFile(cfg.keyFile);
    if (!k) throw ConfigError("/key_file", k.error().message);
    key = *k;
  };
  relay::Config cfg;
  std::vector<uint8_t> key;
  try {
    load(cfg, key);
  } catch (const ConfigError& e) {
    std::cerr << "cdns-relay: " << configFile << ": " << e.what() << "\n";
    return 2;
  }
  if (check) {
    std::cout << "configuration OK: backend " << cfg.backend << ", " << cfg.users.size() << " user(s)\n";
    return 0;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  gLoop = &loop;
  relay::Relay r(cfg, key);
  auto port = r.start(&loop);
  if (!port) {
    std::cerr << "cdns-relay: " << port.error().message << "\n";
    return 1;
  }
  auto addr = net::parseHostPort(cfg.listen);
  std::string host = net::formatHost(reinterpret_cast<sockaddr*>(&*addr));
  log::info("relay").kv("listen", host + ":" + std::to_string(*port)).kv("tls", cfg.tlsCert.empty() ? "off" : "on").msg("ready");
  if (!readyFile.empty()) {
    std::ofstream ready(readyFile + ".tmp");
    ready << (cfg.tlsCert.empty() ? "http " : "https ") << host << " " << *port << "\n";
    if (r.statsPort()) {
      auto sa = net::parseHostPort(cfg.statsListen);
      ready << "stats " << net::formatHost(reinterpret_cast<sockaddr*>(&*sa)) << " " << r.statsPort() << "\n";
    }
    ready << "pid " << getpid() << "\n";
    ready.close();
    std::rename((readyFile + ".tmp").c_str(), readyFile.c_str());
  }
  uv_signal_t term, intr;
  uv_signal_init(&loop, &term);
  uv_signal_init(&loop, &intr);
  auto onStop = [](uv_signal_t* s, int) {
    auto* relay = static_cast<relay::Relay*>(s->data);
    relay->stop();
    uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
    uv_walk(s->loop, [](uv_handle_t* h, void*) {
      if (h->type == UV_SIGNAL && !uv_is_closing(h)) uv_close(h, nullptr);
    }, nullptr);
  };
  term.data = intr.data = &r;
  uv_signal_start(&term, onStop, SIGTERM);
  uv_signal_start(&intr, onStop, SIGINT);
  // SIGHUP: reload what can change while running; a configuration that does not load is logged
  // and the running one kept.
  struct Reload {
    relay::Relay* relay;
    std::function<void(relay::Config&, std::vector<uint8_t>&)> load;
    std::string file;
  } reloadCtx{&r, load, configFile};
  uv_signal_t hup;
  uv_signal_init(&loop, &hup);
  hup.data = &reloadCtx;
  uv_signal_start(&hup, [](uv_signal_t* s, int) {
    auto* ctx = static_cast<Reload*>(s->data);
    relay::Config next;
    std::vector<uint8_t> nextKey;
    try {
      ctx->load(next, nextKey);
    } catch (const std::exception& e) {
      log::error("relay.config").kv("file", ctx->file).kv("error", e.what())
          .msg("reload failed; keeping the running configuration");
      return;
    }
    ctx->relay->reload(next, std::move(nextKey));
  }, SIGHUP);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (!readyFile.empty()) std::remove(readyFile.c_str());
  log::info("relay").msg("stopped");
  return 0;
}
