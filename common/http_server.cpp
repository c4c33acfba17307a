// HTTP/1.1 server on libuv: connections, keep-alive, pipelining, limits, TLS over memory BIOs. The
// request parser and response builder are in http_message.cpp.
#include "common/http_server.h"

#include "common/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <memory>
#include <unordered_set>

#include "common/http_message.h"
#include "common/log.h"

namespace cdns::http {
namespace {

using namespace detail;  // the request parser and response builder (http_message.h)

constexpr size_t kHighWaterBytes = 1 << 20;   // unsent output above which reading pauses
constexpr size_t kLowWaterBytes = 256 << 10;  // ... and below which it resumes
constexpr uint64_t kLingerMs = 2000;          // drain input this long after our FIN
constexpr int kBacklog = 128;
constexpr size_t kReadBufferBytes = 64 << 10;
constexpr size_t kTlsReadChunk = 16384;

std::string uvError(int err) {
  return std::string(uv_strerror(err)) + " (" + uv_err_name(err) + ")";
}
// Drains OpenSSL's error queue for this thread into one line.
std::string sslErrors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

class Connection;
void closeOwnedTcp(uv_tcp_t* h);  // h->data is the Server::Impl; frees h, then releases

}  // namespace

class Server::Impl {
 public:
  Impl(uv_loop_t* loop, AsyncHandler handler, ServerOptions opts)
      : loop_(loop), handler_(std::move(handler)), opts_(std::move(opts)) {}
  ~Impl() {
    if (ctx_) SSL_CTX_free(ctx_);
  }
  Status initTls();
  void close();
  void onConnection(uv_stream_t* listener, int status);
  // Counts objects that own libuv handles; frees the Impl after ~Server once none remain.
  void acquire() { ++open_; }
  void release() {
    if (--open_ == 0 && detached_) delete this;
  }

  uv_loop_t* loop_;
  AsyncHandler handler_;
  ServerOptions opts_;
  SSL_CTX* ctx_ = nullptr;
  std::vector<uv_tcp_t*> listeners_;
  std::unordered_set<Connection*> conns_;
  std::array<char, kReadBufferBytes> readBuf_;  // shared: each read is consumed in its callback
  size_t open_ = 0;
  bool detached_ = false;
  bool closed_ = false;
  bool saturationLogged_ = false;
};

namespace {

struct WriteReq {
  uv_write_t req;
  Connection* conn;
  std::string data;
  bool response;  // response bytes (re-arm the idle timer) rather than TLS/100-continue bytes
};

// One accepted connection. Owns a TCP handle and an idle timer; deletes itself once both close.
class Connection {
 public:
  explicit Connection(Server::Impl* impl) : impl_(impl) {
    uv_tcp_init(impl->loop_, &tcp_);
    uv_timer_init(impl->loop_, &timer_);
    tcp_.data = timer_.data = shutdownReq_.data = this;
    impl->acquire();
    impl->conns_.insert(this);
  }
  ~Connection() {
    if (ssl_) SSL_free(ssl_);
  }

  bool accept(uv_stream_t* listener) {
    int rc = uv_accept(listener, stream());
    if (rc != 0) {
      log::warn("http").msg("accept failed").kv("error", uvError(rc));
      return false;
    }
    sockaddr_storage ss{};
    int len = sizeof ss;
    if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
      peer_ = formatAddress(reinterpret_cast<sockaddr*>(&ss));
    uv_tcp_nodelay(&tcp_, 1);
    if (impl_->ctx_) {
      if (!(ssl_ = SSL_new(impl_->ctx_))) return false;
      SSL_set_bio(ssl_, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));  // a null BIO fails later
      SSL_set_accept_state(ssl_);
    }
    armTimer();
    startReading();
    return reading_;
  }

