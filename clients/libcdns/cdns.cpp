// libcdns: service and relay look-ups through a cdns-resolver, c-ares as transport on libuv.
// Queries are built and answers read with ldns (c-ares 1.18 only moves the bytes: ares_send).
#include "cdns/cdns.h"

#include <arpa/inet.h>
#include <ares.h>
#include <ldns/ldns.h>
#include <uv.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>

#include "dns_message.h"

namespace cdns::client {
namespace {

// "127.0.0.1", "127.0.0.1:5353", "[::1]:5353", "::1" -> c-ares' "host:port" list form.
Result<std::string> serverCsv(const std::string& s) {
  std::string host = s, port = "53";
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string::npos) return Error{Error::Kind::kBadArgument, "server \"" + s + "\": missing ']'"};
    host = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':') return Error{Error::Kind::kBadArgument, "server \"" + s + "\": expected :PORT after ]"};
      port = s.substr(close + 2);
    }
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    host = s.substr(0, s.find(':'));
    port = s.substr(s.find(':') + 1);
  }
  unsigned char buf[16];
  bool v6 = inet_pton(AF_INET6, host.c_str(), buf) == 1;
  if (!v6 && inet_pton(AF_INET, host.c_str(), buf) != 1)
    return Error{Error::Kind::kBadArgument, "server \"" + s + "\": not a numeric IP address"};
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end || p < 1 || p > 65535) return Error{Error::Kind::kBadArgument, "server \"" + s + "\": bad port"};
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(p);
}

void initLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

}  // namespace

struct Client::Impl {
  Options opts;
  uv_loop_t* loop = nullptr;
  std::unique_ptr<uv_loop_t> own;  // the blocking client's private loop
  ares_channel channel = nullptr;
  std::optional<Error> initError;
  uv_timer_t* timer = nullptr;
  std::map<ares_socket_t, uv_poll_t*> polls;
  size_t pending = 0;

  Impl(uv_loop_t* l, Options o) : opts(std::move(o)), loop(l) {
    initLibrary();
    if (!loop) {
      own = std::make_unique<uv_loop_t>();
      uv_loop_init(own.get());
      loop = own.get();
    }
    if (opts.server.empty())
      if (const char* e = std::getenv("CDNS_RESOLVER")) opts.server = e;
    if (opts.zone.empty())
      if (const char* e = std::getenv("CDNS_ZONE")) opts.zone = e;
    if (!opts.zone.empty() && opts.zone.back() != '.') opts.zone += '.';
    timer = new uv_timer_t;
    uv_timer_init(loop, timer);
    timer->data = this;
    ares_options ao{};
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
    ao.sock_state_cb = &Impl::onSockState;
    ao.sock_state_cb_data = this;
    ao.timeout = std::max(opts.timeoutMs, 1);
    ao.tries = std::max(opts.tries, 1);
    // Keep REFUSED/SERVFAIL answers (they are data), TCP when asked.
    ao.flags = ARES_FLAG_NOCHECKRESP | (opts.tcp ? ARES_FLAG_USEVC : 0);
    if (int rc = ares_init_options(&channel, &ao, mask); rc != ARES_SUCCESS) {
      initError = Error{Error::Kind::kBadArgument, std::string("c-ares: ") + ares_strerror(rc)};
      channel = nullptr;
      return;
    }
    if (!opts.server.empty()) {
      auto csv = serverCsv(opts.server);
      if (!csv) initError = csv.error();
      else if (int rc = ares_set_servers_ports_csv(channel, csv->c_str()); rc != ARES_SUCCESS)
        initError = Error{Error::Kind::kBadArgument, "server \"" + opts.server + "\": " + ares_strerror(rc)};
    }
  }

