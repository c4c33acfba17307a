// Following a zone as a secondary: AXFR (RFC 5936), IXFR (RFC 1995), NOTIFY (RFC 1996).
#include "resolver/replica.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

#include "authority/update.h"
#include "common/dns.h"
#include "common/ldns_handles.h"
#include "common/log.h"
#include "common/net.h"
#include "common/wire.h"

namespace cdns::resolver {
namespace {

uint64_t now() { return static_cast<uint64_t>(time(nullptr)); }

uint32_t soaSerial(const std::string& rd) { return dns::soaField(rd, 0); }
uint32_t soaRefresh(const std::string& rd) { return dns::soaField(rd, 1, 3600); }

}  // namespace

Replica::Replica(ReplicaConfig config) : c_(std::move(config)) {
  auto o = dns::nameFromText(c_.zone);
  origin_ = o ? dns::lowerName(*o) : "";
}

Replica::~Replica() { stop(); }

std::shared_ptr<const authority::Zone> Replica::zone() const {
  std::lock_guard<std::mutex> g(mu_);
  return zone_;
}

std::pair<std::shared_ptr<const authority::Zone>, std::shared_ptr<const Index>> Replica::current() const {
  std::lock_guard<std::mutex> g(mu_);
  return {zone_, index_};
}

ReplicaStatus Replica::status() const {
  std::lock_guard<std::mutex> g(mu_);
  return status_;
}

void Replica::poke() {
  {
    std::lock_guard<std::mutex> g(mu_);
    poked_ = true;
  }
  cv_.notify_one();
}

Result<std::vector<std::vector<uint8_t>>> Replica::xfr(const std::string& primary, uint16_t qtype) {
  auto addr = net::parseHostPort(primary, 53);
  if (!addr) return addr.error();
  ldns_pkt* q = ldns_pkt_query_new(ldns_dname_new_frm_str(c_.zone.c_str()), static_cast<ldns_rr_type>(qtype),
                                   LDNS_RR_CLASS_IN, 0);
  std::random_device rd;
  ldns_pkt_set_id(q, static_cast<uint16_t>(rd()));
  auto current = zone();
  if (qtype == dns::kIXFR && current) {
    // RFC 1995 §3: our SOA in the authority section says which version we have.
    std::vector<uint8_t> w(origin_.begin(), origin_.end());
    WireWriter ww(w);
    const auto& soa = current->soa();
    ww.u16(dns::kSOA);
    ww.u16(dns::kIN);
    ww.u32(soa.ttl);
    ww.u16(static_cast<uint16_t>(soa.rdata[0].size()));
    ww.bytes(soa.rdata[0]);
    ldns_rr* rr = nullptr;
    size_t pos = 0;
    if (ldns_wire2rr(&rr, w.data(), w.size(), &pos, LDNS_SECTION_AUTHORITY) == LDNS_STATUS_OK)
      ldns_pkt_push_rr(q, LDNS_SECTION_AUTHORITY, rr);
  }
  std::vector<uint8_t> msg = toWire(q);
  ldns_pkt_free(q);
  std::vector<uint8_t> mac;
  if (c_.key) {
    auto m = tsig::signRequest(msg, *c_.key, now());
    if (!m) return m.error();
    mac = *m;
  }
  int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{c_.timeoutMs / 1000, (c_.timeoutMs % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&*addr), net::addrLen(*addr)) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return makeError(primary + ": " + why);
  }
  std::vector<uint8_t> f(msg.size() + 2);
  f[0] = static_cast<uint8_t>(msg.size() >> 8);
  f[1] = static_cast<uint8_t>(msg.size());
  std::copy(msg.begin(), msg.end(), f.begin() + 2);
  if (send(fd, f.data(), f.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(f.size())) {
    close(fd);
    return makeError(primary + ": send failed");
  }
  std::optional<tsig::StreamVerifier> verifier;
  if (c_.key) verifier.emplace(*c_.key, mac);
  std::vector<std::vector<uint8_t>> out;
  uint32_t first = 0;
  int soaSeen = 0;
  size_t records = 0;
  bool secondIsSoa = false;
  while (true) {
    uint8_t len[2];
    if (!net::readExact(fd, len, 2)) {
      close(fd);
      return makeError(primary + ": transfer cut short");
    }
    std::vector<uint8_t> m(static_cast<size_t>(len[0] << 8 | len[1]));
    if (!net::readExact(fd, m.data(), m.size())) {
      close(fd);
      return makeError(primary + ": transfer cut short");
    }
    if (verifier)
      if (auto st = verifier->next(m, now()); !st) {
        close(fd);
        return makeError(primary + ": " + st.error().message);
      }
    ldns_pkt* p = nullptr;
    if (ldns_wire2pkt(&p, m.data(), m.size()) != LDNS_STATUS_OK) {
      close(fd);
      return makeError(primary + ": malformed transfer message");
    }
    auto rcode = ldns_pkt_get_rcode(p);
    bool done = false;
    for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(p)); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_answer(p), i);
      bool isSoa = ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA;
      if (isSoa) {
        auto rec = authority::Zone::recordOf(rr);
        uint32_t serial = soaSerial(rec.rdata);
        if (records == 0) first = serial;
        if (records == 1) secondIsSoa = true;
        if (serial == first) ++soaSeen;
      }
      ++records;
      // AXFR (or a full zone in IXFR) ends at the second SOA of the new serial; IXFR at the
      // third (first, the last change's new SOA, last); one SOA alone means "up to date".
      if (records > 1 && soaSeen >= (secondIsSoa && qtype == dns::kIXFR ? 3 : 2)) done = true;
    }
    ldns_pkt_free(p);
    out.push_back(std::move(m));
    if (rcode != LDNS_RCODE_NOERROR) {
      close(fd);
      return makeError(primary + ": transfer refused (" + dns::rcodeToText(static_cast<uint16_t>(rcode)) + ")");
    }
    if (done || (records == 1 && qtype == dns::kIXFR && current && !authority::serialGreater(first, current->serial())))
      break;
  }
  close(fd);
  if (verifier && !verifier->lastSigned()) return makeError(primary + ": the transfer's last message is unsigned");
  return out;
}

