// Worker loops: batched UDP (recvmmsg/sendmmsg on a polled socket) and TCP/TLS connections with
// pipelining, idle timeouts, a connection cap and write back-pressure (RFC 7766, RFC 7858).
#include "authority/worker.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <unordered_set>

#include <openssl/err.h>

#include "authority/config.h"
#include "authority/transfer.h"
#include "authority/updater.h"
#include "common/net.h"
#include "common/log.h"

namespace cdns::authority {
namespace {

constexpr size_t kStreamMax = 65535;
constexpr size_t kHighWater = 512 * 1024;  // stop reading / pausing a transfer above this
constexpr size_t kLowWater = 64 * 1024;

void countOutcome(WorkerStats& st, Transport t, const Outcome& o) {
  st.queries[static_cast<int>(t)].inc();
  st.byType[WorkerStats::typeSlot(o.qtype)].inc();
  st.byRcode[o.rcode < kRcodeSlots ? o.rcode : kRcodeSlots - 1].inc();
  if (o.truncated) st.truncated.inc();
}

uint64_t nowSeconds() { return static_cast<uint64_t>(time(nullptr)); }

// TSIG on a request (RFC 8945 §5.2): verifies it and rewrites the response in `out` accordingly:
// signed on success; NOTAUTH with the TSIG error otherwise; FORMERR for a malformed TSIG RR.
// `info` receives the verification (for transfers). Returns false when no answer can be sent.
bool applyTsig(const uint8_t* msg, size_t len, const ParsedQuery& q, Outcome& o, uint8_t* out, size_t cap,
               const TransferPolicy& policy, const QueryLimits& limits, tsig::RequestInfo* info = nullptr) {
  auto v = tsig::verifyRequest(std::span<const uint8_t>(msg, len), policy.keys, nowSeconds());
  if (!v) {
    o.rcode = dns::kFormErr;
    o.len = writeErrorResponse(msg, q, dns::kFormErr, out, cap, limits);
    o.action = Action::kRespond;
    return true;
  }
  if (v->error != tsig::TsigRcode::kNoError) {
    log::info("authority.tsig").kv("key", v->keyName).kv("error", static_cast<int>(v->error))
        .msg("request failed TSIG verification");
    o.rcode = dns::kNotAuth;
    o.len = writeErrorResponse(msg, q, dns::kNotAuth, out, cap, limits);
    o.action = Action::kRespond;
  }
  if (o.action == Action::kRespond) {
    std::vector<uint8_t> resp(out, out + o.len);
    if (!tsig::signResponse(resp, *v, nowSeconds()) || resp.size() > cap) return false;
    std::memcpy(out, resp.data(), resp.size());
    o.len = resp.size();
  }
  if (info) *info = std::move(*v);
  return true;
}

}  // namespace

const ZoneConfig* TransferPolicy::find(std::string_view lowerOrigin) const {
  for (const auto& z : zones) {
    auto n = dns::nameFromText(z.name);
    if (n && dns::nameEqual(*n, lowerOrigin)) return &z;
  }
  return nullptr;
}

// RFC 2136 over any transport: answers at once what needs no zone change (no such zone,
// unsigned, bad signature) and hands the rest to the updater. Returns true when `o` now holds
// an immediate answer, false when the updater will answer through `reply`.
static bool submitUpdate(Worker& w, const uint8_t* msg, size_t len, const ParsedQuery& q, Outcome& o, uint8_t* out,
                  size_t cap, std::function<void(std::vector<uint8_t>)> reply) {
  const QueryLimits& limits = w.shared().limits;
  auto immediate = [&](uint16_t rcode) {
    o.action = Action::kRespond;
    o.rcode = rcode;
    o.len = writeErrorResponse(msg, q, rcode, out, cap, limits);
    return true;
  };
  if (!o.zone) return immediate(dns::kNotAuth);  // RFC 2136 §3.1.2: not a zone we serve
  if (!w.shared().updater || !w.shared().updater->handles(o.zone->origin())) {
    w.mutableStats().updateNotDynamic.inc();
    log::info("authority.update").kv("zone", o.zone->originText()).kv("reason", "not dynamic").msg("refused");
    return immediate(dns::kRefused);  // served, but not open to updates
  }
  auto policy = w.shared().getPolicy();
  if (!q.hasTsig) {
    w.mutableStats().updateUnsigned.inc();
    log::info("authority.update").kv("zone", o.zone->originText()).kv("reason", "unsigned").msg("refused");
    return immediate(dns::kRefused);  // every update must be signed
  }
  auto job = std::make_unique<UpdateJob>();
  Outcome check;
  check.action = Action::kUpdate;
  if (!applyTsig(msg, len, q, check, out, cap, *policy, limits, &job->tsig)) return false;
  if (check.action == Action::kRespond) {  // FORMERR or NOTAUTH with the TSIG error, signed as due
    w.mutableStats().updateBadTsig.inc();
    o = check;
    return true;
  }
  job->msg.assign(msg, msg + len);
  job->policy = std::move(policy);
  job->ednsRequest = q.hasEdns;
  job->ednsPayload = q.ednsPayload;
  job->reply = std::move(reply);
  w.shared().updater->submit(std::move(job));
  return false;
}

// ---------------------------------------------------------------------------------------------
// UDP

const ZoneSet& Worker::zones() {
  uint64_t g = shared_.store.generation();
  if (g != generation_) {
    zones_ = shared_.store.get();
    generation_ = g;
  }
  return *zones_;
}

std::shared_ptr<const ZoneSet> Worker::zonesShared() {
  zones();
  return zones_;
}

void Worker::serveUdp(int fd) {
  size_t truncated = udp_->serve(fd, [&](const uint8_t* msg, size_t len, const sockaddr_storage& from, socklen_t plen,
                                          uint8_t* out, size_t cap) -> size_t {
    ParsedQuery q;  // zones(): the newest version for every datagram (one atomic load when unchanged)
    Outcome o = processQuery(msg, len, out, cap, Transport::kUdp, zones(), shared_.limits, q);
    bool tsigDone = false;
    if (o.action == Action::kUpdate) {
      tsigDone = true;  // submitUpdate verified (and signed any immediate answer)
      int fd2 = fd;
      sockaddr_storage peer = from;
      if (!submitUpdate(*this, msg, len, q, o, out, cap, [fd2, peer, plen](std::vector<uint8_t> answer) {
            sendto(fd2, answer.data(), answer.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&peer), plen);
          }))
        return 0;  // handed to the updater; it answers
    }
    if (q.hasTsig && !tsigDone && o.action == Action::kRespond &&
        !applyTsig(msg, len, q, o, out, cap, *shared_.getPolicy(), shared_.limits))
      o.action = Action::kDrop;
    if (o.action != Action::kRespond) {
      stats_.dropped.inc();
      return 0;
    }
    countOutcome(stats_, Transport::kUdp, o);
    return o.len;
  });
  for (size_t i = 0; i < truncated; ++i) stats_.dropped.inc();
}

