// updload's "answer" mode: sequential updates that move a resolver's answer, each followed by
// polls of the resolver until its answer shows it (publish-to-answer).
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <thread>

#include "bench/updload.h"
#include "common/dns.h"
#include "common/wire.h"

namespace cdns::updload {
namespace {

// The target of the first CNAME in the answer section (lower-cased wire form), "" when none;
// false when the message does not parse.
bool cnameTarget(const std::vector<uint8_t>& m, int* rcode, std::string& target) {
  target.clear();
  if (m.size() < dns::kHeaderSize) return false;
  *rcode = m[3] & 0xF;
  WireReader r(m.data(), m.size());
  r.skip(4);
  uint16_t qd = r.u16(), an = r.u16();
  r.skip(4);
  std::string name;
  for (uint16_t i = 0; i < qd; ++i) {
    if (!dns::readName(r, name)) return false;
    r.skip(4);
  }
  for (uint16_t i = 0; i < an; ++i) {
    if (!dns::readName(r, name)) return false;
    uint16_t type = r.u16();
    r.skip(6);
    uint16_t len = r.u16();
    if (r.failed()) return false;
    size_t end = r.offset() + len;
    if (type == dns::kCNAME) {
      if (!dns::readName(r, target)) return false;
      target = dns::lowerName(target);
      return true;
    }
    if (!r.seek(end)) return false;
  }
  return !r.failed();
}

std::vector<uint8_t> fromHex(const std::string& hex, const char* what) {
  std::vector<uint8_t> out;
  std::string h;
  for (char ch : hex)
    if (!std::isspace(static_cast<unsigned char>(ch))) h += ch;
  if (h.size() % 2) die(std::string(what) + ": odd number of hex digits");
  for (size_t i = 0; i < h.size(); i += 2) {
    char* end = nullptr;
    std::string byte = h.substr(i, 2);
    long v = std::strtol(byte.c_str(), &end, 16);
    if (*end) die(std::string(what) + ": not hex: " + byte);
    out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

}  // namespace

// Sequential updates of one center that make it the best and then the worst for the query, in
// turn; after each acknowledgement the resolver is polled until its answer follows.
int runAnswer(const Args& a) {
  auto key = loadKey(a);
  sockaddr_in prim = parseAddr(a.server), res = parseAddr(a.resolver);
  std::string zone = nameWire(a.zone), z = a.zone;
  if (!z.empty() && z.back() != '.') z += '.';
  auto full = [&](std::string n) { return n.back() == '.' ? n : n + "." + z; };
  std::string owner = nameWire(full(a.owner)), query = nameWire(full(a.query)), target = nameWire(full(a.target));
  std::vector<uint8_t> on = fromHex(a.onHex, "--on"), off = fromHex(a.offHex, "--off");
  Conn up(prim, a.tcp), poll(res, false);
  uint16_t id = 1, qid = 40001;
  auto interval = std::chrono::microseconds(a.pollUs);
  // One update, then polls until the answer is (or, `want` false, is no longer) the target.
  // Returns the time from the acknowledgement to the first answer that shows it, -1 when it did
  // not within --wait-ms, -2 when the update failed.
  auto step = [&](bool want, double* ackUs, int* polls, long long* intoSecond) -> double {
    std::vector<uint8_t> rd;
    add16(rd, 0);  // key 0: ts, 8 bytes, Unix seconds
    add16(rd, 8);
    uint64_t now = static_cast<uint64_t>(time(nullptr));
    add32(rd, static_cast<uint32_t>(now >> 32));
    add32(rd, static_cast<uint32_t>(now));
    const auto& rest = want ? on : off;
    rd.insert(rd.end(), rest.begin(), rest.end());
    Outcome o = sendUpdate(up, key, buildUpdate(id++, zone, owner, a.type, rd), a.timeoutMs, a.retries);
    auto tAck = Clock::now();
    *intoSecond = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count() % 1000;
    *ackUs = o.us;
    *polls = 0;
    if (o.rcode != 0 || !o.tsigOk) return -2;
    auto limit = tAck + std::chrono::milliseconds(a.waitMs);
    auto next = tAck;
    std::string got;
    while (Clock::now() < limit) {
      auto tPoll = Clock::now();
      ++*polls;
      std::vector<uint8_t> resp;
      int rcode = -1;
      if (poll.exchange(buildQuery(qid++, query, dns::kA), resp, 200) && cnameTarget(resp, &rcode, got) && rcode == 0 &&
          !got.empty() && (got == target) == want)
        return std::chrono::duration<double, std::micro>(Clock::now() - tAck).count();
      next = std::max(next + interval, tPoll);
      std::this_thread::sleep_until(next);
    }
    return -1;
  };
  double ackUs;
  int n;
  long long into;
  // Start from the "off" state, so that the first measured update changes the answer.
  if (step(false, &ackUs, &n, &into) < 0) die("the resolver's answer did not leave " + a.target + " after the first update");
  std::this_thread::sleep_for(std::chrono::milliseconds(a.gapMs));
  std::vector<double> lag, ack;
  size_t missing = 0, failed = 0, polls = 0;
  std::ofstream f = latencyFile(a, "# seq state ack_us answer_us polls ack_ms_into_second\n");
  for (int i = 0; i < a.count; ++i) {
    bool want = i % 2 == 0;
    double us = step(want, &ackUs, &n, &into);
    polls += static_cast<size_t>(n);
    if (us == -2) ++failed;
    else {
      ack.push_back(ackUs);
      if (us < 0) ++missing;
      else lag.push_back(us);
    }
    if (f.is_open())
      f << i << ' ' << (want ? "on" : "off") << ' ' << static_cast<long long>(ackUs) << ' '
        << (us == -2 ? "failed" : us < 0 ? "missing" : std::to_string(static_cast<long long>(us))) << ' ' << n << ' ' << into
        << '\n';
    std::this_thread::sleep_for(std::chrono::milliseconds(a.gapMs));
  }
  printFollowed(a, "answer_ms", lag, ack, failed, missing, polls);
  return 0;
}

}  // namespace cdns::updload
