// Blocking HTTP/1.1 (over TLS or not) for cdns-relay's API.
#include "clients/relay_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/net.h"

namespace cdns::clients {
namespace {

bool isLoopback(const std::string& addr) {
  in_addr a4{};
  if (inet_pton(AF_INET, addr.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6{};
  return inet_pton(AF_INET6, addr.c_str(), &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

std::string sslError() {
  unsigned long e = ERR_get_error();
  if (!e) return "connection closed during the handshake";
  char why[256];
  ERR_error_string_n(e, why, sizeof why);
  ERR_clear_error();
  return why;
}

// One connection: a socket, and TLS on it when asked.
class Conn {
 public:
  ~Conn() {
    ssl_.reset();  // before the context and the socket it uses
    if (fd_ >= 0) close(fd_);
  }
  Status open(const RelayTarget& t, bool tls) {
    std::string a = t.address;
    if (a.size() > 2 && a.front() == '[') a = a.substr(1, a.size() - 2);
    auto addr = net::parseHostPort(a.find(':') != std::string::npos ? "[" + a + "]" : a, t.port);
    if (!addr) return addr.error();
    fd_ = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{t.timeoutS, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // also bounds connect() on Linux
    int rc = connect(fd_, reinterpret_cast<const sockaddr*>(&*addr), net::addrLen(*addr));
    if (rc != 0 && errno == EINTR) {  // a signal: the connection goes on; wait for it
      pollfd p{fd_, POLLOUT, 0};
      int soErr = ETIMEDOUT;
      socklen_t len = sizeof soErr;
      if (poll(&p, 1, t.timeoutS * 1000) == 1) getsockopt(fd_, SOL_SOCKET, SO_ERROR, &soErr, &len);
      rc = soErr ? -1 : 0;
      errno = soErr;
    }
    if (rc != 0)
      return makeError("cannot connect to " + t.address + " port " + std::to_string(t.port) + ": " + std::strerror(errno));
    if (!tls) return {};
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    SSL_CTX* ctx = ctx_.get();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);  // "Connection: close" may end without close_notify
    if (!t.insecure) {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      bool loaded = t.caFile.empty() ? SSL_CTX_set_default_verify_paths(ctx) == 1
                                     : SSL_CTX_load_verify_locations(ctx, t.caFile.c_str(), nullptr) == 1;
      if (!loaded) return makeError("cannot load CA certificates" + (t.caFile.empty() ? "" : " from " + t.caFile) + ": " + sslError());
    }
    ssl_.reset(SSL_new(ctx));
    SSL* ssl = ssl_.get();
    SSL_set_fd(ssl, fd_);
    std::string host = t.host;
    if (!host.empty() && host.back() == '.') host.pop_back();
    if (!host.empty()) {
      SSL_set_tlsext_host_name(ssl, host.c_str());  // SNI
      if (!t.insecure) {
        if (isLoopback(host) || host.find(':') != std::string::npos || inet_addr(host.c_str()) != INADDR_NONE)
          X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
        else
          SSL_set1_host(ssl, host.c_str());
      }
    }
    if (SSL_connect(ssl) != 1) {
      long v = SSL_get_verify_result(ssl);
      if (v != X509_V_OK)
        return makeError("TLS: the relay's certificate did not verify (" + std::string(X509_verify_cert_error_string(v)) +
                         "); give its CA with --ca FILE, or --insecure");
      std::string why = sslError();
      return makeError("TLS handshake with " + t.address + " port " + std::to_string(t.port) + " failed: " + why);
    }
    return {};
  }
  bool write(const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
      errno = 0;
      long n = ssl_ ? SSL_write(ssl_.get(), s.data() + done, static_cast<int>(s.size() - done))
                    : send(fd_, s.data() + done, s.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  // Appends what arrives; 0 at the end of the stream, -1 on error or timeout.
  long read(std::string& into) {
    char buf[16384];
    long n;
    do {  // a signal (Ctrl-C while following a job) interrupts the read: read on
      errno = 0;
      n = ssl_ ? SSL_read(ssl_.get(), buf, sizeof buf) : recv(fd_, buf, sizeof buf, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0) into.append(buf, static_cast<size_t>(n));
    return n < 0 ? -1 : n;
  }

 private:
  int fd_ = -1;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx_{nullptr, SSL_CTX_free};
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl_{nullptr, SSL_free};
};

}  // namespace

std::string RelayClient::url() const {
  std::string host = t_.host.empty() ? t_.address : t_.host;
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  return (t_.scheme == "auto" ? "https?" : t_.scheme) + "://" + host + ":" + std::to_string(t_.port);
}

Result<RelayTarget> RelayClient::parseUrl(const std::string& url) {
  RelayTarget t;
  auto colon = url.find("://");
  if (colon == std::string::npos) return makeError("--relay \"" + url + "\": expected http://HOST:PORT or https://HOST:PORT");
  t.scheme = url.substr(0, colon);
  if (t.scheme != "http" && t.scheme != "https") return makeError("--relay \"" + url + "\": the scheme must be http or https");
  std::string rest = url.substr(colon + 3);
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  std::string host = rest, port = t.scheme == "https" ? "443" : "80";
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return makeError("--relay \"" + url + "\": missing ']'");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (auto c = rest.rfind(':'); c != std::string::npos) {
    host = rest.substr(0, c);
    port = rest.substr(c + 1);
  }
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (host.empty() || port.empty() || *end || p < 1 || p > 65535) return makeError("--relay \"" + url + "\": bad host or port");
  t.port = static_cast<uint16_t>(p);
  t.host = host;
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0)
    return makeError("--relay \"" + url + "\": " + host + ": " + gai_strerror(rc));
  char buf[INET6_ADDRSTRLEN] = {};
  if (res->ai_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr, buf, sizeof buf);
  else
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof buf);
  freeaddrinfo(res);
  t.address = buf;
  return t;
}

Result<HttpReply> RelayClient::request(const std::string& method, const std::string& target, const std::string& token,
                                       const std::string& body) {
  if (t_.scheme == "auto") {
    // HTTPS, except for a relay on loopback that answers plain HTTP (the relay allows plain
    // HTTP only there). The probe carries no token; a TLS listener drops it at once.
    t_.scheme = "https";
    if (isLoopback(t_.address) && once(false, "GET", "/v1/health", "", "")) t_.scheme = "http";
  }
  return once(t_.scheme == "https", method, target, token, body);
}

Result<HttpReply> RelayClient::once(bool tls, const std::string& method, const std::string& target, const std::string& token,
                                    const std::string& body) {
  Conn c;
  if (auto st = c.open(t_, tls); !st) return st.error();
  std::string host = t_.host.empty() ? t_.address : t_.host;
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(t_.port) +
                    "\r\nUser-Agent: cdns-submit\r\nAccept: application/json\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty() || method == "POST")
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  if (!c.write(req)) return makeError("cannot send to the relay: " + std::string(std::strerror(errno)));
  std::string in;
  size_t headEnd = std::string::npos;
  long want = -1;
  while (true) {
    long n = c.read(in);
    if (headEnd == std::string::npos) headEnd = in.find("\r\n\r\n");
    if (headEnd != std::string::npos && want < 0) {
      std::string head = in.substr(0, headEnd);
      for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      auto cl = head.find("\r\ncontent-length:");
      want = cl == std::string::npos ? -2 : std::strtol(head.c_str() + cl + 17, nullptr, 10);
    }
    if (want >= 0 && in.size() >= headEnd + 4 + static_cast<size_t>(want)) break;
    if (n == 0) break;
    if (n < 0) return makeError(in.empty() ? "the relay did not answer (timed out)" : "the relay's answer was cut short");
  }
  if (headEnd == std::string::npos || in.compare(0, 5, "HTTP/") != 0) return makeError("the relay's answer is not HTTP");
  HttpReply r;
  r.status = std::atoi(in.c_str() + in.find(' ') + 1);
  size_t pos = in.find("\r\n") + 2;
  while (pos < headEnd) {
    size_t eol = in.find("\r\n", pos);
    std::string line = in.substr(pos, eol - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon), value = line.substr(colon + 1);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      value.erase(0, value.find_first_not_of(" \t"));
      r.headers[name] = value;
    }
    pos = eol + 2;
  }
  r.body = in.substr(headEnd + 4, want >= 0 ? static_cast<size_t>(want) : std::string::npos);
  return r;
}

}  // namespace cdns::clients
