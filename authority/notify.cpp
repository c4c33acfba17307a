// NOTIFY out with retries (RFC 1996 §3.6: resend until answered, with back-off).
#include "authority/notify.h"

#include <cstring>
#include <random>

#include "common/dns.h"
#include "common/log.h"
#include "common/msg_writer.h"
#include "common/net.h"

namespace cdns::authority {

namespace {
constexpr int kMaxAttempts = 5;
constexpr uint64_t kFirstTimeoutMs = 1000;
}  // namespace

struct Notifier::Pending {
  Notifier* owner;
  std::string key;
  std::string target;
  sockaddr_storage addr;
  std::vector<uint8_t> msg;
  uint16_t id;
  int attempts = 0;
  uv_timer_t timer;
};

Notifier::Notifier(uv_loop_t* loop, ControlStats& stats) : loop_(loop), stats_(stats) {
  std::random_device rd;
  nextId_ = static_cast<uint16_t>(rd());
}

Notifier::~Notifier() = default;

Status Notifier::start() {
  sockaddr_in any4{};
  any4.sin_family = AF_INET;
  uv_udp_init(loop_, &udp4_);
  udp4_.data = this;
  if (uv_udp_bind(&udp4_, reinterpret_cast<sockaddr*>(&any4), 0) != 0) return makeError("notify: cannot bind IPv4 socket");
  uv_udp_recv_start(&udp4_, [](uv_handle_t* h, size_t, uv_buf_t* b) {
        auto* n = static_cast<Notifier*>(h->data);
        *b = uv_buf_init(n->recvBuf_, sizeof n->recvBuf_);
      }, onRecv);
  open4_ = true;
  sockaddr_in6 any6{};
  any6.sin6_family = AF_INET6;
  uv_udp_init(loop_, &udp6_);
  udp6_.data = this;
  if (uv_udp_bind(&udp6_, reinterpret_cast<sockaddr*>(&any6), UV_UDP_IPV6ONLY) == 0) {
    uv_udp_recv_start(&udp6_, [](uv_handle_t* h, size_t, uv_buf_t* b) {
          auto* n = static_cast<Notifier*>(h->data);
          *b = uv_buf_init(n->recvBuf_, sizeof n->recvBuf_);
        }, onRecv);
  }
  open6_ = true;  // initialised either way, so close() closes it
  return {};
}

void Notifier::close() {
  for (auto& [k, p] : pending_) {
    Pending* raw = p.release();
    uv_close(reinterpret_cast<uv_handle_t*>(&raw->timer), [](uv_handle_t* h) { delete static_cast<Pending*>(h->data); });
  }
  pending_.clear();
  if (open4_) uv_close(reinterpret_cast<uv_handle_t*>(&udp4_), nullptr);
  if (open6_) uv_close(reinterpret_cast<uv_handle_t*>(&udp6_), nullptr);
  open4_ = open6_ = false;
}

void Notifier::notify(const Zone& zone, const std::vector<std::string>& targets, const tsig::Key* tsigKey) {
  for (const auto& t : targets) {
    auto addr = net::parseHostPort(t, 53);
    if (!addr) {
      log::warn("authority.notify").kv("zone", zone.originText()).kv("target", t).kv("error", addr.error().message);
      continue;
    }
    std::string key = zone.origin() + "|" + t;
    finish(key);  // a newer serial supersedes an unacknowledged notify
    auto p = std::make_unique<Pending>();
    p->owner = this;
    p->key = key;
    p->target = t;
    p->addr = *addr;
    p->id = nextId_++;
    // Header: opcode NOTIFY, AA; question <zone> SOA IN; answer: the new SOA (RFC 1996 §3.7).
    p->msg.resize(512);
    dns::MessageWriter w(p->msg.data(), p->msg.size());
    uint8_t hdr[dns::kHeaderSize] = {};
    dns::put16(hdr, p->id);
    dns::put16(hdr + 2, static_cast<uint16_t>(dns::kOpNotify << 11 | dns::kFlagAA));
    dns::put16(hdr + 4, 1);
    dns::put16(hdr + 6, 1);
    w.raw(hdr, sizeof hdr);
    w.name(zone.origin());
    w.u16(dns::kSOA);
    w.u16(dns::kIN);
    w.rr(zone.origin(), 0, dns::kSOA, zone.soa().ttl, zone.soa().rdata[0]);
    p->msg.resize(w.size());
    if (tsigKey) (void)tsig::signRequest(p->msg, *tsigKey, static_cast<uint64_t>(time(nullptr)));
    uv_timer_init(loop_, &p->timer);
    p->timer.data = p.get();
    Pending& ref = *p;
    pending_[key] = std::move(p);
    send(ref);
    log::info("authority.notify").kv("zone", zone.originText()).kv("target", t).kv("serial", zone.serial());
  }
}

void Notifier::send(Pending& p) {
  uv_udp_t* sock = p.addr.ss_family == AF_INET6 ? &udp6_ : &udp4_;
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(p.msg.data()), static_cast<unsigned>(p.msg.size()));
  uv_udp_try_send(sock, &buf, 1, reinterpret_cast<const sockaddr*>(&p.addr));
  ++p.attempts;
  stats_.notifySent.inc();
  uv_timer_start(&p.timer, onTimer, kFirstTimeoutMs << (p.attempts - 1), 0);
}

void Notifier::onTimer(uv_timer_t* t) noexcept {
  auto* p = static_cast<Pending*>(t->data);
  Notifier* self = p->owner;
  if (p->attempts >= kMaxAttempts) {
    self->stats_.notifyFailed.inc();
    log::warn("authority.notify").kv("target", p->target).kv("attempts", p->attempts).msg("no answer; giving up");
    self->finish(p->key);
    return;
  }
  self->send(*p);
}

void Notifier::finish(const std::string& key) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return;
  Pending* raw = it->second.release();
  pending_.erase(it);
  uv_timer_stop(&raw->timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&raw->timer), [](uv_handle_t* h) { delete static_cast<Pending*>(h->data); });
}

void Notifier::onRecv(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned) noexcept {
  auto* self = static_cast<Notifier*>(h->data);
  if (n < static_cast<ssize_t>(dns::kHeaderSize) || !from) return;
  const auto* m = reinterpret_cast<const uint8_t*>(buf->base);
  uint16_t id = dns::get16(m), flags = dns::get16(m + 2);
  if (!(flags & dns::kFlagQR) || ((flags >> 11) & 0xF) != dns::kOpNotify) return;
  std::string peer = net::formatAddr(from);
  for (auto& [key, p] : self->pending_) {
    if (p->id != id || net::formatAddr(reinterpret_cast<const sockaddr*>(&p->addr)) != peer) continue;
    uint16_t rcode = flags & 0xF;
    if (rcode == dns::kNoError) {
      self->stats_.notifyAcked.inc();
      log::debug("authority.notify").kv("target", p->target).msg("acknowledged");
    } else {
      self->stats_.notifyFailed.inc();
      log::warn("authority.notify").kv("target", p->target).kv("rcode", dns::rcodeToText(rcode)).msg("refused");
    }
    self->finish(std::string(key));
    return;
  }
}

}  // namespace cdns::authority
