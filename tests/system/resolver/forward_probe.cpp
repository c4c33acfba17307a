// Helper of the resolver's forwarding tests, for what dig and kdig cannot do:
//   forward_probe gai PORT NAME        getaddrinfo() through the resolver on 127.0.0.1:PORT
//   (glibc's
//                                      stub resolver, pointed there through _res after res_init)
//   forward_probe blackhole READYFILE  binds a UDP socket on 127.0.0.1:0 that never reads, writes
//                                      "PORT\n" to READYFILE, and waits to be killed
//   forward_probe send PORT HEX        sends HEX as one UDP datagram, prints the reply as hex
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int gai(int port, const char* name) {
  if (res_init() != 0) {
    std::cerr << "res_init failed\n";
    return 2;
  }
  // glibc keeps a configuration changed this way (it notices that _res no longer matches
  // resolv.conf) and its NSS dns module, hence getaddrinfo, uses it.
  _res.nscount = 1;
  _res.nsaddr_list[0] = loopback(port);
  _res.options &= ~static_cast<unsigned long>(RES_DNSRCH | RES_DEFNAMES);
  _res.retrans = 2;
  _res.retry = 2;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_CANONNAME;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(name, nullptr, &hints, &res);
  if (rc != 0) {
    std::cout << "error " << gai_strerror(rc) << "\n";
    return 1;
  }
  if (res->ai_canonname) std::cout << "canonical " << res->ai_canonname << "\n";
  for (addrinfo* p = res; p; p = p->ai_next) {
    char host[INET6_ADDRSTRLEN] = {};
    const void* addr =
        p->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr);
    inet_ntop(p->ai_family, addr, host, sizeof host);
    std::cout << "address " << host << "\n";
  }
  freeaddrinfo(res);
  return 0;
}

int blackhole(const char* readyFile) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = loopback(0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    perror("bind");
    return 2;
  }
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  std::string tmp = std::string(readyFile) + ".tmp";
  std::ofstream(tmp) << ntohs(a.sin_port) << "\n";
  std::rename(tmp.c_str(), readyFile);
  for (;;) pause();  // never reads: queries sent here go unanswered
}

int send(int port, const std::string& hex) {
  std::vector<uint8_t> msg;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    msg.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a = loopback(port);
  if (sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    perror("sendto");
    return 2;
  }
  uint8_t buf[65536];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n < 0) {
    std::cout << "no reply\n";
    return 1;
  }
  for (ssize_t i = 0; i < n; ++i) std::printf("%02x", buf[i]);
  std::printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "gai" && argc == 4) return gai(std::atoi(argv[2]), argv[3]);
  if (cmd == "blackhole" && argc == 3) return blackhole(argv[2]);
  if (cmd == "send" && argc == 4) return send(std::atoi(argv[2]), argv[3]);
  std::cerr << "usage: forward_probe gai PORT NAME | blackhole READYFILE | send PORT HEX\n";
  return 2;
}