  void closeNow() {
    if (closed_) return;
    closed_ = true;
    *alive_ = false;  // a late answer of an asynchronous handler is dropped
    impl_->conns_.erase(this);
    if (impl_->conns_.size() < impl_->opts_.maxConnections) impl_->saturationLogged_ = false;
    auto onClosed = [](uv_handle_t* h) {
      auto* c = static_cast<Connection*>(h->data);
      if (--c->handlesOpen_ > 0) return;
      Server::Impl* impl = c->impl_;
      delete c;
      impl->release();
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), onClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), onClosed);
  }

 private:
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

  void armTimer() {
    if (lingering_ || closed_ || impl_->opts_.idleTimeoutMs == 0) return;
    uv_timer_start(
        &timer_,
        [](uv_timer_t* t) {
          auto* c = static_cast<Connection*>(t->data);
          log::debug("http").msg("idle timeout").kv("peer", c->peer_);
          c->closeNow();
        },
        impl_->opts_.idleTimeoutMs, 0);
  }

  void startReading() {
    if (reading_ || closed_ || peerEof_) return;
    auto onAlloc = [](uv_handle_t* h, size_t, uv_buf_t* buf) {
      auto* c = static_cast<Connection*>(h->data);
      *buf = uv_buf_init(c->impl_->readBuf_.data(), static_cast<unsigned>(kReadBufferBytes));
    };
    auto onRead = [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
      auto* c = static_cast<Connection*>(s->data);
      if (n > 0)
        c->onData(buf->base, static_cast<size_t>(n));
      else if (n < 0)
        c->onEof(static_cast<int>(n));
    };
    if (uv_read_start(stream(), onAlloc, onRead) == 0) reading_ = true;
  }
  void stopReading() {
    if (reading_) uv_read_stop(stream());
    reading_ = false;
  }

  void onData(const char* data, size_t n) {
    if (closed_ || finishing_) return;  // after our last response: input is drained and dropped
    if (ssl_) {
      if (!tlsFeed(data, n)) return;
    } else {
      in_.append(data, n);
    }
    processInput();
    if (peerEof_ && !paused_ && !awaiting_) finish();
  }

  void onEof(int err) {
    if (err != UV_EOF)
      log::debug("http").msg("read error").kv("peer", peer_).kv("error", uvError(err));
    if (err != UV_EOF || lingering_) return closeNow();
    peerEof_ = true;  // answer what was asked, then close
    stopReading();
    if (!awaiting_) finish();  // else once the answer is queued
  }

  // Decrypts `data` into in_. False when there is nothing (more) to process.
  bool tlsFeed(const char* data, size_t n) {
    ERR_clear_error();
    if (BIO_write(SSL_get_rbio(ssl_), data, static_cast<int>(n)) != static_cast<int>(n)) {
      closeNow();
      return false;
    }
    if (!SSL_is_init_finished(ssl_)) {
      int r = SSL_do_handshake(ssl_);
      if (r <= 0) {
        int e = SSL_get_error(ssl_, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
          log::warn("http").msg("TLS handshake failed").kv("peer", peer_).kv("error", sslErrors());
          tlsFailed_ = true;
          flushTls(false);  // the alert, if any
          finish();
          return false;
        }
        flushTls(false);
        return false;
      }
    }
    for (;;) {
      size_t old = in_.size();
      in_.resize(old + kTlsReadChunk);
      int r = SSL_read(ssl_, in_.data() + old, static_cast<int>(kTlsReadChunk));
      in_.resize(old + static_cast<size_t>(std::max(r, 0)));
      if (r > 0) continue;
      int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ) break;
      if (e == SSL_ERROR_ZERO_RETURN) {  // close_notify: treat as EOF
        peerEof_ = true;
        stopReading();
        break;
      }
      log::warn("http").msg("TLS read failed").kv("peer", peer_).kv("error", sslErrors());
      tlsFailed_ = true;
      flushTls(false);
      closeNow();
      return false;
    }
    flushTls(false);
    return !closed_;
  }

  // Moves whatever OpenSSL has written into the memory BIO onto the socket.
  void flushTls(bool response) {
    BIO* wbio = SSL_get_wbio(ssl_);
    while (!closed_) {
      size_t pending = BIO_ctrl_pending(wbio);
      if (pending == 0) break;
      std::string out(pending, '\0');
      int r = BIO_read(wbio, out.data(), static_cast<int>(pending));
      if (r <= 0) break;
      out.resize(static_cast<size_t>(r));
      writeRaw(std::move(out), response);
    }
  }

  void processInput() {
    const ServerOptions& o = impl_->opts_;
    while (!closed_ && !finishing_ && !awaiting_) {
      if (pendingBytes_ > kHighWaterBytes) {  // the client is not reading: stop reading it
        paused_ = true;
        stopReading();
        break;
      }
      if (!haveHead_) {
        while (pos_ < in_.size() && (in_[pos_] == '\r' || in_[pos_] == '\n')) ++pos_;
        size_t end = findHeadEnd();
        if (end == std::string::npos) {
          if (in_.size() - pos_ > o.maxHeaderBytes) {
            bool longLine = in_.find('\n', pos_) == std::string::npos;
            sendError(longLine ? 414 : 431,
                      longLine ? "request line too long" : "header section too large");
          }
          break;
        }
        if (end - pos_ > o.maxHeaderBytes) {
          sendError(431, "header section too large");
          break;
        }
        cur_ = Request{};
        cur_.peer = peer_;
        cur_.tls = ssl_ != nullptr;
        info_ = HeadInfo{};
        std::string problem;
        int code =
            parseHead(std::string_view(in_).substr(pos_, end - pos_), o, cur_, info_, problem);
        if (code != 0) {
          sendError(code, problem);
          break;
        }
        pos_ = end;
        haveHead_ = true;
        if (info_.expectContinue && in_.size() - pos_ < info_.contentLength)
          queueWrite("HTTP/1.1 100 Continue\r\n\r\n", false);
      }
      if (in_.size() - pos_ < info_.contentLength) break;
      cur_.body.assign(in_, pos_, info_.contentLength);
      pos_ += info_.contentLength;
      haveHead_ = false;
      dispatch();
    }
    in_.erase(0, pos_);
    pos_ = 0;
  }

  // The offset just past the empty line that ends the header section at pos_, or npos.
  size_t findHeadEnd() const {
    size_t p = pos_;
    for (;;) {
      size_t nl = in_.find('\n', p);
      if (nl == std::string::npos) return nl;
      if (nl == p || (nl == p + 1 && in_[p] == '\r')) {
        if (p != pos_) return nl + 1;
      }
      p = nl + 1;
    }
  }

  // Hands the request to the handler; no further request is read until it has answered.
  void dispatch() {
    awaiting_ = true;
    inDispatch_ = true;
    auto answered = std::make_shared<bool>(false);
    std::shared_ptr<bool> alive = alive_;
    Responder respond = [this, alive, answered](Response resp) {
      if (*answered || !*alive) return;
      *answered = true;
      answer(std::move(resp), nullptr, "");
    };
    const char* failure = nullptr;
    std::string what;
    try {
      impl_->handler_(cur_, respond);
    } catch (const std::exception& e) {
      failure = "handler threw";
      what = e.what();
    } catch (...) {
      failure = "handler threw";
      what = "unknown exception";
    }
    inDispatch_ = false;
    if (failure && !*answered && *alive) {
      *answered = true;
      answer(Response{}, failure, what);
    }
    if (awaiting_ && !closed_) stopReading();  // until the answer: nothing more is buffered
  }

  void answer(Response resp, const char* failure, const std::string& thrown) {
    std::string what = thrown;
    if (!failure && (resp.status < 200 || resp.status > 999)) {
      failure = "handler returned a bad status";
      what = std::to_string(resp.status);
    }
    if (failure) {
      log::error("http").msg(failure).kv("peer", peer_).kv("target", cur_.target).kv("error", what);
      resp = plainResponse(500, "500 Internal Server Error\n");
    }
    awaiting_ = false;
    if (closed_) return;  // the handler closed the server
    if (!inDispatch_) {  // a late answer: carry on with this connection afterwards
      send(resp);
      if (closed_ || finishing_) return;
      processInput();
      if (!awaiting_ && !closed_ && !finishing_) {
        if (peerEof_ && !paused_) finish();
        else if (!paused_) startReading();
      }
      return;
    }
    send(resp);
  }

  void send(const Response& resp) {
    bool close = !info_.keepAlive;
    for (const auto& [name, value] : resp.headers)
      close = close || (iequals(name, "connection") && hasToken(value, "close"));
    bool keepAlive10 = !close && cur_.versionMinor == 0;
    queueWrite(buildResponse(resp, cur_.method == "HEAD", close, keepAlive10), true);
    armTimer();
    if (close) finish();
  }

  void sendError(int status, const std::string& problem) {
    log::debug("http").msg("bad request").kv("peer", peer_).kv("problem", problem);
    std::string body = std::to_string(status) + " ";
    body.append(reasonPhrase(status)).append(": " + problem + "\n");
    Response r = plainResponse(status, std::move(body));
    queueWrite(buildResponse(r, false, true, false), true);
    finish();
  }

  void queueWrite(std::string data, bool response) {
    if (closed_) return;
    if (!ssl_) return writeRaw(std::move(data), response);
    ERR_clear_error();
    int r = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));  // memory BIO: all of it
    if (r != static_cast<int>(data.size())) {
      log::warn("http").msg("TLS write failed").kv("peer", peer_).kv("error", sslErrors());
      tlsFailed_ = true;
      return closeNow();
    }
    flushTls(response);
  }

  void writeRaw(std::string data, bool response) {
    auto* w = new WriteReq{{}, this, std::move(data), response};
    w->req.data = w;
    uv_buf_t b = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    pendingBytes_ += w->data.size();
    int rc = uv_write(&w->req, stream(), &b, 1, [](uv_write_t* req, int status) {
      auto* wr = static_cast<WriteReq*>(req->data);
      wr->conn->onWritten(wr->data.size(), wr->response, status);
      delete wr;
    });
    if (rc != 0) {
      pendingBytes_ -= w->data.size();
      delete w;
      log::debug("http").msg("write failed").kv("peer", peer_).kv("error", uvError(rc));
      closeNow();
    }
  }

  void onWritten(size_t size, bool response, int status) {
    pendingBytes_ -= size;
    if (closed_) return;
    if (status != 0) {
      log::debug("http").msg("write failed").kv("peer", peer_).kv("error", uvError(status));
      return closeNow();
    }
    if (response) armTimer();
    if (paused_ && !finishing_ && pendingBytes_ <= kLowWaterBytes) {
      paused_ = false;
      processInput();
      if (!paused_ && !awaiting_ && peerEof_) finish();
      if (!paused_ && !awaiting_) startReading();
    }
  }

  // No more requests on this connection: send what is queued (and TLS close_notify), send FIN,
  // then drain input briefly so the peer sees our response rather than a reset.
  void finish() {
    if (finishing_ || closed_) return;
    finishing_ = true;
    if (ssl_ && SSL_is_init_finished(ssl_) && !tlsFailed_) {
      ERR_clear_error();
      SSL_shutdown(ssl_);
      flushTls(false);
      if (closed_) return;
    }
    int rc = uv_shutdown(&shutdownReq_, stream(), [](uv_shutdown_t* req, int status) {
      auto* c = static_cast<Connection*>(req->data);
      if (c->closed_) return;
      if (status != 0 || c->peerEof_) return c->closeNow();
      c->lingering_ = true;
      uint64_t ms = c->impl_->opts_.idleTimeoutMs;
      uv_timer_start(
          &c->timer_, [](uv_timer_t* t) { static_cast<Connection*>(t->data)->closeNow(); },
          ms == 0 ? kLingerMs : std::min(ms, kLingerMs), 0);
      c->startReading();
    });
    if (rc != 0) closeNow();
  }

  Server::Impl* impl_;
  uv_tcp_t tcp_;
  uv_timer_t timer_;
  uv_shutdown_t shutdownReq_;
  int handlesOpen_ = 2;
  SSL* ssl_ = nullptr;
  std::string peer_;
  std::string in_;  // received plaintext; in_[0, pos_) is consumed
  size_t pos_ = 0;
  Request cur_;  // the request being received once haveHead_
  HeadInfo info_;
  bool haveHead_ = false;
  size_t pendingBytes_ = 0;  // queued on the socket, not yet written
  bool reading_ = false;
  bool paused_ = false;  // reading stopped until the peer reads our output
  bool peerEof_ = false;
  bool finishing_ = false;  // last response queued; shutting down
  bool lingering_ = false;  // FIN sent; discarding input until EOF or kLingerMs
  bool tlsFailed_ = false;
  bool closed_ = false;  // uv_close called
  bool awaiting_ = false;    // the handler has not answered the current request yet
  bool inDispatch_ = false;  // inside the handler call
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once closed
};

