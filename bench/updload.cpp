// updload: load generator for bench/updates.sh. Sends RFC 2136 updates signed with TSIG
// (RFC 8945) the way a center's publisher does: each update replaces one RRset (delete the RRset,
// add one record). One thread per client, blocking sockets, per-update latency recorded.
//
//   updload load      C clients, each sending up to N updates one after another
//   updload verify    checks that each owner serves exactly the last acknowledged value
//   updload propagate sequential updates to a primary, polls a secondary until each one shows
//   updload answer    sequential updates that move a resolver's answer, polled until it does
//   updload fsync     a bare append + fdatasync loop, for reference
//
// Built by bench/updates.sh against the project's TSIG library (common/tsig) and its
// dependencies (ldns, OpenSSL). Not part of the product.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/dns.h"
#include "common/tsig.h"

#include "bench/updload.h"

namespace cdns::updload {

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "updload: %s\n", msg.c_str());
  std::exit(2);
}

const char* kUsage = R"(usage:
  updload load --server HOST:PORT --zone ZONE --key ALG:NAME:SECRET --clients C --count N
               [--seconds S] [--tcp] [--owner-fmt FMT] [--type T] [--base V]
               [--lat-file FILE] [--state-file FILE] [--timeout-ms MS] [--retries R]
  updload verify --server HOST:PORT --zone ZONE --state-file FILE [--type T]
  updload propagate --server HOST:PORT --secondary HOST:PORT --zone ZONE --key ALG:NAME:SECRET
               --count N [--owner NAME] [--base V] [--poll-us US] [--wait-ms MS] [--gap-ms MS]
               [--lat-file FILE]
  updload answer --server HOST:PORT --resolver HOST:PORT --zone ZONE --key ALG:NAME:SECRET
               --owner NAME --query NAME --target NAME --on HEX --off HEX --count N
               [--poll-us US] [--wait-ms MS] [--gap-ms MS] [--lat-file FILE]
  updload fsync --dir DIR [--count N] [--bytes B] [--lat-file FILE]

Each update: delete the RRset OWNER/TYPE, add OWNER TTL 60 TYPE with rdata 00070004<value>
(the CAP record's queue=<value>, RFC 3597 form). FMT is a printf format for the owner with the
client number, relative to ZONE (default "c%d.centers"). TYPE defaults to 65281.
answer: updates OWNER's TYPE record in turn to "ts=<now>" + the --on rdata (hex, the keys after
ts) and to "ts=<now>" + the --off rdata; after each acknowledgement it queries the resolver for
QUERY (type A) until the CNAME in its answer is TARGET (after --on) or another name (after --off).
Results go to stdout as "key=value" lines.
)";

sockaddr_in parseAddr(const std::string& s) {
  auto c = s.rfind(':');
  if (c == std::string::npos) die("expected HOST:PORT, got " + s);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::atoi(s.c_str() + c + 1)));
  if (inet_pton(AF_INET, s.substr(0, c).c_str(), &a.sin_addr) != 1) die("bad IPv4 address in " + s);
  return a;
}

std::string nameWire(const std::string& text) {
  std::string t = text;
  if (t.empty() || t.back() != '.') t += '.';
  auto n = dns::nameFromText(t);
  if (!n) die("bad name " + text + ": " + n.error().message);
  return dns::lowerName(*n);
}

void add16(std::vector<uint8_t>& m, uint16_t v) {
  m.push_back(static_cast<uint8_t>(v >> 8));
  m.push_back(static_cast<uint8_t>(v));
}
void add32(std::vector<uint8_t>& m, uint32_t v) {
  add16(m, static_cast<uint16_t>(v >> 16));
  add16(m, static_cast<uint16_t>(v));
}
void addName(std::vector<uint8_t>& m, const std::string& wire) { m.insert(m.end(), wire.begin(), wire.end()); }

// The record's rdata: CAP key 7 (queue), 4 bytes, the value.
std::vector<uint8_t> rdataFor(uint32_t value) {
  std::vector<uint8_t> rd;
  add16(rd, 7);
  add16(rd, 4);
  add32(rd, value);
  return rd;
}

