// Forwarding to upstream servers with c-ares, driven by the resolver's libuv loop: c-ares reports
// the sockets it wants watched (sock_state_cb) and we watch them with uv_poll; a uv_timer wakes
// it for its timeouts. Nothing here blocks the loop.
#include "resolver/forward.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "common/dns.h"
#include "common/log.h"
#include "common/net.h"

namespace cdns::resolver {
namespace {

constexpr size_t kMaxInflight = 10000;  // distinct questions waiting for an upstream
constexpr size_t kMaxWaiters = 256;     // clients waiting for the same question

// The OPT record of our replies (RFC 6891 §6.1.2): our buffer size, DO echoed (RFC 3225 §3), and
// optionally an Extended DNS Error (RFC 8914 §2) with extra text.
size_t writeOpt(uint8_t* p, const authority::ParsedQuery& q, int ede, const std::string& text) {
  uint8_t opt[11] = {0, 0, dns::kOPT, 0, 0, 0, 0, static_cast<uint8_t>(q.ednsDo ? 0x80 : 0),
                     0, 0, 0};
  dns::put16(opt + 3, kForwardUdpPayload);
  size_t n = sizeof opt;
  if (ede >= 0) dns::put16(opt + 9, static_cast<uint16_t>(6 + text.size()));
  std::memcpy(p, opt, n);
  if (ede >= 0) {
    dns::put16(p + n, 15);
    dns::put16(p + n + 2, static_cast<uint16_t>(2 + text.size()));
    dns::put16(p + n + 4, static_cast<uint16_t>(ede));
    std::memcpy(p + n + 6, text.data(), text.size());
    n += 6 + text.size();
  }
  return n;
}

// The client's payload limit for a UDP reply (RFC 6891 §6.2.5), capped at what we offer.
size_t udpLimit(const authority::ParsedQuery& q) {
  if (!q.hasEdns) return 512;
  return std::clamp<size_t>(q.ednsPayload, 512, kForwardUdpPayload);
}

std::string aresText(int status) { return ares_strerror(status); }

}  // namespace

ForwardConfig ForwardConfig::fromConfig(const ConfigNode& node) {
  node.checkKnown({"upstreams", "timeout_ms", "attempts", "cache_size", "cache_bytes", "max_ttl",
                   "max_negative_ttl"});
  ForwardConfig c;
  auto ups = node.strings("upstreams");
  if (ups.empty()) node.fail("upstreams", "expected at least one address");
  for (size_t i = 0; i < ups.size(); ++i) {
    auto a = net::parseHostPort(ups[i], 53);
    if (!a)
      throw ConfigError(node.pathOf("upstreams") + "/" + std::to_string(i), a.error().message);
    c.upstreams.push_back(*a);
  }
  c.timeoutMs = static_cast<int>(node.integer("timeout_ms", 10, 60000, c.timeoutMs));
  c.attempts = static_cast<int>(node.integer("attempts", 1, 10, c.attempts));
  c.cache.maxEntries = static_cast<size_t>(
      node.integer("cache_size", 0, 100000000, static_cast<int64_t>(c.cache.maxEntries)));
  c.cache.maxBytes = static_cast<size_t>(
      node.integer("cache_bytes", 65536, int64_t{1} << 40, static_cast<int64_t>(c.cache.maxBytes)));
  c.ttl.maxTtl = static_cast<uint32_t>(node.integer("max_ttl", 1, 604800, c.ttl.maxTtl));
  c.ttl.maxNegativeTtl =
      static_cast<uint32_t>(node.integer("max_negative_ttl", 0, 86400, c.ttl.maxNegativeTtl));
  return c;
}

size_t writeForwardReply(const authority::ParsedQuery& q, const std::vector<uint8_t>& stored,
                         bool udp, uint8_t* out, size_t cap) {
  size_t qend = dns::kHeaderSize + q.qnameLen + 4;
  if (stored.size() < qend || dns::get16(stored.data() + 4) != 1) return 0;
  std::string_view sname(reinterpret_cast<const char*>(stored.data()) + dns::kHeaderSize,
                         q.qnameLen);
  if (!dns::nameEqual(sname,
                      std::string_view(reinterpret_cast<const char*>(q.qname), q.qnameLen)) ||
      dns::get16(stored.data() + qend - 4) != q.qtype ||
      dns::get16(stored.data() + qend - 2) != q.qclass)
    return 0;
  size_t optLen = q.hasEdns ? 11 : 0;
  size_t limit = std::min(cap, udp ? udpLimit(q) : size_t{65535});
  uint16_t sflags = dns::get16(stored.data() + 2);
  uint16_t flags = static_cast<uint16_t>(
      dns::kFlagQR | dns::kFlagRA | (q.flags & (dns::kFlagRD | dns::kFlagCD)) | (sflags & 0xF));
  // RFC 6840 §5.8: AD only to a client that asked for it (AD or DO set).
  if ((sflags & dns::kFlagAD) && (q.ednsDo || (q.flags & dns::kFlagAD))) flags |= dns::kFlagAD;
  bool tc = stored.size() + optLen > limit;  // RFC 1035 §4.2.1: the client retries over TCP
  size_t body = tc ? qend : stored.size();
  if (body + optLen > limit) return 0;
  std::memcpy(out, stored.data(), body);
  dns::put16(out, q.id);
  dns::put16(out + 2, static_cast<uint16_t>(flags | (tc ? dns::kFlagTC : 0)));
  std::memcpy(out + dns::kHeaderSize, q.qname, q.qnameLen);  // the client's spelling (RFC 4343)
  if (tc) std::memset(out + 6, 0, 6);
  if (q.hasEdns) {
    writeOpt(out + body, q, -1, "");
    dns::put16(out + 10, static_cast<uint16_t>(dns::get16(out + 10) + 1));
  }
  return body + optLen;
}

size_t writeForwardFailure(const authority::ParsedQuery& q, uint16_t code, const std::string& text,
                           uint8_t* out, size_t cap) {
  std::string t = text.substr(0, 300);
  size_t qend = dns::kHeaderSize + q.qnameLen + 4;
  if (qend + 17 + t.size() > cap) return 0;
  std::memset(out, 0, dns::kHeaderSize);
  dns::put16(out, q.id);
  dns::put16(out + 2,
             static_cast<uint16_t>(dns::kFlagQR | dns::kFlagRA |
                                   (q.flags & (dns::kFlagRD | dns::kFlagCD)) | dns::kServFail));
  dns::put16(out + 4, 1);
  std::memcpy(out + dns::kHeaderSize, q.qname, q.qnameLen);
  dns::put16(out + qend - 4, q.qtype);
  dns::put16(out + qend - 2, q.qclass);
  if (!q.hasEdns) return qend;
  dns::put16(out + 10, 1);
  return qend + writeOpt(out + qend, q, code, t);
}

// One socket c-ares wants watched.
struct Forwarder::Poll {
  uv_poll_t h;
  Forwarder* self;
  ares_socket_t fd;
};

Forwarder::Forwarder(uv_loop_t* loop, const ForwardConfig& config)
    : loop_(loop), config_(config), cache_(config.cache) {}

Result<std::unique_ptr<Forwarder>> Forwarder::create(uv_loop_t* loop, const ForwardConfig& config) {
  static std::once_flag once;
  static int libStatus = ARES_SUCCESS;
  std::call_once(once, [] { libStatus = ares_library_init(ARES_LIB_INIT_ALL); });
  if (libStatus != ARES_SUCCESS) return makeError("c-ares: " + aresText(libStatus));
  std::unique_ptr<Forwarder> f(new Forwarder(loop, config));
  ares_options opts{};
  opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  opts.timeout = config.timeoutMs;
  opts.tries = config.attempts;
  opts.sock_state_cb = [](void* data, ares_socket_t fd, int readable, int writable) noexcept {
    static_cast<Forwarder*>(data)->sockState(fd, readable != 0, writable != 0);
  };
  opts.sock_state_cb_data = f.get();
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
  int rc = ares_init_options(&f->channel_, &opts, mask);
  if (rc != ARES_SUCCESS) {
    f->channel_ = nullptr;
    return makeError("c-ares: " + aresText(rc));
  }
  std::vector<ares_addr_port_node> nodes(config.upstreams.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto* sa = reinterpret_cast<const sockaddr*>(&config.upstreams[i]);
    auto& n = nodes[i];
    n.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
    n.family = sa->sa_family;
    if (sa->sa_family == AF_INET)
      std::memcpy(&n.addr.addr4, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr,
                  sizeof n.addr.addr4);
    else
      std::memcpy(&n.addr.addr6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr,
                  sizeof n.addr.addr6);
    n.udp_port = n.tcp_port = net::portOf(sa);
  }
  rc = ares_set_servers_ports(f->channel_, nodes.empty() ? nullptr : nodes.data());
  if (rc != ARES_SUCCESS) return makeError("c-ares: cannot set the upstreams: " + aresText(rc));
  f->timer_ = new uv_timer_t;
  uv_timer_init(loop, f->timer_);
  f->timer_->data = f.get();
  for (const auto& u : config.upstreams)
    f->upstreamList_ += (f->upstreamList_.empty() ? "" : ",") +
                        net::formatAddr(reinterpret_cast<const sockaddr*>(&u));
  log::info("resolver.forward")
      .kv("upstreams", f->upstreamList_)
      .kv("timeout_ms", config.timeoutMs)
      .kv("attempts", config.attempts)
      .kv("cache_size", config.cache.maxEntries)
      .msg("forwarding names outside the compute zones");
  return f;
}

Forwarder::~Forwarder() {
  log::info("resolver.forward")
      .kv("queries", stats_.queries)
      .kv("cache_hits", stats_.cacheHits)
      .kv("upstream_queries", stats_.upstreamQueries)
      .kv("upstream_failures", stats_.upstreamFailures)
      .kv("coalesced", stats_.coalesced)
      .kv("cache_entries", cache_.size())
      .kv("evictions", cache_.stats().evictions)
      .msg("stopped");
  // Fails what is in flight (callbacks with ARES_EDESTRUCTION) and closes its sockets, which
  // closes their polls through sockState.
  if (channel_) ares_destroy(channel_);
  for (auto& [fd, p] : polls_) {
    uv_poll_stop(&p->h);
    uv_close(reinterpret_cast<uv_handle_t*>(&p->h),
             [](uv_handle_t* h) noexcept { delete static_cast<Poll*>(h->data); });
  }
  if (timer_)
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_timer_t*>(h); });
}

