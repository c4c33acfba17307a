// A blocking HTTP/1.1 client for cdns-relay's job API: HTTPS (OpenSSL, verified against the
// system's CAs or --ca, or not at all with --insecure) or plain HTTP, one request per connection.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/result.h"

namespace cdns::clients {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? "" : it->second;
  }
};

struct RelayTarget {
  std::string scheme = "auto";  // auto (https; http for a loopback relay that answers plain HTTP) | https | http
  std::string host;             // name for TLS verification and Host: ("relay.sz1.centers.gba.example")
  std::string address;          // numeric address to connect to
  uint16_t port = 0;
  std::string caFile;           // PEM CA bundle; empty: the system's
  bool insecure = false;        // do not verify the certificate
  int timeoutS = 10;
};

/// An Error from request() means no reply at all (connect, TLS, timeout); whatever the relay
/// answered, with any status, is a reply.
class RelayClient {
 public:
  explicit RelayClient(RelayTarget t) : t_(std::move(t)) {}
  /// `token` goes in "Authorization: Bearer"; `body` (JSON) makes it a request with a body.
  Result<HttpReply> request(const std::string& method, const std::string& target, const std::string& token,
                            const std::string& body = "");
  /// "https://relay.sz1.centers.gba.example:8443" (the scheme once known).
  std::string url() const;
  /// Parses "http://127.0.0.1:8080" / "https://relay.example:8443" (a name is looked up).
  static Result<RelayTarget> parseUrl(const std::string& url);

 private:
  Result<HttpReply> once(bool tls, const std::string& method, const std::string& target, const std::string& token,
                         const std::string& body);
  RelayTarget t_;
};

}  // namespace cdns::clients
