// What the modes of the load generator (updload.cpp, updload_answer.cpp) share: arguments, the
// DNS connection with retries, signed updates, queries and the statistics printed.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "common/dns.h"
#include "common/tsig.h"

namespace cdns::updload {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& msg);

struct Args {
  std::string mode, server, secondary, zone, key, ownerFmt = "c%d.centers", owner = "prop.centers";
  std::string latFile, stateFile, dir, resolver, query, target, onHex, offHex;
  int clients = 1, count = 100, retries = 3, timeoutMs = 2000, pollUs = 1000, waitMs = 5000, gapMs = 10;
  int bytes = 200;
  double seconds = 60;
  bool tcp = false;
  uint16_t type = 65281;
  uint32_t base = 1;
};

sockaddr_in parseAddr(const std::string& s);
/// A presentation name as lower-case wire form (dies on a bad name).
std::string nameWire(const std::string& text);
void add16(std::vector<uint8_t>& m, uint16_t v);
void add32(std::vector<uint8_t>& m, uint32_t v);
/// UPDATE: zone section, no prerequisites, update section = delete RRset + add one record.
std::vector<uint8_t> buildUpdate(uint16_t id, const std::string& zone, const std::string& owner, uint16_t type,
                                 const std::vector<uint8_t>& rd);
std::vector<uint8_t> buildQuery(uint16_t id, const std::string& owner, uint16_t type);
tsig::Key loadKey(const Args& a);

class Conn {
 public:
  Conn(sockaddr_in addr, bool tcp) : addr_(addr), tcp_(tcp) {}
  ~Conn() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Sends `msg` and waits for the response with the same ID. false on timeout or I/O error.
  bool exchange(const std::vector<uint8_t>& msg, std::vector<uint8_t>& resp, int timeoutMs) {
    if (fd_ < 0 && !open()) return false;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    uint16_t id = dns::get16(msg.data());
    if (tcp_) {
      std::vector<uint8_t> out;
      add16(out, static_cast<uint16_t>(msg.size()));
      out.insert(out.end(), msg.begin(), msg.end());
      if (!writeAll(out.data(), out.size())) return fail();
      while (true) {
        uint8_t len[2];
        if (!readAll(len, 2, deadline)) return fail();
        resp.resize(dns::get16(len));
        if (!readAll(resp.data(), resp.size(), deadline)) return fail();
        if (resp.size() >= 12 && dns::get16(resp.data()) == id) return true;
      }
    }
    if (::send(fd_, msg.data(), msg.size(), 0) != static_cast<ssize_t>(msg.size())) return fail();
    while (true) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, left);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      resp.resize(65535);
      ssize_t n = ::recv(fd_, resp.data(), resp.size(), 0);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return fail();  // e.g. ECONNREFUSED from an earlier datagram
      }
      resp.resize(static_cast<size_t>(n));
      if (resp.size() >= 12 && dns::get16(resp.data()) == id) return true;  // else: a late answer to a retry
    }
  }

 private:
  bool open() {
    fd_ = ::socket(AF_INET, (tcp_ ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    if (tcp_) {
      int one = 1;
      setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_) != 0) {
      close();
      return false;
    }
    return true;
  }
  bool fail() {
    close();
    return false;
  }
  bool writeAll(const uint8_t* p, size_t n) {
    while (n) {
      ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }
  bool readAll(uint8_t* p, size_t n, Clock::time_point deadline) {
    while (n) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      if (left <= 0) return false;
      pollfd pf{fd_, POLLIN, 0};
      int r = ::poll(&pf, 1, left);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      ssize_t got = ::recv(fd_, p, n, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      p += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  sockaddr_in addr_;
  bool tcp_;
  int fd_ = -1;
};

// The outcome of one signed update.
struct Outcome {
  int rcode = -1;     // -1: no answer
  bool tsigOk = false;
  int attempts = 0;
  double us = 0;      // first send to accepted answer
};

Outcome sendUpdate(Conn& conn, const tsig::Key& key, const std::vector<uint8_t>& unsignedMsg, int timeoutMs,
                   int retries);

struct Stats {
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
  size_t n = 0;
};

Stats stats(std::vector<double> v);
void printStats(const char* prefix, const Stats& s, double scale);
/// --lat-file opened with its header line (not open without --lat-file).
std::ofstream latencyFile(const Args& a, const char* header);
/// The summary of a mode that follows updates somewhere else (propagate, answer): counts, then
/// the statistics of `seen` (µs, printed in ms as `what`) and of the acknowledgements.
void printFollowed(const Args& a, const char* what, const std::vector<double>& seen, const std::vector<double>& ack, size_t failed,
                   size_t missing, size_t polls);

/// The "answer" mode (updload_answer.cpp).
int runAnswer(const Args& a);

}  // namespace cdns::updload
