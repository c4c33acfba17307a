// Signed update transport with failover and back-off.
#include "publisher/sender.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "common/dns.h"
#include "common/log.h"
#include "common/msg_writer.h"
#include "common/net.h"

namespace cdns::publisher {
namespace {

uint64_t now() { return static_cast<uint64_t>(time(nullptr)); }

Result<std::vector<uint8_t>> exchangeUdp(const sockaddr_storage& addr, const std::vector<uint8_t>& msg, int timeoutMs) {
  int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return makeError(std::string("socket: ") + std::strerror(errno));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), net::addrLen(addr)) != 0 ||
      send(fd, msg.data(), msg.size(), 0) != static_cast<ssize_t>(msg.size())) {
    std::string why = std::strerror(errno);
    close(fd);
    return makeError(why);
  }
  std::vector<uint8_t> buf(65535);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (true) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, left) != 1) {
      close(fd);
      return makeError("timed out");
    }
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      std::string why = std::strerror(errno);  // e.g. ECONNREFUSED: nobody listens
      close(fd);
      return makeError(why);
    }
    // Only the answer to our message counts (same ID, a response).
    if (n >= 12 && buf[0] == msg[0] && buf[1] == msg[1] && (buf[2] & 0x80)) {
      close(fd);
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
  }
}

Result<std::vector<uint8_t>> exchangeTcp(const sockaddr_storage& addr, const std::vector<uint8_t>& msg, int timeoutMs) {
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), net::addrLen(addr)) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return makeError(why);
  }
  std::vector<uint8_t> f{static_cast<uint8_t>(msg.size() >> 8), static_cast<uint8_t>(msg.size())};
  f.insert(f.end(), msg.begin(), msg.end());
  if (send(fd, f.data(), f.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(f.size())) {
    close(fd);
    return makeError("send failed");
  }
  uint8_t len[2];
  if (!net::readExact(fd, len, 2)) {
    close(fd);
    return makeError("no answer over TCP");
  }
  std::vector<uint8_t> out(static_cast<size_t>(len[0] << 8 | len[1]));
  bool ok = net::readExact(fd, out.data(), out.size());
  close(fd);
  if (!ok) return makeError("answer cut short over TCP");
  return out;
}

// The Update Lease option in a response's OPT (RFC 9664 §4).
std::optional<uint32_t> grantedLease(const std::vector<uint8_t>& m) {
  WireReader r(m.data(), m.size());
  r.skip(4);
  uint16_t counts[4];
  for (auto& c : counts) c = r.u16();
  uint8_t name[dns::kMaxName];
  for (uint16_t i = 0; i < counts[0]; ++i) {
    if (!dns::readName(r, name)) return std::nullopt;
    r.skip(4);
  }
  for (uint32_t i = 0; i < static_cast<uint32_t>(counts[1]) + counts[2] + counts[3]; ++i) {
    if (!dns::readName(r, name)) return std::nullopt;
    uint16_t type = r.u16();
    r.skip(6);
    uint16_t rdlen = r.u16();
    size_t start = r.offset();
    if (!r.skip(rdlen)) return std::nullopt;
    if (type != dns::kOPT) continue;
    WireReader o(m.data() + start, rdlen);
    while (!o.atEnd()) {
      uint16_t code = o.u16(), len = o.u16();
      if (code == 2 && len >= 4) return o.u32();
      if (!o.skip(len)) break;
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<uint8_t> buildUpdate(uint16_t id, const std::string& zoneWire, const std::vector<UpdateOp>& ops,
                                 std::optional<uint32_t> lease) {
  std::vector<uint8_t> out(65535);
  dns::MessageWriter w(out.data(), out.size());
  uint8_t hdr[dns::kHeaderSize] = {};
  dns::put16(hdr, id);
  dns::put16(hdr + 2, static_cast<uint16_t>(dns::kOpUpdate << 11));
  dns::put16(hdr + 4, 1);
  dns::put16(hdr + 8, static_cast<uint16_t>(ops.size()));
  dns::put16(hdr + 10, lease ? 1 : 0);
  w.raw(hdr, sizeof hdr);
  w.name(zoneWire);
  w.u16(dns::kSOA);
  w.u16(dns::kIN);
  for (const auto& op : ops) {
    switch (op.kind) {
      case UpdateOp::Kind::kAdd:
        w.rr(op.owner, 0, op.type, op.ttl, op.rdata);
        break;
      case UpdateOp::Kind::kDeleteRRset:  // class ANY, TTL 0, no rdata (RFC 2136 §2.5.2)
        w.rr(op.owner, 0, op.type, 0, "", dns::kCLASS_ANY);
        break;
      case UpdateOp::Kind::kDeleteRR:  // class NONE, TTL 0 (§2.5.4)
        w.rr(op.owner, 0, op.type, 0, op.rdata, dns::kNONE);
        break;
    }
  }
  if (lease) {
    uint8_t opt[19] = {0, 0, dns::kOPT, 0x04, 0xd0, 0, 0, 0, 0, 0, 8, 0, 2, 0, 4};
    dns::put32(opt + 15, *lease);
    w.raw(opt, sizeof opt);
  }
  out.resize(w.size());
  return out;
}

Result<SendResult> sendUpdate(const std::string& zoneWire, const std::vector<UpdateOp>& ops,
                              std::optional<uint32_t> lease, const tsig::Key& key, const SendOptions& opts) {
  static thread_local std::mt19937 rng(std::random_device{}());
  std::string lastError = "no primaries configured";
  int backoff = opts.backoffMs;
  for (int attempt = 0; attempt < opts.attempts; ++attempt) {
    const std::string& primary = opts.primaries[static_cast<size_t>(attempt) % opts.primaries.size()];
    auto addr = net::parseHostPort(primary, 53);
    if (!addr) return addr.error();
    std::vector<uint8_t> msg = buildUpdate(static_cast<uint16_t>(rng()), zoneWire, ops, lease);
    auto mac = tsig::signRequest(msg, key, now());
    if (!mac) return mac.error();
    auto reply = msg.size() > 512 ? exchangeTcp(*addr, msg, opts.timeoutMs) : exchangeUdp(*addr, msg, opts.timeoutMs);
    if (reply && reply->size() >= 4 && ((*reply)[2] & 0x02)) reply = exchangeTcp(*addr, msg, opts.timeoutMs);  // TC
    if (reply) {
      uint16_t rcode = (*reply)[3] & 0xF;
      auto verified = tsig::verifyResponse(*reply, key, *mac, now());
      if (!verified) {
        // An unsigned refusal (BADKEY/BADSIG) cannot be authenticated: report what it says.
        lastError = primary + ": " + dns::rcodeToText(rcode) + " (" + verified.error().message + ")";
        if (rcode == dns::kNotAuth) return makeError(lastError);
      } else {
        SendResult r{rcode, primary, grantedLease(*reply)};
        // SERVFAIL (e.g. the primary's journal failed) is worth another primary; refusals are not.
        if (rcode != dns::kServFail) return r;
        lastError = primary + ": SERVFAIL";
      }
    } else {
      lastError = primary + ": " + reply.error().message;
    }
    log::warn("publisher.send").kv("primary", primary).kv("attempt", attempt + 1).kv("error", lastError);
    if (attempt + 1 < opts.attempts) {
      // Exponential back-off with jitter (0.5x-1.5x), so many centers do not retry in step.
      std::uniform_real_distribution<double> jitter(0.5, 1.5);
      std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(backoff * jitter(rng))));
      backoff *= 2;
    }
  }
  return makeError("no primary accepted the update: " + lastError);
}

}  // namespace cdns::publisher
