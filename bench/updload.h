// What the modes of the load generator (updload.cpp, updload_answer.cpp) share: arguments, the
// DNS connection with retries, signed updates, queries and the statistics printed.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
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

/// One connection to a DNS server (UDP or TCP), opened on first use and again after a failure.
class Conn {
 public:
  Conn(sockaddr_in addr, bool tcp) : addr_(addr), tcp_(tcp) {}
  ~Conn() { close(); }
  void close();
  /// Sends `msg` and waits for the response with the same ID. false on timeout or I/O error.
  bool exchange(const std::vector<uint8_t>& msg, std::vector<uint8_t>& resp, int timeoutMs);

 private:
  bool open();
  bool fail();
  bool writeAll(const uint8_t* p, size_t n);
  /// Waits until the socket has something to read; false at the deadline or on an error.
  bool readable(Clock::time_point deadline);
  bool readAll(uint8_t* p, size_t n, Clock::time_point deadline);
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