// UPDATE: zone section, no prerequisites, update section = delete RRset + add one record.
std::vector<uint8_t> buildUpdate(uint16_t id, const std::string& zone, const std::string& owner, uint16_t type,
                                 const std::vector<uint8_t>& rd) {
  std::vector<uint8_t> m;
  add16(m, id);
  add16(m, static_cast<uint16_t>(dns::kOpUpdate << 11));
  add16(m, 1);  // ZOCOUNT
  add16(m, 0);  // PRCOUNT
  add16(m, 2);  // UPCOUNT
  add16(m, 0);  // ADCOUNT (the TSIG is appended by signing)
  addName(m, zone);
  add16(m, dns::kSOA);
  add16(m, dns::kIN);
  addName(m, owner);  // RFC 2136 §2.5.2: delete an RRset: class ANY, TTL 0, no rdata
  add16(m, type);
  add16(m, dns::kCLASS_ANY);
  add32(m, 0);
  add16(m, 0);
  addName(m, owner);  // §2.5.1: add to an RRset
  add16(m, type);
  add16(m, dns::kIN);
  add32(m, 60);
  add16(m, static_cast<uint16_t>(rd.size()));
  m.insert(m.end(), rd.begin(), rd.end());
  return m;
}
std::vector<uint8_t> buildUpdate(uint16_t id, const std::string& zone, const std::string& owner, uint16_t type,
                                 uint32_t value) {
  return buildUpdate(id, zone, owner, type, rdataFor(value));
}

std::vector<uint8_t> buildQuery(uint16_t id, const std::string& owner, uint16_t type) {
  std::vector<uint8_t> m;
  add16(m, id);
  add16(m, 0);
  add16(m, 1);
  add16(m, 0);
  add16(m, 0);
  add16(m, 0);
  addName(m, owner);
  add16(m, type);
  add16(m, dns::kIN);
  return m;
}

// Skips a possibly compressed name; false when malformed.
bool skipName(const std::vector<uint8_t>& m, size_t& off) {
  while (off < m.size()) {
    uint8_t l = m[off];
    if (l == 0) {
      ++off;
      return true;
    }
    if ((l & 0xC0) == 0xC0) {
      off += 2;
      return off <= m.size();
    }
    off += 1 + l;
  }
  return false;
}

// The rdata of the answer records of `type` in a response (rcode in *rcode).
bool answerRdata(const std::vector<uint8_t>& m, uint16_t type, int* rcode, std::vector<std::vector<uint8_t>>& out) {
  if (m.size() < 12) return false;
  *rcode = m[3] & 0xF;
  uint16_t qd = dns::get16(&m[4]), an = dns::get16(&m[6]);
  size_t off = 12;
  for (uint16_t i = 0; i < qd; ++i) {
    if (!skipName(m, off)) return false;
    off += 4;
  }
  for (uint16_t i = 0; i < an; ++i) {
    if (!skipName(m, off) || off + 10 > m.size()) return false;
    uint16_t t = dns::get16(&m[off]);
    uint16_t len = dns::get16(&m[off + 8]);
    off += 10;
    if (off + len > m.size()) return false;
    if (t == type) out.emplace_back(m.begin() + static_cast<long>(off), m.begin() + static_cast<long>(off + len));
    off += len;
  }
  return true;
}

