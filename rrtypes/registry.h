// The compute record types: one field list per type drives the wire, text and JSON codecs.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace cdns::rrtypes {

/// How a key's value is laid out on the wire and written in text. See docs/rrtypes.md.
enum class ValueKind : uint8_t {
  kUint,          // u32; text: decimal integer
  kTimestamp,     // u64 Unix seconds; text: integer, or 2026-11-28T05:20:00Z on input
  kDecimal,       // u64 fixed point, `scale` decimal places; text: 0.62
  kPercent,       // u32 in 1/10000 of a percent; text: 35%, 0.01%
  kBytes,         // u64 bytes; text: 32T (binary multiples K M G T P E)
  kBitrate,       // u64 bit/s; text: 400G (decimal multiples K M G T)
  kDuration,      // u32 microseconds; text: 150us, 1.8ms, 2000ms (2s accepted on input)
  kPower,         // u64 watts; text: 820kW (decimal multiples W kW MW GW)
  kText,          // 1..255 bytes of UTF-8, no control characters; text: bare or "quoted"
  kCurrency,      // 3 bytes, ISO 4217 upper-case letters
  kJurisdiction,  // ISO 3166-1 alpha-2, optional -subdivision: CN-GD, HK
  kEnum,          // u8 index into `names`
  kEnumList,      // u8 indexes, no duplicates; text: otn,ip
  kTokenList,     // (u8 len, token)*; text: sgx,tdx
  kGeo,           // i32 lat, i32 lon in microdegrees; text: 22.5431,114.0579
  kCountPair,     // u32 free, u32 total; text: 1024/4096
  kBytesPair,     // u64 free, u64 total; text: 9T/32T
  kGpuList,       // (u8 len, model, u32 free, u32 total)*; text: H200:12/64,A100:0/8
  kModelPrice,    // (u8 len, model, u64 price, 6 decimals)*; text: H200:18.5,A100:9
};

/// One key of a type.
struct KeyDef {
  uint16_t number;
  std::string_view name;
  ValueKind kind;
  uint8_t scale = 0;                          // decimal places for kDecimal (kModelPrice: 6)
  uint64_t max = 0;                           // inclusive upper bound (scaled) for kUint, kDecimal
                                              // and kModelPrice; 0 = the kind's own
  std::span<const std::string_view> names{};  // mnemonics for kEnum / kEnumList
  bool mandatory = false;
  std::string_view unit{};  // for docs and help
  uint64_t min = 0;         // inclusive lower bound (scaled), kUint and kDecimal
};

/// One record type.
struct TypeDef {
  std::string_view name;
  uint16_t code;
  std::span<const KeyDef> keys;
  std::string_view summary;

  const KeyDef* key(uint16_t number) const;
  const KeyDef* key(std::string_view name) const;  // exact, lower-case
};

/// Every compute type, in code order.
std::span<const TypeDef> allTypes();
/// Look-ups by mnemonic (case-insensitive) or RFC 3597 §5 generic name ("TYPE65281", also
/// case-insensitive), and by code; nullptr when not ours.
const TypeDef* findType(std::string_view name);
const TypeDef* findType(uint16_t code);

inline constexpr uint16_t kKeyTs = 0;

}  // namespace cdns::rrtypes