Status Replica::apply(std::vector<std::vector<uint8_t>>& messages, bool incremental) {
  std::vector<authority::Record> rrs;
  for (const auto& m : messages) {
    ldns_pkt* p = nullptr;
    if (ldns_wire2pkt(&p, m.data(), m.size()) != LDNS_STATUS_OK) return makeError("malformed transfer message");
    for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(p)); ++i)
      rrs.push_back(authority::Zone::recordOf(ldns_rr_list_rr(ldns_pkt_answer(p), i)));
    ldns_pkt_free(p);
  }
  if (rrs.empty() || rrs[0].type != dns::kSOA) return makeError("transfer does not start with an SOA");
  auto [current, currentIndex] = this->current();
  if (rrs.size() == 1) return {};  // up to date
  std::shared_ptr<const authority::Zone> next;
  std::vector<std::string> changedOwners;  // an IXFR's: only those centers are decoded again
  bool full = true;
  if (!incremental || rrs[1].type != dns::kSOA) {
    rrs.pop_back();  // the closing SOA
    auto z = authority::Zone::fromRecords(c_.zone, rrs, "transfer");
    if (!z) return z.error();
    next = *z;
    std::lock_guard<std::mutex> g(mu_);
    ++status_.axfrs;
  } else {
    // RFC 1995 §4: SOA(new) [SOA(old) removed... SOA(new_i) added...]* SOA(new).
    next = current;
    size_t i = 1;
    while (i + 1 < rrs.size()) {
      std::vector<authority::Record> removed{rrs[i++]}, added;
      while (i < rrs.size() && rrs[i].type != dns::kSOA) removed.push_back(rrs[i++]);
      if (i >= rrs.size()) return makeError("IXFR: missing the new SOA of a change");
      added.push_back(rrs[i++]);
      while (i < rrs.size() && rrs[i].type != dns::kSOA) added.push_back(rrs[i++]);
      for (const auto* list : {&removed, &added})
        for (const auto& r : *list) changedOwners.push_back(r.owner);
      next = next->apply(removed, added);
    }
    full = false;
    std::lock_guard<std::mutex> g(mu_);
    ++status_.ixfrs;
  }
  // The index is built here, on the replica's thread, so that answering never waits for it.
  auto index = full || !currentIndex ? Index::build(*next) : Index::update(currentIndex.get(), *next, changedOwners);
  std::lock_guard<std::mutex> g(mu_);
  zone_ = next;
  index_ = std::move(index);
  version_.fetch_add(1, std::memory_order_release);
  status_.serial = next->serial();
  ++status_.transfers;
  return {};
}