// A blocking connection to one server, UDP (connected socket) or TCP (length-prefixed).
// ------------------------------------------------------------------ Conn
void Conn::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool Conn::exchange(const std::vector<uint8_t>& msg, std::vector<uint8_t>& resp, int timeoutMs) {
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
    if (!readable(deadline)) return false;
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

bool Conn::open() {
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

bool Conn::fail() {
  close();
  return false;
}

bool Conn::writeAll(const uint8_t* p, size_t n) {
  while (n) {
    ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool Conn::readable(Clock::time_point deadline) {
  while (true) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, left);
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

bool Conn::readAll(uint8_t* p, size_t n, Clock::time_point deadline) {
  while (n) {
    if (!readable(deadline)) return false;
    ssize_t got = ::recv(fd_, p, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

Outcome sendUpdate(Conn& conn, const tsig::Key& key, const std::vector<uint8_t>& unsignedMsg, int timeoutMs,
                   int retries) {
  Outcome o;
  auto t0 = Clock::now();
  std::vector<uint8_t> resp;
  for (int a = 0; a <= retries; ++a) {
    ++o.attempts;
    std::vector<uint8_t> msg = unsignedMsg;
    auto mac = tsig::signRequest(msg, key, static_cast<uint64_t>(time(nullptr)));
    if (!mac) die("signing failed: " + mac.error().message);
    if (!conn.exchange(msg, resp, timeoutMs)) continue;
    o.us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (resp.size() < 12 || !(resp[2] & 0x80) || ((resp[2] >> 3) & 0xF) != dns::kOpUpdate) {
      o.rcode = -2;  // not an UPDATE response
      return o;
    }
    o.rcode = resp[3] & 0xF;
    o.tsigOk = static_cast<bool>(tsig::verifyResponse(resp, key, *mac, static_cast<uint64_t>(time(nullptr))));
    return o;
  }
  o.us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  return o;
}

Stats stats(std::vector<double> v) {
  Stats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  auto pct = [&](double p) {  // nearest rank
    size_t k = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, k ? k - 1 : 0)];
  };
  s.p50 = pct(50);
  s.p90 = pct(90);
  s.p99 = pct(99);
  s.max = v.back();
  return s;
}

void printStats(const char* prefix, const Stats& s, double scale) {
  std::printf("%s_n=%zu\n%s_mean=%.3f\n%s_p50=%.3f\n%s_p90=%.3f\n%s_p99=%.3f\n%s_max=%.3f\n", prefix, s.n, prefix,
              s.mean / scale, prefix, s.p50 / scale, prefix, s.p90 / scale, prefix, s.p99 / scale, prefix, s.max / scale);
}

std::ofstream latencyFile(const Args& a, const char* header) {
  std::ofstream f;
  if (!a.latFile.empty()) {
    f.open(a.latFile);
    f << header;
  }
  return f;
}

void printFollowed(const Args& a, const char* what, const std::vector<double>& seen, const std::vector<double>& ack, size_t failed,
                   size_t missing, size_t polls) {
  std::printf("updates=%d\nacked=%zu\nfailed=%zu\nseen=%zu\nmissing=%zu\npolls=%zu\npoll_interval_us=%d\n", a.count,
              ack.size(), failed, seen.size(), missing, polls, a.pollUs);
  printStats(what, stats(seen), 1000.0);
  printStats("ack_ms", stats(ack), 1000.0);
}

double cpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string ownerText(const Args& a, int client, const std::string& zoneText) {
  char buf[256];
  std::snprintf(buf, sizeof buf, a.ownerFmt.c_str(), client);
  std::string z = zoneText;
  if (!z.empty() && z.back() != '.') z += '.';
  return std::string(buf) + "." + z;
}

tsig::Key loadKey(const Args& a) {
  auto k = tsig::parseKeySpec(a.key);
  if (!k) die(k.error().message);
  return *k;
}

// ------------------------------------------------------------------ load
int runLoad(const Args& a) {
  auto key = loadKey(a);
  sockaddr_in addr = parseAddr(a.server);
  std::string zone = nameWire(a.zone);
  struct Rec {
    int client, seq;
    uint32_t value;
    double us;
    int rcode, attempts;
    bool tsigOk;
  };
  std::vector<std::vector<Rec>> recs(static_cast<size_t>(a.clients));
  std::vector<long long> lastOk(static_cast<size_t>(a.clients), -1);
  std::mutex mu;
  std::condition_variable cv;
  int ready = 0;
  bool go = false;
  Clock::time_point start, deadline;
  std::vector<Clock::time_point> finished(static_cast<size_t>(a.clients));
  std::vector<std::thread> threads;
  for (int c = 0; c < a.clients; ++c) {
    threads.emplace_back([&, c] {
      Conn conn(addr, a.tcp);
      std::string owner = nameWire(ownerText(a, c, a.zone));
      auto& mine = recs[static_cast<size_t>(c)];
      mine.reserve(static_cast<size_t>(a.count));
      uint16_t id = static_cast<uint16_t>(c * 2039 + 1);
      {
        std::unique_lock<std::mutex> lk(mu);
        ++ready;
        cv.notify_all();
        cv.wait(lk, [&] { return go; });
      }
      for (int i = 0; i < a.count && Clock::now() < deadline; ++i) {
        uint32_t value = a.base + static_cast<uint32_t>(c) * 1000000u + static_cast<uint32_t>(i);
        auto msg = buildUpdate(id++, zone, owner, a.type, value);
        Outcome o = sendUpdate(conn, key, msg, a.timeoutMs, a.retries);
        mine.push_back(Rec{c, i, value, o.us, o.rcode, o.attempts, o.tsigOk});
        if (o.rcode == 0 && o.tsigOk) lastOk[static_cast<size_t>(c)] = value;
      }
      finished[static_cast<size_t>(c)] = Clock::now();
    });
  }
  {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return ready == a.clients; });
    start = Clock::now();
    deadline = start + std::chrono::microseconds(static_cast<long long>(a.seconds * 1e6));
    go = true;
  }
  double cpu0 = cpuSeconds();
  cv.notify_all();
  for (auto& t : threads) t.join();
  double cpu1 = cpuSeconds();
  Clock::time_point end = *std::max_element(finished.begin(), finished.end());
  double elapsed = std::chrono::duration<double>(end - start).count();

  size_t sent = 0, ok = 0, noAnswer = 0, badTsig = 0, retried = 0, notUpdate = 0;
  std::map<int, size_t> rcodes;
  std::vector<double> lat;
  for (auto& v : recs)
    for (auto& r : v) {
      ++sent;
      if (r.attempts > 1) ++retried;
      if (r.rcode == -1) ++noAnswer;
      else if (r.rcode == -2) ++notUpdate;
      else ++rcodes[r.rcode];
      if (r.rcode >= 0 && !r.tsigOk) ++badTsig;
      if (r.rcode == 0 && r.tsigOk) {
        ++ok;
        lat.push_back(r.us);
      }
    }
  bool truncated = false;
  for (auto& v : recs)
    if (static_cast<int>(v.size()) < a.count) truncated = true;
  std::printf("clients=%d\ncount_per_client=%d\ntransport=%s\nsent=%zu\nok=%zu\n", a.clients, a.count,
              a.tcp ? "tcp" : "udp", sent, ok);
  std::printf("no_answer=%zu\nbad_tsig=%zu\nnot_update=%zu\nretried=%zu\ntime_bounded=%d\n", noAnswer, badTsig,
              notUpdate, retried, truncated ? 1 : 0);
  std::string rc;
  for (auto& [k, n] : rcodes) rc += (rc.empty() ? "" : ",") + dns::rcodeToText(static_cast<uint16_t>(k)) + ":" + std::to_string(n);
  std::printf("rcodes=%s\n", rc.empty() ? "-" : rc.c_str());
  size_t failures = sent - ok;
  std::printf("failures=%zu\nelapsed_s=%.4f\nupdates_per_s=%.1f\n", failures, elapsed,
              elapsed > 0 ? static_cast<double>(ok) / elapsed : 0.0);
  printStats("lat_ms", stats(lat), 1000.0);
  std::printf("client_cpu_s=%.3f\nclient_cpu_us_per_update=%.1f\n", cpu1 - cpu0,
              sent ? (cpu1 - cpu0) / static_cast<double>(sent) * 1e6 : 0.0);
  if (!a.latFile.empty()) {
    std::ofstream f(a.latFile);
    f << "# client seq value latency_us rcode attempts tsig_ok\n";
    for (auto& v : recs)
      for (auto& r : v)
        f << r.client << ' ' << r.seq << ' ' << r.value << ' ' << static_cast<long long>(r.us) << ' ' << r.rcode << ' '
          << r.attempts << ' ' << (r.tsigOk ? 1 : 0) << '\n';
  }
  if (!a.stateFile.empty()) {
    std::ofstream f(a.stateFile);
    for (int c = 0; c < a.clients; ++c)
      f << ownerText(a, c, a.zone) << ' ' << lastOk[static_cast<size_t>(c)] << '\n';
  }
  return 0;
}

// ------------------------------------------------------------------ verify
int runVerify(const Args& a) {
  sockaddr_in addr = parseAddr(a.server);
  std::ifstream in(a.stateFile);
  if (!in) die("cannot read " + a.stateFile);
  Conn conn(addr, true);
  std::string owner;
  long long want;
  size_t good = 0, bad = 0, skipped = 0;
  uint16_t id = 77;
  while (in >> owner >> want) {
    if (want < 0) {
      ++skipped;
      continue;
    }
    std::vector<uint8_t> resp;
    std::vector<std::vector<uint8_t>> rds;
    int rcode = -1;
    bool okQ = false;
    for (int t = 0; t < 3 && !okQ; ++t) okQ = conn.exchange(buildQuery(id++, nameWire(owner), a.type), resp, 2000);
    bool match = okQ && answerRdata(resp, a.type, &rcode, rds) && rcode == 0 && rds.size() == 1 &&
                 rds[0] == rdataFor(static_cast<uint32_t>(want));
    if (match) {
      ++good;
    } else {
      ++bad;
      std::string got;
      for (auto& r : rds) {
        char h[16];
        got += " ";
        for (auto b : r) {
          std::snprintf(h, sizeof h, "%02x", b);
          got += h;
        }
      }
      std::fprintf(stderr, "verify: %s wants value %lld, got rcode %d and %zu record(s):%s\n", owner.c_str(), want,
                   rcode, rds.size(), got.c_str());
    }
  }
  std::printf("verify_ok=%zu\nverify_bad=%zu\nverify_skipped=%zu\n", good, bad, skipped);
  return bad ? 1 : 0;
}

// ------------------------------------------------------------------ propagate
int runPropagate(const Args& a) {
  auto key = loadKey(a);
  sockaddr_in prim = parseAddr(a.server), sec = parseAddr(a.secondary);
  std::string zone = nameWire(a.zone);
  std::string ownerT = a.owner;
  std::string z = a.zone;
  if (!z.empty() && z.back() != '.') z += '.';
  if (ownerT.back() != '.') ownerT += "." + z;
  std::string owner = nameWire(ownerT);
  Conn up(prim, a.tcp), poll(sec, false);
  std::vector<double> prop, ack;
  size_t missing = 0, failed = 0, polls = 0;
  std::ofstream f = latencyFile(a, "# seq value ack_us propagation_us polls ack_ms_into_second\n");
  uint16_t id = 1, qid = 30001;
  auto interval = std::chrono::microseconds(a.pollUs);
  for (int i = 0; i < a.count; ++i) {
    uint32_t value = a.base + static_cast<uint32_t>(i);
    Outcome o = sendUpdate(up, key, buildUpdate(id++, zone, owner, a.type, value), a.timeoutMs, a.retries);
    auto tAck = Clock::now();
    // Where in the wall-clock second the answer came (some secondaries time events in seconds).
    long long intoSecond = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count() % 1000;
    if (o.rcode != 0 || !o.tsigOk) {
      ++failed;
      if (f.is_open()) f << i << ' ' << value << ' ' << static_cast<long long>(o.us) << " failed rcode=" << o.rcode << '\n';
      continue;
    }
    ack.push_back(o.us);
    auto want = rdataFor(value);
    bool seen = false;
    int n = 0;
    double us = 0;
    auto limit = tAck + std::chrono::milliseconds(a.waitMs);
    auto next = tAck;
    while (Clock::now() < limit) {
      auto tPoll = Clock::now();
      ++n;
      std::vector<uint8_t> resp;
      if (poll.exchange(buildQuery(qid++, owner, a.type), resp, 200)) {
        std::vector<std::vector<uint8_t>> rds;
        int rcode = -1;
        if (answerRdata(resp, a.type, &rcode, rds) && rcode == 0)
          for (auto& r : rds)
            if (r == want) seen = true;
        if (seen) {
          us = std::chrono::duration<double, std::micro>(Clock::now() - tAck).count();
          break;
        }
      }
      next = std::max(next + interval, tPoll);
      std::this_thread::sleep_until(next);
    }
    polls += static_cast<size_t>(n);
    if (seen) prop.push_back(us);
    else ++missing;
    if (f.is_open()) f << i << ' ' << value << ' ' << static_cast<long long>(o.us) << ' ' << (seen ? std::to_string(static_cast<long long>(us)) : "missing") << ' ' << n << ' ' << intoSecond << '\n';
    std::this_thread::sleep_for(std::chrono::milliseconds(a.gapMs));
  }
  printFollowed(a, "prop_ms", prop, ack, failed, missing, polls);
  return 0;
}

// ------------------------------------------------------------------ fsync
int runFsync(const Args& a) {
  std::string path = a.dir + "/fsync-probe.bin";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die(path + ": " + std::strerror(errno));
  std::vector<uint8_t> buf(static_cast<size_t>(a.bytes), 0x5a);
  std::vector<double> lat;
  off_t off = 0;
  for (int i = 0; i < a.count; ++i) {
    auto t0 = Clock::now();
    if (pwrite(fd, buf.data(), buf.size(), off) != static_cast<ssize_t>(buf.size())) die("pwrite failed");
    if (fdatasync(fd) != 0) die("fdatasync failed");
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    off += static_cast<off_t>(buf.size());
  }
  ::close(fd);
  ::unlink(path.c_str());
  Stats s = stats(lat);
  std::printf("fsync_count=%d\nfsync_bytes=%d\n", a.count, a.bytes);
  printStats("fsync_ms", s, 1000.0);
  std::printf("fsync_per_s=%.1f\n", s.mean > 0 ? 1e6 / s.mean : 0.0);
  if (!a.latFile.empty()) {
    std::ofstream f(a.latFile);
    for (double x : lat) f << static_cast<long long>(x) << '\n';
  }
  return 0;
}

}  // namespace cdns::updload

using namespace cdns;
using namespace cdns::updload;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  Args a;
  a.mode = argv[1];
  if (a.mode == "-h" || a.mode == "--help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  for (int i = 2; i < argc; ++i) {
    std::string o = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die(o + " needs a value");
      return argv[++i];
    };
    if (o == "--server") a.server = val();
    else if (o == "--secondary") a.secondary = val();
    else if (o == "--zone") a.zone = val();
    else if (o == "--key") a.key = val();
    else if (o == "--clients") a.clients = std::atoi(val().c_str());
    else if (o == "--count") a.count = std::atoi(val().c_str());
    else if (o == "--seconds") a.seconds = std::atof(val().c_str());
    else if (o == "--tcp") a.tcp = true;
    else if (o == "--owner-fmt") a.ownerFmt = val();
    else if (o == "--owner") a.owner = val();
    else if (o == "--type") a.type = static_cast<uint16_t>(std::atoi(val().c_str()));
    else if (o == "--base") a.base = static_cast<uint32_t>(std::strtoul(val().c_str(), nullptr, 10));
    else if (o == "--lat-file") a.latFile = val();
    else if (o == "--state-file") a.stateFile = val();
    else if (o == "--timeout-ms") a.timeoutMs = std::atoi(val().c_str());
    else if (o == "--retries") a.retries = std::atoi(val().c_str());
    else if (o == "--poll-us") a.pollUs = std::atoi(val().c_str());
    else if (o == "--wait-ms") a.waitMs = std::atoi(val().c_str());
    else if (o == "--gap-ms") a.gapMs = std::atoi(val().c_str());
    else if (o == "--dir") a.dir = val();
    else if (o == "--bytes") a.bytes = std::atoi(val().c_str());
    else if (o == "--resolver") a.resolver = val();
    else if (o == "--query") a.query = val();
    else if (o == "--target") a.target = val();
    else if (o == "--on") a.onHex = val();
    else if (o == "--off") a.offHex = val();
    else die("unknown option " + o);
  }
  if (a.clients < 1 || a.clients > 1024 || a.count < 1) die("--clients 1..1024 and --count >= 1");
  if (a.mode == "fsync") {
    if (a.dir.empty()) die("fsync needs --dir");
    return runFsync(a);
  }
  if (a.server.empty() || a.zone.empty()) die("--server and --zone are required");
  if (a.mode == "load") {
    if (a.key.empty()) die("load needs --key");
    return runLoad(a);
  }
  if (a.mode == "verify") {
    if (a.stateFile.empty()) die("verify needs --state-file");
    return runVerify(a);
  }
  if (a.mode == "propagate") {
    if (a.key.empty() || a.secondary.empty()) die("propagate needs --key and --secondary");
    return runPropagate(a);
  }
  if (a.mode == "answer") {
    if (a.key.empty() || a.resolver.empty() || a.query.empty() || a.target.empty() || a.onHex.empty() || a.offHex.empty())
      die("answer needs --key, --resolver, --owner, --query, --target, --on and --off");
    return runAnswer(a);
  }
  die("unknown mode " + a.mode + " (load, verify, propagate, answer, fsync)");
}