void Worker::onUdpReadable(uv_poll_t* h, int status, int events) noexcept {
  auto* w = static_cast<Worker*>(h->data);
  if (status < 0 || !(events & UV_READABLE)) return;
  int fd;
  uv_fileno(reinterpret_cast<uv_handle_t*>(h), &fd);
  w->serveUdp(fd);
}

// ---------------------------------------------------------------------------------------------
// TCP and TLS

struct TcpConn {
  uint64_t id = 0;
  uv_tcp_t tcp;
  uv_timer_t timer;
  Worker* w;
  Transport transport;
  SSL* ssl = nullptr;
  BIO* rbio = nullptr;
  BIO* wbio = nullptr;
  std::vector<uint8_t> in;
  size_t pending = 0;
  int openHandles = 0;
  bool closing = false;
  bool reading = false;
  std::unique_ptr<TransferWriter> xfr;
  std::unique_ptr<tsig::Key> xfrKey;  // a signed transfer signs every message (RFC 8945 §5.3.1)
  std::vector<uint8_t> xfrMac;        // the previous MAC of the stream
  std::string xfrZone;
  sockaddr_storage peer{};

  struct WriteReq {
    uv_write_t req;
    TcpConn* conn;
    std::vector<uint8_t> data;
  };

  static std::unordered_map<uint64_t, TcpConn*>& all(Worker* w);

