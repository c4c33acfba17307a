// Socket address helpers.
#include "common/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cdns::net {

Result<sockaddr_storage> parseHostPort(const std::string& hp, int defaultPort) {
  std::string host = hp, port;
  if (!hp.empty() && hp[0] == '[') {
    auto close = hp.find(']');
    if (close == std::string::npos) return makeError("\"" + hp + "\": missing ']'");
    host = hp.substr(1, close - 1);
    if (close + 1 < hp.size()) {
      if (hp[close + 1] != ':') return makeError("\"" + hp + "\": expected ':' after ']'");
      port = hp.substr(close + 2);
    }
  } else if (auto colon = hp.rfind(':'); colon != std::string::npos && hp.find(':') == colon) {
    host = hp.substr(0, colon);
    port = hp.substr(colon + 1);
  }
  long p = defaultPort;
  if (!port.empty()) {
    char* end = nullptr;
    p = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || p < 0 || p > 65535) return makeError("\"" + hp + "\": bad port");
  }
  if (p < 0) return makeError("\"" + hp + "\": missing port");
  sockaddr_storage ss{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(p));
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(p));
  } else {
    return makeError("\"" + hp + "\": not an IP address");
  }
  return ss;
}

std::string formatHost(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

uint16_t portOf(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
  if (sa->sa_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port);
  return 0;
}

void setPort(sockaddr_storage& ss, uint16_t port) {
  if (ss.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(port);
  else reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(port);
}

socklen_t addrLen(const sockaddr_storage& ss) {
  return ss.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

std::string formatAddr(const sockaddr* sa) {
  std::string h = formatHost(sa);
  if (sa->sa_family == AF_INET6) h = "[" + h + "]";
  return h + ":" + std::to_string(portOf(sa));
}

bool readExact(int fd, uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

Result<int> bindSocket(const sockaddr_storage& addr, int type, bool reusePort) {
  int fd = socket(addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return makeError("socket: " + std::string(std::strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reusePort) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (addr.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (type == SOCK_DGRAM) {
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), addrLen(addr)) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    return makeError("bind " + formatAddr(reinterpret_cast<const sockaddr*>(&addr)) + ": " + why);
  }
  if (type == SOCK_STREAM && listen(fd, 1024) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    return makeError("listen " + formatAddr(reinterpret_cast<const sockaddr*>(&addr)) + ": " + why);
  }
  return fd;
}

}  // namespace cdns::net