void Forwarder::sockState(ares_socket_t fd, bool readable, bool writable) {
  auto it = polls_.find(fd);
  if (!readable && !writable) {
    if (it == polls_.end()) return;
    uv_poll_stop(&it->second->h);  // before c-ares closes the socket
    uv_close(reinterpret_cast<uv_handle_t*>(&it->second->h),
             [](uv_handle_t* h) noexcept { delete static_cast<Poll*>(h->data); });
    polls_.erase(it);
    return;
  }
  Poll* p;
  if (it != polls_.end()) {
    p = it->second;
  } else {
    p = new Poll{{}, this, fd};
    if (int rc = uv_poll_init_socket(loop_, &p->h, fd); rc != 0) {
      log::error("resolver.forward")
          .kv("fd", fd)
          .kv("error", uv_strerror(rc))
          .msg("cannot watch an upstream socket");
      delete p;
      return;
    }
    p->h.data = p;
    polls_[fd] = p;
  }
  int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  uv_poll_start(&p->h, events, [](uv_poll_t* h, int status, int ev) noexcept {
    auto* poll = static_cast<Poll*>(h->data);
    Forwarder* self = poll->self;
    ares_socket_t s = poll->fd;  // the poll may be closed while c-ares processes
    bool r = status < 0 || (ev & UV_READABLE), w = status < 0 || (ev & UV_WRITABLE);
    ares_process_fd(self->channel_, r ? s : ARES_SOCKET_BAD, w ? s : ARES_SOCKET_BAD);
    self->armTimer();
  });
}