  void close() {
    if (closing) return;
    closing = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp));
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), onClose);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), onClose);
  }

  static void onClose(uv_handle_t* h) noexcept {
    auto* c = static_cast<TcpConn*>(h->data);
    if (--c->openHandles > 0) return;
    c->w->shared().tcpOpen.fetch_sub(1, std::memory_order_relaxed);
    c->w->mutableStats().tcpOpen.fetch_sub(1, std::memory_order_relaxed);
    all(c->w).erase(c->id);
    if (c->ssl) SSL_free(c->ssl);  // frees the BIOs too
    delete c;
  }

  void writeRaw(std::vector<uint8_t> data) {
    auto* r = new WriteReq{{}, this, std::move(data)};
    pending += r->data.size();
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(r->data.data()), static_cast<unsigned>(r->data.size()));
    r->req.data = r;
    int rc = uv_write(&r->req, reinterpret_cast<uv_stream_t*>(&tcp), &buf, 1, onWrite);
    if (rc != 0) {
      pending -= r->data.size();
      delete r;
      close();
    }
  }

  void flushTls() {
    while (BIO_ctrl_pending(wbio) > 0) {
      std::vector<uint8_t> out(BIO_ctrl_pending(wbio));
      int n = BIO_read(wbio, out.data(), static_cast<int>(out.size()));
      if (n <= 0) break;
      out.resize(static_cast<size_t>(n));
      writeRaw(std::move(out));
    }
  }

  // Sends one DNS message with its two-byte length prefix (RFC 1035 §4.2.2).
  void send(const uint8_t* msg, size_t len) {
    std::vector<uint8_t> frame(len + 2);
    dns::put16(frame.data(), static_cast<uint16_t>(len));
    std::memcpy(frame.data() + 2, msg, len);
    if (ssl) {
      if (SSL_write(ssl, frame.data(), static_cast<int>(frame.size())) <= 0) {
        close();
        return;
      }
      flushTls();
    } else {
      writeRaw(std::move(frame));
    }
  }

  static void onWrite(uv_write_t* req, int status) noexcept {
    auto* r = static_cast<WriteReq*>(req->data);
    TcpConn* c = r->conn;
    c->pending -= r->data.size();
    delete r;
    if (c->closing) return;
    if (status < 0) {
      c->close();
      return;
    }
    if (c->xfr) c->pump();
    if (!c->closing && !c->xfr && c->pending < kLowWater) {
      c->processFrames();
      c->resumeReading();
    }
  }

  void resumeReading() {
    if (reading || closing || pending >= kLowWater || in.size() > kHighWater) return;
    reading = uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp), onAlloc, onRead) == 0;
  }

  void pauseReading() {
    if (!reading) return;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp));
    reading = false;
  }

  // Streams the transfer while the socket keeps up; resumes from onWrite.
  void pump() {
    while (xfr && !closing && pending < kHighWater) {
      size_t n = xfr->next(w->scratch(), kStreamMax - 512);  // room for the TSIG RR
      if (n != 0 && xfrKey) {
        std::vector<uint8_t> m(w->scratch(), w->scratch() + n);
        auto mac = tsig::sign(m, *xfrKey, xfrMac, nowSeconds(), 300, tsig::TsigRcode::kNoError, xfr->messages() > 1);
        if (!mac) {
          close();
          return;
        }
        xfrMac = std::move(*mac);
        send(m.data(), m.size());
        continue;
      }
      if (n == 0) {
        w->mutableStats().transfers.inc();
        log::info("authority.transfer").kv("zone", xfrZone).kv("messages", xfr->messages()).kv("records", xfr->records())
            .msg("done");
        xfr.reset();
        xfrKey.reset();
        break;
      }
      send(w->scratch(), n);
    }
  }

  // A transfer is allowed from an address in the zone's ACL, or when signed with one of the
  // zone's transfer keys (the signature was verified before this is asked).
  bool transferAllowed(const Zone& z, const TransferPolicy& policy, const tsig::RequestInfo& signedBy) {
    const ZoneConfig* zc = policy.find(z.origin());
    if (!zc) return false;
    if (signedBy.present && signedBy.key) {
      for (const auto& k : zc->transferKeys)
        if (dns::nameEqual(*dns::nameFromText(k), *dns::nameFromText(signedBy.key->name))) return true;
    }
    for (const auto& p : zc->transferAcl)
      if (p.contains(reinterpret_cast<const sockaddr*>(&peer))) return true;
    return false;
  }

  void handle(const uint8_t* msg, size_t len) {
    ParsedQuery q;
    uint8_t* out = w->scratch();
    Outcome o = processQuery(msg, len, out, kStreamMax, transport, w->zones(), w->shared().limits, q);
    if (o.action == Action::kDrop) {
      w->mutableStats().dropped.inc();
      return;
    }
    auto policy = w->shared().getPolicy();
    tsig::RequestInfo signedBy;
    if (o.action == Action::kUpdate) {
      Worker* wk = w;
      uint64_t cid = id;
      if (!submitUpdate(*w, msg, len, q, o, out, kStreamMax,
                        [wk, cid](std::vector<uint8_t> m) { wk->postReply(cid, std::move(m)); }))
        return;
      countOutcome(w->mutableStats(), transport, o);
      send(out, o.len);  // an immediate answer, already signed as due
      return;
    } else if (o.action == Action::kTransfer && q.hasTsig) {
      // Verify first: a bad signature is answered NOTAUTH and never starts a transfer.
      Outcome check;
      check.action = Action::kTransfer;
      if (!applyTsig(msg, len, q, check, out, kStreamMax, *policy, w->shared().limits, &signedBy)) return;
      if (check.action == Action::kRespond) {
        w->mutableStats().transfersRefused.inc();
        countOutcome(w->mutableStats(), transport, check);
        send(out, check.len);
        return;
      }
    }
    if (o.action == Action::kTransfer) {
      auto zone = w->zonesShared()->share(o.zone->origin());
      if (!transferAllowed(*zone, *policy, signedBy)) {
        w->mutableStats().transfersRefused.inc();
        log::info("authority.transfer").kv("zone", zone->originText()).msg("refused by ACL");
        o.rcode = dns::kRefused;
        o.len = writeErrorResponse(msg, q, dns::kRefused, out, kStreamMax, w->shared().limits, kEdeProhibited);
        if (signedBy.present) applyTsig(msg, len, q, o, out, kStreamMax, *policy, w->shared().limits);
      } else {
        countOutcome(w->mutableStats(), transport, o);
        log::info("authority.transfer").kv("zone", zone->originText()).kv("type", q.qtype == dns::kIXFR ? "IXFR" : "AXFR")
            .kv("serial", zone->serial());
        xfrZone = zone->originText();
        std::optional<uint32_t> clientSerial;
        std::vector<std::shared_ptr<const Changeset>> chain;
        if (q.qtype == dns::kIXFR) {
          clientSerial = ixfrClientSerial(msg, len, q);
          if (clientSerial && w->shared().updater)
            chain = w->shared().updater->ixfrChain(zone->origin(), *clientSerial, zone->serial());
        }
        if (q.qtype == dns::kIXFR)
          log::info("authority.transfer").kv("zone", zone->originText()).kv("from", clientSerial.value_or(0))
              .kv("to", zone->serial()).kv("changes", chain.size())
              .msg(clientSerial && *clientSerial == zone->serial() ? "IXFR: the client is up to date"
                   : chain.empty()                                  ? "IXFR answered with the whole zone"
                                                                    : "IXFR from the journal");
        xfr = std::make_unique<TransferWriter>(zone, msg, q, clientSerial, std::move(chain));
        if (signedBy.present && signedBy.key) {
          xfrKey = std::make_unique<tsig::Key>(*signedBy.key);
          xfrMac = signedBy.mac;
        }
        pump();
        return;
      }
    } else if (q.hasTsig && !applyTsig(msg, len, q, o, out, kStreamMax, *policy, w->shared().limits)) {
      return;
    }
    countOutcome(w->mutableStats(), transport, o);
    send(out, o.len);
  }

  // Answers every complete frame in `in`, in order (pipelining, RFC 7766 §6.2.1.1). A transfer in
  // progress holds later queries back until it finishes.
  void processFrames() {
    size_t off = 0;
    while (!closing && !xfr && pending < kHighWater && in.size() - off >= 2) {
      size_t flen = dns::get16(in.data() + off);
      if (in.size() - off - 2 < flen) break;
      handle(in.data() + off + 2, flen);
      off += 2 + flen;
    }
    if (off) in.erase(in.begin(), in.begin() + static_cast<long>(off));
    if (in.size() > kHighWater) pauseReading();
  }

  static void onAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
    auto* c = static_cast<TcpConn*>(h->data);
    static thread_local uint8_t readBuf[65536];
    (void)c;
    *buf = uv_buf_init(reinterpret_cast<char*>(readBuf), sizeof readBuf);
  }

  static void onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept {
    auto* c = static_cast<TcpConn*>(s->data);
    if (n < 0) {
      c->close();  // EOF or error; a frame cut short is simply dropped
      return;
    }
    if (n == 0) return;
    uv_timer_again(&c->timer);
    if (c->ssl) {
      BIO_write(c->rbio, buf->base, static_cast<int>(n));
      if (!SSL_is_init_finished(c->ssl)) {
        int r = SSL_do_handshake(c->ssl);
        c->flushTls();
        if (r <= 0) {
          int e = SSL_get_error(c->ssl, r);
          if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            char why[256];
            ERR_error_string_n(ERR_get_error(), why, sizeof why);
            log::info("authority.tls").kv("error", why).msg("handshake failed");
            ERR_clear_error();
            c->close();
            return;
          }
          return;
        }
      }
      uint8_t plain[16384];
      while (true) {
        int r = SSL_read(c->ssl, plain, sizeof plain);
        if (r <= 0) {
          int e = SSL_get_error(c->ssl, r);
          if (e == SSL_ERROR_ZERO_RETURN || (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)) {
            ERR_clear_error();
            c->flushTls();
            c->close();
            return;
          }
          break;
        }
        c->in.insert(c->in.end(), plain, plain + r);
      }
      c->flushTls();
    } else {
      c->in.insert(c->in.end(), reinterpret_cast<uint8_t*>(buf->base), reinterpret_cast<uint8_t*>(buf->base) + n);
    }
    c->processFrames();
    if (c->pending >= kHighWater) c->pauseReading();
  }

  static void onIdle(uv_timer_t* t) noexcept {
    auto* c = static_cast<TcpConn*>(t->data);
    if (c->xfr || c->pending > 0) return;  // busy, not idle (the timer repeats)
    c->w->mutableStats().tcpTimedOut.inc();
    c->close();
  }
};