  ~Impl() {
    if (channel) ares_destroy(channel);  // runs pending callbacks with ARES_EDESTRUCTION
    for (auto& [fd, p] : polls) uv_close(reinterpret_cast<uv_handle_t*>(p), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    if (own) {
      uv_run(own.get(), UV_RUN_DEFAULT);
      uv_loop_close(own.get());
    }
  }

  // c-ares tells which sockets to watch; libuv watches them (c-ares' documented integration).
  static void onSockState(void* data, ares_socket_t fd, int readable, int writable) noexcept {
    auto* self = static_cast<Impl*>(data);
    auto it = self->polls.find(fd);
    if (!readable && !writable) {
      if (it != self->polls.end()) {
        uv_close(reinterpret_cast<uv_handle_t*>(it->second), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
        self->polls.erase(it);
      }
      return;
    }
    uv_poll_t* p;
    if (it == self->polls.end()) {
      p = new uv_poll_t;
      uv_poll_init_socket(self->loop, p, fd);
      p->data = self;
      self->polls[fd] = p;
    } else {
      p = it->second;
    }
    uv_poll_start(p, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0), &Impl::onPoll);
  }

  static void onPoll(uv_poll_t* p, int status, int events) noexcept {
    auto* self = static_cast<Impl*>(p->data);
    ares_socket_t fd = ARES_SOCKET_BAD;
    uv_fileno(reinterpret_cast<uv_handle_t*>(p), &fd);
    // An error on the socket: let c-ares read (and fail) it.
    if (status < 0) events = UV_READABLE | UV_WRITABLE;
    ares_process_fd(self->channel, (events & UV_READABLE) ? fd : ARES_SOCKET_BAD, (events & UV_WRITABLE) ? fd : ARES_SOCKET_BAD);
    self->armTimer();
  }

  static void onTimer(uv_timer_t* t) noexcept {
    auto* self = static_cast<Impl*>(t->data);
    ares_process_fd(self->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    self->armTimer();
  }

  void armTimer() {
    if (!pending) {
      uv_timer_stop(timer);
      return;
    }
    timeval tv{};
    timeval* next = ares_timeout(channel, nullptr, &tv);
    uint64_t ms = next ? static_cast<uint64_t>(next->tv_sec) * 1000 + static_cast<uint64_t>(next->tv_usec) / 1000 + 1 : 100;
    uv_timer_start(timer, &Impl::onTimer, ms, 0);
  }

  // Sends one query; `done` gets the answer's bytes or an Error.
  using Done = std::function<void(Result<std::vector<uint8_t>>)>;
  void send(const std::vector<uint8_t>& msg, Done done) {
    if (initError) {
      done(*initError);
      return;
    }
    struct Ctx {
      Impl* self;
      Done done;
    };
    ++pending;
    auto* ctx = new Ctx{this, std::move(done)};
    ares_send(channel, msg.data(), static_cast<int>(msg.size()),
              [](void* arg, int status, int, unsigned char* abuf, int alen) noexcept {
                std::unique_ptr<Ctx> c(static_cast<Ctx*>(arg));
                --c->self->pending;
                if (status == ARES_SUCCESS && abuf && alen > 0) {
                  c->done(std::vector<uint8_t>(abuf, abuf + alen));
                  return;
                }
                Error::Kind kind = status == ARES_ETIMEOUT ? Error::Kind::kTimeout : Error::Kind::kUnreachable;
                std::string why = status == ARES_ETIMEOUT ? "timed out" : ares_strerror(status);
                if (status == ARES_ECONNREFUSED) why = "connection refused";
                if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) kind = Error::Kind::kTimeout, why = "cancelled";
                const std::string& server = c->self->opts.server;
                c->done(Error{kind, "resolver " + (server.empty() ? std::string("(system default)") : server) + ": " + why});
              },
              ctx);
    armTimer();
  }

  // The relay's address when the SRV answer did not carry it: A, then AAAA.
  void lookupAddress(RelayEndpoint ep, ldns_rr_type type, std::function<void(Result<RelayEndpoint>)> done) {
    auto q = detail::buildQuery(ep.host, type, {});
    if (!q) return done(q.error());
    send(*q, [this, ep, type, done = std::move(done)](Result<std::vector<uint8_t>> a) mutable {
      if (!a) return done(a.error());
      ep.address = detail::firstAddress(*a, ep.host);
      if (!ep.address.empty()) return done(ep);
      if (type == LDNS_RR_TYPE_A) return lookupAddress(std::move(ep), LDNS_RR_TYPE_AAAA, std::move(done));
      done(Error{Error::Kind::kNotFound, "relay of " + ep.center + ": no address for " + ep.host});
    });
  }

  // Runs the loop until `*flag` (blocking calls).
  void runUntil(const bool* flag) {
    while (!*flag) uv_run(loop, UV_RUN_ONCE);
  }
};

Client::Client(Options options) : impl_(std::make_unique<Impl>(nullptr, std::move(options))) {}
Client::Client(uv_loop_s* loop, Options options) : impl_(std::make_unique<Impl>(loop, std::move(options))) {}
Client::~Client() = default;
const Options& Client::options() const { return impl_->opts; }

void Client::resolve(const std::string& service, const Requirements& req, bool explain,
                     std::function<void(Result<Resolution>)> done) {
  if (service.empty() || service.find('.') != std::string::npos)
    return done(Error{Error::Kind::kBadArgument, "service \"" + service + "\": expected one label (\"train\")"});
  if (impl_->opts.zone.empty())
    return done(Error{Error::Kind::kBadArgument, "no compute zone: set Options::zone or CDNS_ZONE"});
  for (const auto& [k, v] : req)
    if (k.empty() || v.empty() || k.find_first_of("=,") != std::string::npos || v.find(',') != std::string::npos)
      return done(Error{Error::Kind::kBadArgument, "requirement \"" + k + "=" + v + "\": empty, or with '=' or ','"});
  std::string qname = service + ".svc." + impl_->opts.zone;
  auto msg = detail::buildQuery(qname, LDNS_RR_TYPE_A, detail::serviceOptions(req, explain));
  if (!msg) return done(msg.error());
  impl_->send(*msg, [service, qname, done = std::move(done)](Result<std::vector<uint8_t>> r) {
    if (!r) return done(r.error());
    done(detail::readResolution(*r, service, qname));
  });
}

Result<Resolution> Client::resolve(const std::string& service, const Requirements& req, bool explain) {
  std::optional<Result<Resolution>> out;
  bool finished = false;
  resolve(service, req, explain, [&](Result<Resolution> r) {
    out.emplace(std::move(r));
    finished = true;
  });
  impl_->runUntil(&finished);
  return std::move(*out);
}

void Client::findRelay(const std::string& center, std::function<void(Result<RelayEndpoint>)> done) {
  if (center.empty() || center.find('.') != std::string::npos)
    return done(Error{Error::Kind::kBadArgument, "center \"" + center + "\": expected one label (\"sz1\")"});
  if (impl_->opts.zone.empty())
    return done(Error{Error::Kind::kBadArgument, "no compute zone: set Options::zone or CDNS_ZONE"});
  std::string qname = "_relay._tcp." + center + ".centers." + impl_->opts.zone;
  auto msg = detail::buildQuery(qname, LDNS_RR_TYPE_SRV, {});
  if (!msg) return done(msg.error());
  Impl* impl = impl_.get();
  impl->send(*msg, [impl, center, qname, done = std::move(done)](Result<std::vector<uint8_t>> r) {
    if (!r) return done(r.error());
    auto ep = detail::readRelay(*r, center, qname);
    if (!ep || !ep->address.empty()) return done(std::move(ep));
    // The target's address was not in the answer: ask for it (A, then AAAA).
    impl->lookupAddress(std::move(*ep), LDNS_RR_TYPE_A, std::move(done));
  });
}

Result<RelayEndpoint> Client::findRelay(const std::string& center) {
  std::optional<Result<RelayEndpoint>> out;
  bool finished = false;
  findRelay(center, [&](Result<RelayEndpoint> r) {
    out.emplace(std::move(r));
    finished = true;
  });
  impl_->runUntil(&finished);
  return std::move(*out);
}

Result<Requirements> parseRequirements(std::string_view text) {
  Requirements out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    std::string item(text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      return Error{Error::Kind::kBadArgument, "requirement \"" + item + "\": expected KEY=VALUE"};
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace cdns::client
