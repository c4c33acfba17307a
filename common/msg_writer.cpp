// DNS message building with name compression.
#include "common/msg_writer.h"

#include <cstring>

namespace cdns::dns {

bool MessageWriter::raw(const void* p, size_t n) {
  if (len_ + n > limit_) return false;
  std::memcpy(buf_ + len_, p, n);
  len_ += n;
  return true;
}

bool MessageWriter::u16(uint16_t v) {
  if (len_ + 2 > limit_) return false;
  put16(buf_ + len_, v);
  len_ += 2;
  return true;
}

bool MessageWriter::u32(uint32_t v) {
  if (len_ + 4 > limit_) return false;
  put32(buf_ + len_, v);
  len_ += 4;
  return true;
}

bool MessageWriter::pointer(size_t offset) { return u16(static_cast<uint16_t>(0xC000 | offset)); }

bool MessageWriter::beginResponse(const uint8_t* query, size_t questionEnd, size_t qnameLen) {
  uint8_t hdr[kHeaderSize] = {};
  std::memcpy(hdr, query, 2);
  put16(hdr + 4, 1);
  if (!raw(hdr, sizeof hdr) || !raw(query + kHeaderSize, questionEnd - kHeaderSize)) return false;
  remember(kHeaderSize, qnameLen);
  return true;
}

void MessageWriter::remember(size_t offset, size_t len) {
  size_t i = offset;
  while (i < offset + len && buf_[i] != 0 && ntargets_ < kMaxTargets && i < 0x3FFF) {
    targets_[ntargets_++] = static_cast<uint16_t>(i);
    i += buf_[i] + 1u;
  }
}

// Does the (possibly compressed) name at `off` equal `suffix`, ignoring case?
bool MessageWriter::matchAt(size_t off, std::string_view suffix) const {
  size_t i = 0;
  for (int hops = 0; hops < 64; ++hops) {
    uint8_t l = buf_[off];
    if ((l & 0xC0) == 0xC0) {
      off = static_cast<size_t>(l & 0x3F) << 8 | buf_[off + 1];
      continue;
    }
    if (i >= suffix.size() || static_cast<uint8_t>(suffix[i]) != l) return false;
    if (l == 0) return true;
    for (size_t j = 1; j <= l; ++j)
      if (lowerByte(buf_[off + j]) != lowerByte(static_cast<uint8_t>(suffix[i + j]))) return false;
    off += l + 1u;
    i += l + 1u;
  }
  return false;
}

bool MessageWriter::name(std::string_view wire, bool compress) {
  size_t start = len_;
  int startTargets = ntargets_;
  size_t i = 0;
  while (i < wire.size() && wire[i] != 0) {
    if (compress) {
      std::string_view suffix = wire.substr(i);
      for (int t = 0; t < ntargets_; ++t) {
        if (matchAt(targets_[t], suffix)) {
          if (!pointer(targets_[t])) {
            len_ = start;
            ntargets_ = startTargets;
            return false;
          }
          return true;
        }
      }
    }
    size_t l = static_cast<uint8_t>(wire[i]);
    if (len_ + l + 1 > limit_) {
      len_ = start;
      ntargets_ = startTargets;
      return false;
    }
    if (ntargets_ < kMaxTargets && len_ < 0x3FFF) targets_[ntargets_++] = static_cast<uint16_t>(len_);
    std::memcpy(buf_ + len_, wire.data() + i, l + 1);
    len_ += l + 1;
    i += l + 1;
  }
  if (len_ + 1 > limit_) {
    len_ = start;
    ntargets_ = startTargets;
    return false;
  }
  buf_[len_++] = 0;
  return true;
}

static size_t nameLength(std::string_view rd, size_t off) {
  size_t i = off;
  while (i < rd.size() && rd[i] != 0) i += static_cast<uint8_t>(rd[i]) + 1u;
  return i < rd.size() ? i + 1 - off : 0;
}

bool MessageWriter::rdataNames(uint16_t type, std::string_view rd) {
  switch (type) {
    case kNS:
    case kCNAME:
    case kPTR:
      return name(rd);
    case kMX:
      return rd.size() >= 3 && raw(rd.data(), 2) && name(rd.substr(2));
    case kSOA: {
      size_t a = nameLength(rd, 0);
      size_t b = a ? nameLength(rd, a) : 0;
      if (!a || !b || rd.size() != a + b + 20) return raw(rd.data(), rd.size());
      return name(rd.substr(0, a)) && name(rd.substr(a, b)) && raw(rd.data() + a + b, 20);
    }
    default:
      return raw(rd.data(), rd.size());
  }
}

bool MessageWriter::rr(std::string_view owner, size_t ownerOffset, uint16_t type, uint32_t ttl,
                       std::string_view rdata, uint16_t cls) {
  Mark m = mark();
  bool ok = (ownerOffset ? pointer(ownerOffset) : name(owner)) && u16(type) && u16(cls) && u32(ttl);
  if (ok && len_ + 2 <= limit_) {
    size_t rdlenAt = len_;
    len_ += 2;
    if (rdataNames(type, rdata)) {
      put16(buf_ + rdlenAt, static_cast<uint16_t>(len_ - rdlenAt - 2));
      return true;
    }
  }
  rollback(m);
  return false;
}

}  // namespace cdns::dns