namespace {
thread_local std::unordered_map<uint64_t, TcpConn*>* tConns = nullptr;
thread_local uint64_t tNextConnId = 1;
}

std::unordered_map<uint64_t, TcpConn*>& TcpConn::all(Worker*) { return *tConns; }

void Worker::postReply(uint64_t connId, std::vector<uint8_t> msg) {
  {
    std::lock_guard<std::mutex> g(replyMu_);
    replies_.emplace_back(connId, std::move(msg));
  }
  uv_async_send(&replyAsync_);
}

void Worker::onReplies(uv_async_t* h) noexcept {
  auto* w = static_cast<Worker*>(h->data);
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> batch;
  {
    std::lock_guard<std::mutex> g(w->replyMu_);
    batch.swap(w->replies_);
  }
  for (auto& [id, msg] : batch) {
    auto it = tConns->find(id);
    if (it != tConns->end() && !it->second->closing) it->second->send(msg.data(), msg.size());
  }
}

void Worker::onTcpConnection(uv_stream_t* server, int status) noexcept {
  auto* w = static_cast<Worker*>(server->loop->data);
  if (status < 0) return;
  Transport transport = server->data == reinterpret_cast<void*>(2) ? Transport::kTls : Transport::kTcp;
  auto* c = new TcpConn();
  c->w = w;
  c->transport = transport;
  uv_tcp_init(&w->loop_, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) { delete static_cast<TcpConn*>(h->data); });
    return;
  }
  Shared& sh = w->shared_;
  if (sh.tcpOpen.load(std::memory_order_relaxed) >= static_cast<int64_t>(sh.tcpMaxConnections)) {
    w->stats_.tcpRefused.inc();
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) { delete static_cast<TcpConn*>(h->data); });
    return;
  }
  sh.tcpOpen.fetch_add(1, std::memory_order_relaxed);
  w->stats_.tcpOpen.fetch_add(1, std::memory_order_relaxed);
  w->stats_.tcpAccepted.inc();
  c->id = tNextConnId++;
  tConns->emplace(c->id, c);
  c->openHandles = 2;
  int len = sizeof c->peer;
  uv_tcp_getpeername(&c->tcp, reinterpret_cast<sockaddr*>(&c->peer), &len);
  uv_tcp_nodelay(&c->tcp, 1);
  uv_timer_init(&w->loop_, &c->timer);
  c->timer.data = c;
  uv_timer_start(&c->timer, TcpConn::onIdle, sh.tcpIdleTimeoutMs, sh.tcpIdleTimeoutMs);
  if (transport == Transport::kTls) {
    c->ssl = SSL_new(sh.tls);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());
    SSL_set_bio(c->ssl, c->rbio, c->wbio);
    SSL_set_accept_state(c->ssl);
  }
  c->resumeReading();
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

