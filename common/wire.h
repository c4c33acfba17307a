// Bounds-checked reader and writer for network byte order: every untrusted byte goes through here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cdns {

/// Reads big-endian integers and byte runs from a buffer it does not own. A read past the end
/// sets failed() and returns zeros; callers check failed() (or remaining()) once per unit.
class WireReader {
 public:
  WireReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  explicit WireReader(std::span<const uint8_t> s) : data_(s.data()), size_(s.size()) {}

  bool failed() const { return failed_; }
  size_t offset() const { return pos_; }
  size_t size() const { return size_; }
  size_t remaining() const { return failed_ ? 0 : size_ - pos_; }
  bool atEnd() const { return pos_ == size_; }

  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  uint64_t u64();
  /// n bytes as a view into the buffer; an empty view and failed() when fewer remain.
  std::span<const uint8_t> bytes(size_t n);
  bool skip(size_t n);
  /// Moves to an absolute offset (used to follow name compression pointers).
  bool seek(size_t off);

 private:
  bool need(size_t n);
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  bool failed_ = false;
};

/// Appends big-endian integers and bytes to a growing vector.
class WireWriter {
 public:
  explicit WireWriter(std::vector<uint8_t>& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void bytes(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  size_t size() const { return out_.size(); }
  /// Overwrites a u16 written earlier (for lengths known only afterwards).
  void patchU16(size_t at, uint16_t v);

 private:
  std::vector<uint8_t>& out_;
};

std::string toHex(std::span<const uint8_t> b);
/// Parses hex digits; whitespace between pairs is allowed. False on odd length or bad digit.
bool fromHex(std::string_view hex, std::vector<uint8_t>& out);

}  // namespace cdns