void closeOwnedTcp(uv_tcp_t* h) {
  uv_close(reinterpret_cast<uv_handle_t*>(h), [](uv_handle_t* hh) {
    auto* impl = static_cast<Server::Impl*>(hh->data);
    delete reinterpret_cast<uv_tcp_t*>(hh);
    impl->release();
  });
}

}  // namespace

Status Server::Impl::initTls() {
  if (ctx_ || (opts_.tlsCertFile.empty() && opts_.tlsKeyFile.empty())) return {};
  if (opts_.tlsCertFile.empty() || opts_.tlsKeyFile.empty())
    return makeError("TLS needs both tlsCertFile and tlsKeyFile");
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return makeError("TLS context: " + sslErrors());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  std::string problem;
  if (SSL_CTX_use_certificate_chain_file(ctx, opts_.tlsCertFile.c_str()) != 1)
    problem = "TLS certificate " + opts_.tlsCertFile + ": " + sslErrors();
  else if (SSL_CTX_use_PrivateKey_file(ctx, opts_.tlsKeyFile.c_str(), SSL_FILETYPE_PEM) != 1)
    problem = "TLS key " + opts_.tlsKeyFile + ": " + sslErrors();
  else if (SSL_CTX_check_private_key(ctx) != 1)
    problem = "TLS key " + opts_.tlsKeyFile + " does not match certificate " + opts_.tlsCertFile;
  if (!problem.empty()) {
    SSL_CTX_free(ctx);
    return makeError(problem);
  }
  ctx_ = ctx;
  return {};
}