Status Replica::transferFull() {
  std::string errors;
  for (const auto& p : c_.primaries) {
    auto msgs = xfr(p, dns::kAXFR);
    if (msgs) return apply(*msgs, false);
    errors += (errors.empty() ? "" : "; ") + msgs.error().message;
  }
  return makeError("zone " + c_.zone + ": no primary gave a transfer: " + errors);
}

Status Replica::refresh() {
  if (!zone()) return transferFull();
  std::string errors;
  for (const auto& p : c_.primaries) {
    auto msgs = xfr(p, dns::kIXFR);
    if (msgs) return apply(*msgs, true);
    errors += (errors.empty() ? "" : "; ") + msgs.error().message;
  }
  return makeError("zone " + c_.zone + ": no primary answered: " + errors);
}

std::optional<std::vector<uint8_t>> Replica::notifyReply(const std::vector<uint8_t>& msg, const sockaddr_storage& from,
                                                         const tsig::Keyring& ring) {
  if (msg.size() < dns::kHeaderSize) return std::nullopt;
  uint16_t flags = dns::get16(msg.data() + 2);
  if ((flags & dns::kFlagQR) || ((flags >> 11) & 0xF) != dns::kOpNotify) return std::nullopt;
  // From one of our primaries only (RFC 1996 §3.10), and signed when we have a key.
  std::string host = net::formatHost(reinterpret_cast<const sockaddr*>(&from));
  bool known = false;
  for (const auto& p : c_.primaries)
    if (auto a = net::parseHostPort(p, 53); a && net::formatHost(reinterpret_cast<sockaddr*>(&*a)) == host) known = true;
  WireReader r(msg.data(), msg.size());
  r.skip(dns::kHeaderSize);
  uint8_t qname[dns::kMaxName];
  auto qlen = dns::readName(r, qname);
  if (!qlen) return std::nullopt;
  dns::lowerName(qname, *qlen);
  size_t qend = r.offset() + 4;
  if (!known || std::string(reinterpret_cast<char*>(qname), *qlen) != origin_ || qend > msg.size()) return std::nullopt;
  tsig::RequestInfo info;
  if (c_.key) {
    auto v = tsig::verifyRequest(msg, ring, now());
    if (!v || !v->present || v->error != tsig::TsigRcode::kNoError) {
      log::warn("resolver.replica").kv("zone", c_.zone).kv("from", host).msg("NOTIFY without a valid signature ignored");
      return std::nullopt;
    }
    info = *v;
  }
  std::vector<uint8_t> reply(msg.begin(), msg.begin() + static_cast<long>(qend));
  dns::put16(reply.data() + 2, static_cast<uint16_t>(dns::kFlagQR | dns::kFlagAA | (dns::kOpNotify << 11)));
  dns::put16(reply.data() + 4, 1);
  dns::put16(reply.data() + 6, 0);
  dns::put16(reply.data() + 8, 0);
  dns::put16(reply.data() + 10, 0);
  if (c_.key) (void)tsig::signResponse(reply, info, now());
  {
    std::lock_guard<std::mutex> g(mu_);
    ++status_.notifies;
  }
  poke();
  return reply;
}

void Replica::handleNotify() {
  tsig::Keyring ring;
  if (c_.key) ring.add(*c_.key);
  std::vector<uint8_t> buf(65535);
  while (true) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stop_) return;
    }
    pollfd pfd[2] = {{notifyFd_, POLLIN, 0}, {notifyTcpFd_, POLLIN, 0}};
    if (poll(pfd, notifyTcpFd_ >= 0 ? 2 : 1, 200) <= 0) continue;  // wakes up to see stop_
    if (pfd[0].revents) {
      sockaddr_storage from{};
      socklen_t flen = sizeof from;
      ssize_t n = recvfrom(notifyFd_, buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n > 0)
        if (auto reply = notifyReply(std::vector<uint8_t>(buf.begin(), buf.begin() + n), from, ring))
          sendto(notifyFd_, reply->data(), reply->size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
    }
    if (notifyTcpFd_ >= 0 && pfd[1].revents) {
      // One connection at a time, each message framed (RFC 1035 §4.2.2), bounded by a timeout:
      // a primary sends a NOTIFY or two and waits for the answers.
      sockaddr_storage from{};
      socklen_t flen = sizeof from;
      int c = accept4(notifyTcpFd_, reinterpret_cast<sockaddr*>(&from), &flen, SOCK_CLOEXEC);
      if (c < 0) continue;
      timeval tv{2, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      for (int messages = 0; messages < 16; ++messages) {
        uint8_t len[2];
        if (!net::readExact(c, len, 2)) break;
        size_t n = dns::get16(len);
        if (!n || !net::readExact(c, buf.data(), n)) break;
        auto reply = notifyReply(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(n)), from, ring);
        if (!reply) break;
        std::vector<uint8_t> framed(2);
        dns::put16(framed.data(), static_cast<uint16_t>(reply->size()));
        framed.insert(framed.end(), reply->begin(), reply->end());
        if (send(c, framed.data(), framed.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(framed.size())) break;
      }
      close(c);
    }
  }
}

