// DNS message constants and domain-name helpers on raw wire data (RFC 1035 §3-4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/wire.h"

namespace cdns::dns {

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxName = 255;   // RFC 1035 §2.3.4
inline constexpr size_t kMaxLabel = 63;

enum Opcode : uint8_t { kOpQuery = 0, kOpIquery = 1, kOpStatus = 2, kOpNotify = 4, kOpUpdate = 5 };

enum Rcode : uint16_t {
  kNoError = 0, kFormErr = 1, kServFail = 2, kNxDomain = 3, kNotImp = 4, kRefused = 5,
  kYxDomain = 6, kYxRrset = 7, kNxRrset = 8, kNotAuth = 9, kNotZone = 10,
  kBadVers = 16, kBadSig = 16, kBadKey = 17, kBadTime = 18,
};

enum Type : uint16_t {
  kA = 1, kNS = 2, kCNAME = 5, kSOA = 6, kPTR = 12, kMX = 15, kTXT = 16, kAAAA = 28, kSRV = 33,
  kDNAME = 39, kOPT = 41, kDS = 43, kRRSIG = 46, kNSEC = 47, kDNSKEY = 48, kSVCB = 64, kHTTPS = 65,
  kTKEY = 249, kTSIG = 250, kIXFR = 251, kAXFR = 252, kMAILB = 253, kMAILA = 254, kANY = 255,
};

enum Class : uint16_t { kIN = 1, kCH = 3, kNONE = 254, kCLASS_ANY = 255 };

// Header flag bits in the second 16-bit word.
inline constexpr uint16_t kFlagQR = 0x8000;
inline constexpr uint16_t kFlagAA = 0x0400;
inline constexpr uint16_t kFlagTC = 0x0200;
inline constexpr uint16_t kFlagRD = 0x0100;
inline constexpr uint16_t kFlagRA = 0x0080;
inline constexpr uint16_t kFlagAD = 0x0020;
inline constexpr uint16_t kFlagCD = 0x0010;

inline uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline uint32_t get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
inline void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

inline uint8_t lowerByte(uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c; }

/// Reads a possibly compressed name at the reader's position (RFC 1035 §4.1.4) into `out` as
/// uncompressed wire form (case kept), and leaves the reader after the name. Rejects labels over
/// 63 bytes, names over 255, pointers that do not point strictly backwards (loops), reserved label
/// types. `allowCompression` = false rejects any pointer.
Status readName(WireReader& r, std::string& out, bool allowCompression = true);
/// The same into a fixed buffer of kMaxName bytes; returns the length.
Result<size_t> readName(WireReader& r, uint8_t* out, bool allowCompression = true);

/// Lower-cases a wire name in place (labels' length bytes untouched).
void lowerName(uint8_t* name, size_t len);
std::string lowerName(std::string_view name);
/// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD (for EDE texts,
/// RFC 8914 §2, and anything else that must be UTF-8 but may carry bytes from the network).
std::string validUtf8(std::string_view text);
/// ASCII text in lower case (DNS compares names without regard to ASCII case).
inline std::string lowerText(std::string_view text) {
  std::string s(text);
  for (auto& ch : s)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
  return s;
}
/// Case-insensitive equality of two uncompressed wire names.
bool nameEqual(std::string_view a, std::string_view b);
/// True when `name` equals `zone` or lies below it (both uncompressed, lower-case).
bool isSubdomain(std::string_view name, std::string_view zone);
/// Number of labels (root = 0).
int labelCount(std::string_view name);
/// The name without its first label ("" for the root).
std::string_view parentName(std::string_view name);

/// The 32-bit fields after the two names of SOA rdata (RFC 1035 §3.3.13): 0 serial, 1 refresh,
/// 2 retry, 3 expire, 4 minimum. `fallback` when the rdata is too short.
uint32_t soaField(std::string_view rdata, int field, uint32_t fallback = 0);
/// SOA rdata with its serial replaced.
std::string withSoaSerial(std::string rdata, uint32_t serial);

/// Presentation form "sz1.gba.example." -> wire; errors name the problem.
Result<std::string> nameFromText(std::string_view text);
/// Wire -> presentation form ("." for the root), with RFC 1035 escapes.
std::string nameToText(std::string_view wire);

/// Presentation names of types and rcodes, for logs and metrics ("A", "TYPE65281", "NOERROR").
std::string typeToText(uint16_t type);
std::string rcodeToText(uint16_t rcode);

}  // namespace cdns::dns