void Server::Impl::onConnection(uv_stream_t* listener, int status) {
  if (closed_) return;
  if (status != 0) {
    log::warn("http").msg("accept failed").kv("error", uvError(status));
    return;
  }
  if (conns_.size() >= opts_.maxConnections) {  // accept and close at once
    if (!saturationLogged_)
      log::warn("http").msg("connection limit reached").kv("max", opts_.maxConnections);
    saturationLogged_ = true;
    auto* h = new uv_tcp_t;
    uv_tcp_init(loop_, h);
    h->data = this;
    acquire();
    (void)uv_accept(listener, reinterpret_cast<uv_stream_t*>(h));
    closeOwnedTcp(h);
    return;
  }
  auto* c = new Connection(this);
  if (!c->accept(listener)) c->closeNow();
}

void Server::Impl::close() {
  if (closed_) return;
  closed_ = true;
  for (uv_tcp_t* l : listeners_) closeOwnedTcp(l);
  listeners_.clear();
  std::vector<Connection*> conns(conns_.begin(), conns_.end());
  for (Connection* c : conns) c->closeNow();
}

Server::Server(uv_loop_t* loop, AsyncHandler handler, ServerOptions opts)
    : impl_(new Impl(loop, std::move(handler), std::move(opts))) {}

Server::Server(uv_loop_t* loop, Handler handler, ServerOptions opts)
    : Server(loop,
             AsyncHandler([h = std::move(handler)](const Request& req, Responder respond) {
               respond(h(req));
             }),
             std::move(opts)) {}

