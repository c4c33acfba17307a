// A small HTTP/1.1 server (optionally HTTPS) on a libuv loop: metrics endpoints and JSON APIs.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace cdns::http {

/// One complete request, as the handler sees it. Nothing is percent-decoded.
struct Request {
  std::string method;  // "GET", case as sent
  std::string target;  // path+query as sent ("/metrics?x=1"; absolute-form kept as sent)
  std::string path;    // "/metrics" ("*" for "OPTIONS *")
  std::string query;   // "x=1", without the '?'; empty when absent
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent, values trimmed
  std::string body;
  std::string peer;      // "127.0.0.1:5555" or "[::1]:5555"
  int versionMinor = 1;  // HTTP/1.<versionMinor>
  bool tls = false;      // arrived over HTTPS

  /// The first header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

/// What the handler answers. Content-Length and Connection are set by the server (a handler's
/// own are dropped, though "Connection: close" is honoured); headers with CR/LF are dropped.
/// 204 and 304 are sent without a body or Content-Length; a status outside 200..999 becomes 500.
struct Response {
  int status = 200;
  std::string contentType = "text/plain; charset=utf-8";  // empty: no Content-Type header
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// Runs on the server's loop thread, once per request, in request order per connection. It must
/// not block. An exception becomes a 500 response and a log::error("http") line.
using Handler = std::function<Response(const Request&)>;

/// Sends the answer to one request. Call it once, on the loop thread, inside the handler or
/// later (after work done elsewhere); a call after the connection has closed does nothing.
using Responder = std::function<void(Response)>;

/// A handler that may answer later: it must not block either, but may hand the work to another
/// thread and call `respond` from the loop once it is done. Until then the connection reads no
/// further request (responses stay in request order); the idle timeout still applies. An
/// exception before `respond` was called becomes a 500 response, as with Handler.
using AsyncHandler = std::function<void(const Request&, Responder respond)>;

struct ServerOptions {
  size_t maxHeaderBytes = 16384;  // request line + headers; over it -> 431 (414 for the line)
  size_t maxBodyBytes = 1 << 20;  // Content-Length over it -> 413
  /// A connection that has not completed a request (or had a write complete) for this long is
  /// closed. Also bounds how long one request may take to arrive. 0 disables it.
  uint64_t idleTimeoutMs = 30000;
  size_t maxConnections = 256;  // connections over it are accepted and closed at once
  std::string tlsCertFile;      // PEM chain; with tlsKeyFile -> HTTPS (TLS 1.2+)
  std::string tlsKeyFile;       // PEM private key
};

/// An HTTP/1.1 server on one libuv loop; everything (handlers included) runs on that loop's
/// thread. HTTP/1.0 and 1.1, keep-alive, pipelining, Content-Length bodies (chunked request
/// bodies get 411), "Expect: 100-continue". The process must ignore SIGPIPE (as any libuv program
/// that writes to sockets).
class Server {
 public:
  /// Does not listen yet. Any thread, before the loop runs.
  Server(uv_loop_t* loop, Handler handler, ServerOptions opts = {});
  /// The same with a handler that may answer later.
  Server(uv_loop_t* loop, AsyncHandler handler, ServerOptions opts = {});
  /// Closes (see close()). Handles still closing are freed by the loop when it next runs, so run
  /// the loop to completion after destroying a server that was listening. Loop thread only.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and listens ("127.0.0.1:0", "[::1]:8080"); returns the bound port. May be called more
  /// than once to listen on several addresses. Loads the TLS certificate and key on first use.
  /// Call on the loop thread (or before uv_run).
  Result<uint16_t> listen(const std::string& hostPort);

  /// Closes the listeners and all connections (unsent responses are dropped); the loop can then
  /// finish. Idempotent; safe from inside a handler. Loop thread only.
  void close();

  /// Connections now open. Loop thread only.
  size_t connectionCount() const;

  class Impl;

 private:
  Impl* impl_;  // frees itself once its last handle has closed after ~Server
};

/// Splits "host:port" / "[v6]:port" (numeric addresses only) into a sockaddr_storage; errors name
/// the problem. Any thread.
Result<sockaddr_storage> parseHostPort(const std::string& hostPort);

/// "127.0.0.1:5555" / "[::1]:5555" for an AF_INET or AF_INET6 address. Any thread.
std::string formatAddress(const sockaddr* sa);

/// The reason phrase for a status code ("Not Found"); "Status" for unknown codes. Any thread.
std::string_view reasonPhrase(int status);

}  // namespace cdns::http