void Forwarder::armTimer() {
  timeval tv{};
  timeval* t = ares_timeout(channel_, nullptr, &tv);
  if (!t) {
    uv_timer_stop(timer_);
    return;
  }
  uint64_t ms =
      static_cast<uint64_t>(t->tv_sec) * 1000 + static_cast<uint64_t>(t->tv_usec + 999) / 1000;
  uv_timer_start(
      timer_,
      [](uv_timer_t* h) noexcept {
        auto* self = static_cast<Forwarder*>(h->data);
        ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        self->armTimer();
      },
      ms, 0);
}

std::vector<uint8_t> Forwarder::upstreamQuery(const authority::ParsedQuery& q, bool edns) {
  // RD (we forward), AD to learn whether the upstream validated (RFC 6840 §5.7), CD as asked; the
  // ID is c-ares' to choose.
  size_t qend = dns::kHeaderSize + q.qnameLen + 4;
  std::vector<uint8_t> m(qend + (edns ? 11 : 0), 0);
  dns::put16(m.data() + 2,
             static_cast<uint16_t>(dns::kFlagRD | dns::kFlagAD | (q.flags & dns::kFlagCD)));
  dns::put16(m.data() + 4, 1);
  dns::put16(m.data() + 10, edns ? 1 : 0);
  std::memcpy(m.data() + dns::kHeaderSize, q.lname, q.qnameLen);
  dns::put16(m.data() + qend - 4, q.qtype);
  dns::put16(m.data() + qend - 2, q.qclass);
  if (edns) writeOpt(m.data() + qend, q, -1, "");
  return m;
}