Server::~Server() {
  impl_->close();
  impl_->detached_ = true;
  if (impl_->open_ == 0) delete impl_;
}

void Server::close() { impl_->close(); }

size_t Server::connectionCount() const { return impl_->conns_.size(); }

Result<uint16_t> Server::listen(const std::string& hostPort) {
  std::string what = "http listen " + hostPort + ": ";
  if (impl_->closed_) return makeError(what + "server is closed");
  auto addr = parseHostPort(hostPort);
  if (!addr) return makeError(what + addr.error().message);
  if (Status s = impl_->initTls(); !s) return makeError(what + s.error().message);
  auto* h = new uv_tcp_t;
  int rc = uv_tcp_init(impl_->loop_, h);
  if (rc != 0) {
    delete h;
    return makeError(what + uvError(rc));
  }
  h->data = impl_;
  impl_->acquire();
  impl_->listeners_.push_back(h);
  rc = uv_tcp_bind(h, reinterpret_cast<const sockaddr*>(&*addr), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(h), kBacklog, [](uv_stream_t* l, int status) {
      static_cast<Impl*>(l->data)->onConnection(l, status);
    });
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  if (rc == 0) rc = uv_tcp_getsockname(h, reinterpret_cast<sockaddr*>(&bound), &len);
  if (rc != 0) {
    impl_->listeners_.pop_back();
    closeOwnedTcp(h);
    return makeError(what + uvError(rc));
  }
  const auto* sa = reinterpret_cast<const sockaddr*>(&bound);
  uint16_t port =
      ntohs(sa->sa_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port
                                      : reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
  log::info("http")
      .msg("listening")
      .kv("address", formatAddress(sa))
      .kv("tls", impl_->ctx_ ? "on" : "off");
  return port;
}

Result<sockaddr_storage> parseHostPort(const std::string& hostPort) {
  auto fail = [&hostPort](const std::string& problem) {
    return makeError("\"" + hostPort + "\": " + problem);
  };
  std::string host, port;
  bool v6 = !hostPort.empty() && hostPort[0] == '[';
  if (v6) {
    size_t close = hostPort.find(']');
    if (close == std::string::npos) return fail("missing ']' after IPv6 address");
    if (close + 1 >= hostPort.size() || hostPort[close + 1] != ':')
      return fail("missing :port after ']'");
    host = hostPort.substr(1, close - 1);
    port = hostPort.substr(close + 2);
  } else {
    size_t colon = hostPort.rfind(':');
    if (colon == std::string::npos) return fail("missing :port (expected host:port or [v6]:port)");
    host = hostPort.substr(0, colon);
    port = hostPort.substr(colon + 1);
    if (host.find(':') != std::string::npos)
      return fail("IPv6 address must be in brackets, as [::1]:port");
  }
  if (host.empty()) return fail("missing host");
  if (port.empty()) return fail("missing port");
  if (port.size() > 5 || !isDigits(port) || std::stoi(port) > 65535)
    return fail("bad port \"" + port + "\" (expected 0..65535)");
  sockaddr_storage ss{};
  int p = std::stoi(port);
  if (v6) {
    if (uv_ip6_addr(host.c_str(), p, reinterpret_cast<sockaddr_in6*>(&ss)) != 0)
      return fail("bad IPv6 address \"" + host + "\"");
  } else if (uv_ip4_addr(host.c_str(), p, reinterpret_cast<sockaddr_in*>(&ss)) != 0) {
    return fail("bad IPv4 address \"" + host + "\" (a numeric address is required)");
  }
  return ss;
}

std::string formatAddress(const sockaddr* sa) {
  return sa->sa_family == AF_INET || sa->sa_family == AF_INET6 ? net::formatAddr(sa) : "?";
}

}  // namespace cdns::http
