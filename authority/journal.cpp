// The update journal: append + fsync, replay, atomic rewrite, IXFR history.
#include "authority/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/dns.h"
#include "common/log.h"
#include "common/wire.h"

namespace cdns::authority {
namespace {

constexpr uint32_t kMagic = 0x43444a31;  // "CDJ1": one per record, so a torn record is detectable

void putRecord(WireWriter& w, const Record& r) {
  w.u8(static_cast<uint8_t>(r.owner.size()));
  w.bytes(r.owner);
  w.u16(r.type);
  w.u32(r.ttl);
  w.u16(static_cast<uint16_t>(r.rdata.size()));
  w.bytes(r.rdata);
}

bool getRecord(WireReader& r, Record& out) {
  uint8_t n = r.u8();
  auto o = r.bytes(n);
  out.owner.assign(reinterpret_cast<const char*>(o.data()), o.size());
  out.type = r.u16();
  out.ttl = r.u32();
  uint16_t rdlen = r.u16();
  auto rd = r.bytes(rdlen);
  out.rdata.assign(reinterpret_cast<const char*>(rd.data()), rd.size());
  return !r.failed();
}

Status writeAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return makeError(std::string("write: ") + std::strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

Status syncDir(const std::string& path) {
  std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  if (dir.empty()) dir = ".";
  int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (d < 0) return makeError("open " + dir + ": " + std::strerror(errno));
  fsync(d);
  ::close(d);
  return {};
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t len) {
  static uint32_t table[256] = {};
  static bool init = [] {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return true;
  }();
  (void)init;
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; ++i) c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

size_t Changeset::bytes() const {
  size_t n = 64;
  for (const auto& r : removed) n += r.owner.size() + r.rdata.size() + 16;
  for (const auto& r : added) n += r.owner.size() + r.rdata.size() + 16;
  return n;
}

std::vector<uint8_t> encodeChangeset(const Changeset& c) {
  std::vector<uint8_t> out;
  WireWriter w(out);
  w.u32(kMagic);
  w.u32(0);  // length, patched below
  w.u32(0);  // crc, patched below
  size_t start = out.size();
  w.u32(c.from);
  w.u32(c.to);
  w.u64(c.time);
  w.u32(static_cast<uint32_t>(c.removed.size()));
  for (const auto& r : c.removed) putRecord(w, r);
  w.u32(static_cast<uint32_t>(c.added.size()));
  for (const auto& r : c.added) putRecord(w, r);
  w.u32(static_cast<uint32_t>(c.leases.size()));
  for (const auto& l : c.leases) {
    putRecord(w, l.record);
    w.u64(l.expiry);
  }
  uint32_t len = static_cast<uint32_t>(out.size() - start);
  dns::put32(out.data() + 4, len);
  dns::put32(out.data() + 8, crc32(out.data() + start, len));
  return out;
}

Result<Changeset> decodeChangeset(const uint8_t* data, size_t len) {
  WireReader r(data, len);
  Changeset c;
  c.from = r.u32();
  c.to = r.u32();
  c.time = r.u64();
  for (auto* list : {&c.removed, &c.added}) {
    uint32_t n = r.u32();
    if (r.failed() || n > len) return makeError("journal record: bad count");
    for (uint32_t i = 0; i < n; ++i) {
      Record rec;
      if (!getRecord(r, rec)) return makeError("journal record: truncated");
      list->push_back(std::move(rec));
    }
  }
  uint32_t n = r.u32();
  if (r.failed() || n > len) return makeError("journal record: bad lease count");
  for (uint32_t i = 0; i < n; ++i) {
    LeaseEntry l;
    if (!getRecord(r, l.record)) return makeError("journal record: truncated");
    l.expiry = r.u64();
    c.leases.push_back(std::move(l));
  }
  if (r.failed() || !r.atEnd()) return makeError("journal record: bad length");
  return c;
}

Result<std::unique_ptr<Journal>> Journal::open(const std::string& path, size_t maxHistoryBytes) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return makeError("journal " + path + ": " + std::strerror(errno));
  // One writer per journal: a second server on the same files would interleave their changes.
  int lock = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    if (lock >= 0) ::close(lock);
    return makeError("journal " + path + ": in use by another cdns-authority");
  }
  auto j = std::unique_ptr<Journal>(new Journal(path, fd, maxHistoryBytes));
  j->lockFd_ = lock;
  struct stat st;
  fstat(fd, &st);
  j->size_ = static_cast<size_t>(st.st_size);
  return j;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
  if (lockFd_ >= 0) ::close(lockFd_);
}

Result<std::vector<Changeset>> Journal::readAll() {
  std::vector<Changeset> out;
  std::vector<uint8_t> buf(size_);
  if (size_ && pread(fd_, buf.data(), size_, 0) != static_cast<ssize_t>(size_))
    return makeError("journal " + path_ + ": read: " + std::strerror(errno));
  size_t off = 0;
  while (off + 12 <= buf.size()) {
    uint32_t magic = dns::get32(buf.data() + off);
    uint32_t len = dns::get32(buf.data() + off + 4);
    uint32_t crc = dns::get32(buf.data() + off + 8);
    if (magic != kMagic || off + 12 + len > buf.size() || crc32(buf.data() + off + 12, len) != crc) break;
    auto c = decodeChangeset(buf.data() + off + 12, len);
    if (!c) break;
    out.push_back(std::move(*c));
    off += 12 + len;
  }
  if (off != buf.size()) {
    // A torn tail: the process died while writing it, before it was acknowledged.
    log::warn("authority.journal").kv("file", path_).kv("kept_bytes", off).kv("dropped_bytes", buf.size() - off)
        .msg("discarding an incomplete record at the end");
    if (ftruncate(fd_, static_cast<off_t>(off)) != 0 || fsync(fd_) != 0)
      return makeError("journal " + path_ + ": truncate: " + std::strerror(errno));
    size_ = off;
  }
  return out;
}

Status Journal::append(const std::vector<Changeset>& changes) {
  std::vector<uint8_t> all;
  for (const auto& c : changes) {
    auto e = encodeChangeset(c);
    all.insert(all.end(), e.begin(), e.end());
  }
  if (pwrite(fd_, all.data(), all.size(), static_cast<off_t>(size_)) != static_cast<ssize_t>(all.size())) {
    // Leave nothing half-written behind for the next append.
    if (ftruncate(fd_, static_cast<off_t>(size_)) != 0) {}
    return makeError("journal " + path_ + ": write: " + std::strerror(errno));
  }
  if (fdatasync(fd_) != 0) return makeError("journal " + path_ + ": fsync: " + std::strerror(errno));
  size_ += all.size();
  for (const auto& c : changes) remember(c);
  return {};
}

Status Journal::rewrite(const std::vector<Changeset>& keep) {
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return makeError("journal " + tmp + ": " + std::strerror(errno));
  size_t total = 0;
  for (const auto& c : keep) {
    auto e = encodeChangeset(c);
    if (auto st = writeAll(fd, e.data(), e.size()); !st) {
      ::close(fd);
      return st;
    }
    total += e.size();
  }
  if (fsync(fd) != 0) {
    ::close(fd);
    return makeError("journal " + tmp + ": fsync: " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::close(fd);
    return makeError("journal " + path_ + ": rename: " + std::strerror(errno));
  }
  (void)syncDir(path_);  // best effort: the data itself is already synced
  ::close(fd_);
  ::close(fd);
  fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) return makeError("journal " + path_ + ": reopen: " + std::strerror(errno));
  size_ = total;
  return {};
}

void Journal::remember(const Changeset& c) {
  history_.push_back(std::make_shared<const Changeset>(c));
  historyBytes_ += c.bytes();
  while (history_.size() > 1 && historyBytes_ > maxHistory_) {
    historyBytes_ -= history_.front()->bytes();
    history_.pop_front();
  }
}

std::vector<Changeset> Journal::historyCopy() const {
  std::vector<Changeset> out;
  for (const auto& c : history_) out.push_back(*c);
  return out;
}

std::vector<std::shared_ptr<const Changeset>> Journal::chainFrom(uint32_t fromSerial, uint32_t toSerial) const {
  std::vector<std::shared_ptr<const Changeset>> chain;
  uint32_t at = fromSerial;
  for (const auto& c : history_) {
    if (at == toSerial) break;
    if (c->from == c->to) continue;  // a lease-only change: nothing for IXFR
    if (chain.empty() && c->from != at) continue;
    if (c->from != at) return {};  // a gap: the history does not connect
    chain.push_back(c);
    at = c->to;
  }
  if (at != toSerial) return {};
  return chain;
}

}  // namespace cdns::authority