Worker::Worker(int index, Shared& shared, WorkerSockets sockets)
    : index_(index), shared_(shared), sockets_(std::move(sockets)), scratch_(kStreamMax + 2) {
  udp_ = std::make_unique<net::UdpBatch>(shared_.limits.udpMaxPayload);
}

Worker::~Worker() {
  join();
}

void Worker::start() {
  uv_loop_init(&loop_);
  loop_.data = this;
  uv_async_init(&loop_, &stopAsync_, onStop);
  stopAsync_.data = this;
  uv_async_init(&loop_, &replyAsync_, onReplies);
  replyAsync_.data = this;
  for (int fd : sockets_.udp) {
    auto p = std::make_unique<uv_poll_t>();
    uv_poll_init_socket(&loop_, p.get(), fd);
    p->data = this;
    uv_poll_start(p.get(), UV_READABLE, onUdpReadable);
    udpPolls_.push_back(std::move(p));
  }
  auto listen = [&](int fd, void* tag) {
    auto t = std::make_unique<uv_tcp_t>();
    uv_tcp_init(&loop_, t.get());
    uv_tcp_open(t.get(), fd);
    t->data = tag;
    uv_listen(reinterpret_cast<uv_stream_t*>(t.get()), 1024, onTcpConnection);
    tcpListeners_.push_back(std::move(t));
  };
  for (int fd : sockets_.tcp) listen(fd, reinterpret_cast<void*>(1));
  for (int fd : sockets_.tls) listen(fd, reinterpret_cast<void*>(2));
  thread_ = std::thread([this] { run(); });
}

void Worker::run() {
  std::unordered_map<uint64_t, TcpConn*> conns;
  tConns = &conns;
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  for (int fd : sockets_.udp) ::close(fd);
  tConns = nullptr;
}

void Worker::closeAll() {
  for (auto& p : udpPolls_) uv_close(reinterpret_cast<uv_handle_t*>(p.get()), nullptr);
  for (auto& t : tcpListeners_) uv_close(reinterpret_cast<uv_handle_t*>(t.get()), nullptr);
  std::vector<TcpConn*> conns;
  for (auto& [id, c] : *tConns) conns.push_back(c);
  for (TcpConn* c : conns) c->close();
  uv_close(reinterpret_cast<uv_handle_t*>(&stopAsync_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&replyAsync_), nullptr);
}

void Worker::onStop(uv_async_t* h) noexcept { static_cast<Worker*>(h->data)->closeAll(); }

void Worker::stop() {
  if (thread_.joinable()) uv_async_send(&stopAsync_);
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace cdns::authority
