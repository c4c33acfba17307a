// Socket address helpers: "host:port" parsing and printing, bound sockets with SO_REUSEPORT.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "common/result.h"

namespace cdns::net {

/// "127.0.0.1:53", "[::1]:53", "localhost:53" is not accepted (addresses only); errors name the
/// problem. `defaultPort` applies when the port is omitted ("127.0.0.1").
Result<sockaddr_storage> parseHostPort(const std::string& hostPort, int defaultPort = -1);
/// "127.0.0.1:53" / "[::1]:53".
std::string formatAddr(const sockaddr* sa);
/// Address without the port.
std::string formatHost(const sockaddr* sa);
uint16_t portOf(const sockaddr* sa);
void setPort(sockaddr_storage& ss, uint16_t port);
socklen_t addrLen(const sockaddr_storage& ss);

/// Reads exactly `n` bytes from a blocking stream socket (its receive timeout applies); false on
/// error, timeout or end of stream before `n` bytes.
bool readExact(int fd, uint8_t* buf, size_t n);

/// A non-blocking socket bound to `addr` (SOCK_DGRAM or SOCK_STREAM; streams also listen), with
/// SO_REUSEADDR and, when `reusePort`, SO_REUSEPORT. Errors name the address and the reason.
Result<int> bindSocket(const sockaddr_storage& addr, int type, bool reusePort);

}  // namespace cdns::net