bool Forwarder::handle(const uint8_t* msg, size_t len, bool udp,
                       const std::vector<ComputeZone>& zones, Reply reply) {
  authority::ParsedQuery q;
  if (authority::parseQuery(msg, len, q) != authority::ParseStatus::kOk) return false;
  if (q.opcode != dns::kOpQuery || q.qclass != dns::kIN || q.hasTsig ||
      (q.hasEdns && q.ednsVersion > 0))
    return false;
  switch (q.qtype) {
    case dns::kOPT:
    case dns::kTSIG:
    case dns::kTKEY:
    case dns::kIXFR:
    case dns::kAXFR:
    case dns::kMAILA:
    case dns::kMAILB:
      return false;
    default:
      break;
  }
  std::string_view lname(reinterpret_cast<const char*>(q.lname), q.qnameLen);
  for (const auto& z : zones)
    if (z.zone && dns::isSubdomain(lname, z.zone->origin())) return false;
  ++stats_.queries;
  std::string key = Cache::key(lname, q.qtype, q.qclass, q.ednsDo, (q.flags & dns::kFlagCD) != 0);
  if (auto hit = cache_.lookup(key, uv_now(loop_))) {
    if (size_t n = writeForwardReply(q, *hit, udp, out_.data(), out_.size())) {
      ++stats_.cacheHits;
      reply(out_.data(), n);
      return true;
    }
  }
  if (auto it = inflight_.find(key);
      it != inflight_.end() && it->second->waiters.size() < kMaxWaiters) {
    ++stats_.coalesced;  // the same question is already on its way upstream
    it->second->waiters.push_back(Waiter{q, udp, std::move(reply)});
    return true;
  }
  if (inflight_.size() >= kMaxInflight || inflight_.count(key)) {
    size_t n = writeForwardFailure(q, kEdeOther, "too many queries waiting for upstreams",
                                   out_.data(), out_.size());
    reply(out_.data(), n);
    return true;
  }
  auto* p = new Pending{this, key, upstreamQuery(q, true), true, {}};
  p->waiters.push_back(Waiter{q, udp, std::move(reply)});
  inflight_[key] = p;
  send(p);
  return true;
}