void Replica::run() {
  uint32_t backoff = 1;
  while (true) {
    uint32_t wait;
    {
      std::lock_guard<std::mutex> g(mu_);
      wait = zone_ ? std::clamp(soaRefresh(zone_->soa().rdata[0]), c_.minRefreshSeconds, c_.maxRefreshSeconds) : 1;
      if (!status_.lastError.empty()) wait = std::min(wait, backoff);
    }
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait_for(lk, std::chrono::seconds(wait), [&] { return poked_ || stop_; });
      if (stop_) return;
      poked_ = false;
    }
    Status st = refresh();
    std::lock_guard<std::mutex> g(mu_);
    if (st) {
      status_.lastSuccess = now();
      status_.lastError.clear();
      backoff = 1;
    } else {
      ++status_.failures;
      status_.lastError = st.error().message;
      backoff = std::min<uint32_t>(backoff * 2, 60);
      log::warn("resolver.replica").kv("zone", c_.zone).kv("error", st.error().message).msg("keeping the copy we have");
    }
  }
}

Result<uint16_t> Replica::start() {
  if (origin_.empty()) return makeError("bad zone name " + c_.zone);
  if (c_.primaries.empty()) return makeError("zone " + c_.zone + ": no primaries");
  uint16_t port = 0;
  if (!c_.notifyListen.empty()) {
    auto addr = net::parseHostPort(c_.notifyListen, 53);
    if (!addr) return addr.error();
    // UDP and TCP on one port, as primaries may send NOTIFY over either (Knot uses TCP). With
    // port 0 the UDP socket picks it; a clash on TCP means trying another.
    for (int attempt = 0; attempt < 20 && notifyTcpFd_ < 0; ++attempt) {
      auto fd = net::bindSocket(*addr, SOCK_DGRAM, false);
      if (!fd) return fd.error();
      sockaddr_storage bound{};
      socklen_t len = sizeof bound;
      getsockname(*fd, reinterpret_cast<sockaddr*>(&bound), &len);
      auto tcp = net::bindSocket(bound, SOCK_STREAM, false);
      if (!tcp) {
        close(*fd);
        if (net::portOf(reinterpret_cast<sockaddr*>(&*addr)) != 0) return makeError("NOTIFY over TCP: " + tcp.error().message);
        continue;
      }
      notifyFd_ = *fd;
      notifyTcpFd_ = *tcp;
      port = net::portOf(reinterpret_cast<sockaddr*>(&bound));
    }
    if (notifyTcpFd_ < 0) return makeError("NOTIFY: no port free for both UDP and TCP");
  }
  if (auto st = transferFull(); !st) return st.error();
  {
    std::lock_guard<std::mutex> g(mu_);
    status_.lastSuccess = now();
  }
  log::info("resolver.replica").kv("zone", c_.zone).kv("serial", zone()->serial()).kv("records", zone()->recordCount())
      .msg("transferred");
  thread_ = std::thread([this] { run(); });
  if (notifyFd_ >= 0) notifyThread_ = std::thread([this] { handleNotify(); });
  return port;
}

void Replica::stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (notifyThread_.joinable()) notifyThread_.join();
  if (notifyTcpFd_ >= 0) {
    close(notifyTcpFd_);
    notifyTcpFd_ = -1;
  }
  if (notifyFd_ >= 0) {
    close(notifyFd_);
    notifyFd_ = -1;
  }
}

}  // namespace cdns::resolver