void Forwarder::send(Pending* p) {
  ++stats_.upstreamQueries;
  // The callback may run before ares_send returns (and free p): nothing touches p after it.
  ares_send(
      channel_, p->query.data(), static_cast<int>(p->query.size()),
      [](void* arg, int status, int, unsigned char* abuf, int alen) noexcept {
        auto* pending = static_cast<Pending*>(arg);
        pending->self->onAnswer(pending, status, abuf,
                                abuf && alen > 0 ? static_cast<size_t>(alen) : 0);
      },
      p);
  armTimer();
}

void Forwarder::upstreamHealth(bool ok, const std::string& why) {
  if (ok == upstreamOk_) return;
  upstreamOk_ = ok;
  if (ok)
    log::info("resolver.forward").msg("upstreams answer again");
  else
    log::warn("resolver.forward")
        .kv("error", why)
        .msg("upstreams fail; forwarded names get SERVFAIL");
}

void Forwarder::fail(Pending* p, uint16_t code, const std::string& text) {
  ++stats_.upstreamFailures;
  upstreamHealth(false, text);
  inflight_.erase(p->key);
  for (auto& w : p->waiters)
    if (size_t n = writeForwardFailure(w.q, code, text, out_.data(), out_.size()))
      w.reply(out_.data(), n);
  delete p;
}

void Forwarder::onAnswer(Pending* p, int status, const uint8_t* abuf, size_t alen) {
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {  // shutting down: no replies
    inflight_.erase(p->key);
    delete p;
    return;
  }
  const std::string& tried = upstreamList_;
  switch (status) {
    case ARES_SUCCESS:
      break;
    case ARES_ETIMEOUT:
      return fail(p, kEdeNoReachableAuthority, "no answer from " + tried + " in time");
    case ARES_ECONNREFUSED:
      return fail(p, kEdeNetworkError, "connection refused by " + tried);
    case ARES_ESERVFAIL:
      return fail(p, kEdeNoReachableAuthority, "SERVFAIL from " + tried);
    case ARES_EREFUSED:
      return fail(p, kEdeNoReachableAuthority, "REFUSED by " + tried);
    case ARES_ENOTIMP:
      return fail(p, kEdeNoReachableAuthority, "NOTIMP from " + tried);
    default:
      return fail(p, kEdeNetworkError, "upstream query failed: " + aresText(status));
  }
  auto r = prepareResponse(abuf, alen, config_.ttl);
  if (!r) return fail(p, kEdeOther, "malformed upstream answer: " + r.error().message);
  // An upstream that does not know EDNS answers FORMERR without OPT (RFC 6891 §7): ask again
  // without it.
  if (r->rcode == dns::kFormErr && !r->upstreamEdns && p->edns) {
    p->edns = false;
    p->query = upstreamQuery(p->waiters.front().q, false);
    return send(p);
  }
  if (r->rcode != dns::kNoError && r->rcode != dns::kNxDomain)
    return fail(p, kEdeNoReachableAuthority, dns::rcodeToText(r->rcode) + " from upstream");
  upstreamHealth(true, "");
  cache_.insert(p->key, *r, uv_now(loop_));
  inflight_.erase(p->key);
  for (auto& w : p->waiters) {
    size_t n = writeForwardReply(w.q, r->wire, w.udp, out_.data(), out_.size());
    if (!n)
      n = writeForwardFailure(w.q, kEdeOther, "upstream answer does not match the question",
                              out_.data(), out_.size());
    w.reply(out_.data(), n);
  }
  delete p;
}

}  // namespace cdns::resolver
