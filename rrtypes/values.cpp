// Value codecs for the compute record types. Strict on input: every rule gives a named error.
#include "rrtypes/values.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "common/wire.h"
#include "rrtypes/values_detail.h"

namespace cdns::rrtypes {
using detail::readModel;
using detail::split;
using detail::validModel;
__extension__ using u128 = unsigned __int128;
bool parseFixed128(std::string_view s, int scale, u128& out, std::string* why);

namespace {

using K = ValueKind;

constexpr uint64_t kPow10Local[] = {1ULL,
                               10ULL,
                               100ULL,
                               1000ULL,
                               10000ULL,
                               100000ULL,
                               1000000ULL,
                               10000000ULL,
                               100000000ULL,
                               1000000000ULL};

std::vector<std::string_view> splitLocal(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    parts.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return parts;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// Splits "1.5ms" into number "1.5" and suffix "ms".
void splitUnit(std::string_view s, std::string_view& num, std::string_view& unit) {
  size_t i = 0;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  num = s.substr(0, i);
  unit = s.substr(i);
}

struct Unit {
  std::string_view name;
  uint64_t factor;
};

// Parses "<decimal><unit>" where the unit is one of `units`, matched exactly (case-sensitive:
// "mW" is not "MW"; "" allowed if listed); the result must be a whole number of the base unit.
Status parseWithUnits(std::string_view s, std::span<const Unit> units, uint64_t max, uint64_t& out,
                      std::string_view what) {
  std::string_view num, unit;
  splitUnit(s, num, unit);
  if (num.empty()) return makeError("expected a number, got \"" + std::string(s) + "\"");
  const Unit* u = nullptr;
  for (const auto& cand : units)
    if (cand.name == unit) {
      u = &cand;
      break;
    }
  if (!u) return makeError("unknown unit \"" + std::string(unit) + "\" for " + std::string(what));
  u128 fixed;
  std::string why;
  if (!parseFixed128(num, 6, fixed, &why)) return makeError(why);
  if (fixed > ~static_cast<u128>(0) / u->factor) return makeError("\"" + std::string(s) + "\" is out of range");
  u128 v = fixed * u->factor;
  if (v % kPow10Local[6] != 0) return makeError("\"" + std::string(s) + "\" is not a whole number of " + std::string(units[0].name.empty() ? what : units[0].name));
  v /= kPow10Local[6];
  if (v > max) return makeError("\"" + std::string(s) + "\" is out of range");
  out = static_cast<uint64_t>(v);
  return {};
}

// Prints with the largest unit that divides exactly (first unit is the base).
std::string formatWithUnits(uint64_t v, std::span<const Unit> units) {
  for (size_t i = units.size(); i-- > 0;) {
    if (units[i].factor == 0) continue;
    if (v != 0 && v % units[i].factor == 0 && !units[i].name.empty())
      return std::to_string(v / units[i].factor) + std::string(units[i].name);
  }
  return std::to_string(v) + std::string(units[0].name);
}

// Printed units: the base first, then ascending. The *In tables list every accepted spelling;
// units are case-sensitive. Byte multiples are binary (1K = 1024) whatever the spelling.
constexpr Unit kByteUnits[] = {{"", 1},
                               {"K", 1ULL << 10},
                               {"M", 1ULL << 20},
                               {"G", 1ULL << 30},
                               {"T", 1ULL << 40},
                               {"P", 1ULL << 50},
                               {"E", 1ULL << 60}};
constexpr Unit kByteUnitsIn[] = {
    {"", 1},           {"B", 1},           {"K", 1ULL << 10},  {"KB", 1ULL << 10}, {"KiB", 1ULL << 10},
    {"M", 1ULL << 20}, {"MB", 1ULL << 20}, {"MiB", 1ULL << 20}, {"G", 1ULL << 30}, {"GB", 1ULL << 30},
    {"GiB", 1ULL << 30}, {"T", 1ULL << 40}, {"TB", 1ULL << 40}, {"TiB", 1ULL << 40}, {"P", 1ULL << 50},
    {"PB", 1ULL << 50}, {"PiB", 1ULL << 50}, {"E", 1ULL << 60}, {"EB", 1ULL << 60}, {"EiB", 1ULL << 60}};
constexpr Unit kBitUnits[] = {{"", 1}, {"K", 1'000}, {"M", 1'000'000}, {"G", 1'000'000'000}, {"T", 1'000'000'000'000}};
constexpr Unit kBitUnitsIn[] = {{"", 1},
                                {"bps", 1},
                                {"b/s", 1},
                                {"K", 1'000},
                                {"Kbps", 1'000},
                                {"Kb/s", 1'000},
                                {"k", 1'000},
                                {"kbps", 1'000},
                                {"kb/s", 1'000},
                                {"M", 1'000'000},
                                {"Mbps", 1'000'000},
                                {"Mb/s", 1'000'000},
                                {"G", 1'000'000'000},
                                {"Gbps", 1'000'000'000},
                                {"Gb/s", 1'000'000'000},
                                {"T", 1'000'000'000'000},
                                {"Tbps", 1'000'000'000'000},
                                {"Tb/s", 1'000'000'000'000}};
constexpr Unit kPowerUnits[] = {{"W", 1}, {"kW", 1'000}, {"MW", 1'000'000}, {"GW", 1'000'000'000}};
constexpr Unit kPowerUnitsIn[] = {{"", 1},          {"W", 1},          {"k", 1'000},
                                  {"kW", 1'000},    {"M", 1'000'000},  {"MW", 1'000'000},
                                  {"G", 1'000'000'000}, {"GW", 1'000'000'000}};
// Microseconds: "us", or the micro sign U+00B5 or Greek mu U+03BC before "s".
constexpr Unit kDurationUnitsIn[] = {
    {"us", 1}, {"\xC2\xB5s", 1}, {"\xCE\xBCs", 1}, {"ms", 1'000}, {"s", 1'000'000}};

std::string formatDuration(uint32_t us) {
  if (us < 1000) return std::to_string(us) + "us";
  return formatFixed(us, 3) + "ms";
}

// Decodes UTF-8 (RFC 3629 §4: no overlong forms, no surrogates, at most U+10FFFF) into code
// points; false when `s` is not valid UTF-8.
bool decodeUtf8(std::string_view s, std::vector<char32_t>& out) {
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t n;
    char32_t cp, lo;
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      n = 1, cp = b & 0x1F, lo = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
      n = 2, cp = b & 0x0F, lo = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
      n = 3, cp = b & 0x07, lo = 0x10000;
    } else {
      return false;  // a continuation byte, C0/C1 (overlong) or F5..FF
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < lo || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    out.push_back(cp);
    i += n + 1;
  }
  return true;
}

// A text value: 1..255 bytes of UTF-8 with no control characters (C0, DEL, C1).
Status checkText(std::string_view s) {
  constexpr const char* kRule = "text must be 1 to 255 bytes with no control characters";
  if (s.empty() || s.size() > 255) return makeError(kRule);
  std::vector<char32_t> cps;
  if (!decodeUtf8(s, cps)) return makeError("text is not valid UTF-8");
  for (char32_t c : cps)
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return makeError(kRule);
  return {};
}

bool validModelLocal(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return false;
  return true;
}

bool validToken(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

bool validJurisdiction(std::string_view s) {
  // ISO 3166-1 alpha-2, optionally "-" and a 1..3 character subdivision (ISO 3166-2).
  if (s.size() < 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z') return false;
  if (s.size() == 2) return true;
  if (s[2] != '-' || s.size() < 4 || s.size() > 6) return false;
  for (char c : s.substr(3))
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

int enumIndex(const KeyDef& k, std::string_view s) {
  for (size_t i = 0; i < k.names.size(); ++i)
    if (iequals(k.names[i], s)) return static_cast<int>(i);
  return -1;
}

Error unknownMnemonic(const KeyDef& k, std::string_view s) {
  std::string allowed;
  for (auto n : k.names) allowed += (allowed.empty() ? "" : ", ") + std::string(n);
  return makeError("unknown value \"" + std::string(s) + "\" (expected one of: " + allowed + ")");
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Digits only: no sign, no '+', no spaces.
Status parseUint(std::string_view s, uint64_t max, uint64_t& out) {
  if (!allDigits(s)) return makeError("expected an integer, got \"" + std::string(s) + "\"");
  u128 v = 0;
  for (char c : s) {
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > max) break;
  }
  if (v > max) return makeError(std::string(s) + " is out of range (max " + std::to_string(max) + ")");
  out = static_cast<uint64_t>(v);
  return {};
}

// True when `s` has the shape of an RFC 3339 UTC time, YYYY-MM-DDTHH:MM:SSZ (digits where the
// letters are); only such strings go to the date parser.
bool looksLikeDateTime(std::string_view s) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() != kShape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (kShape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != kShape[i]) return false;
  return true;
}

int digits(std::string_view s, size_t at, size_t n) {
  int v = 0;
  for (size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

Status parseTimestamp(std::string_view s, uint64_t& out) {
  if (!looksLikeDateTime(s)) {
    if (allDigits(s)) return parseUint(s, UINT64_MAX, out);
    return makeError("expected an integer (Unix seconds) or YYYY-MM-DDTHH:MM:SSZ, got \"" +
                     std::string(s) + "\"");
  }
  // RFC 3339 §5.6, UTC only. The date must exist (no 2026-02-31) and the seconds be 00..59: a
  // leap second (:60) has no Unix time of its own. timegm normalises what does not exist, so
  // the fields must survive the round trip through gmtime_r unchanged.
  struct tm tm {};
  tm.tm_year = digits(s, 0, 4) - 1900;
  tm.tm_mon = digits(s, 5, 2) - 1;
  tm.tm_mday = digits(s, 8, 2);
  tm.tm_hour = digits(s, 11, 2);
  tm.tm_min = digits(s, 14, 2);
  tm.tm_sec = digits(s, 17, 2);
  const struct tm want = tm;
  time_t t = timegm(&tm);
  struct tm back {};
  if (t == static_cast<time_t>(-1) || t < 0 || !gmtime_r(&t, &back) ||
      back.tm_year != want.tm_year || back.tm_mon != want.tm_mon || back.tm_mday != want.tm_mday ||
      back.tm_hour != want.tm_hour || back.tm_min != want.tm_min || back.tm_sec != want.tm_sec)
    return makeError("bad time \"" + std::string(s) +
                     "\" (not a real UTC date and time, or before 1970)");
  out = static_cast<uint64_t>(t);
  return {};
}

Status parseGeoPart(std::string_view s, int64_t limit, int32_t& out) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg || (!s.empty() && s[0] == '+')) s.remove_prefix(1);
  uint64_t v;
  std::string why;
  if (!parseFixed(s, 6, v, &why)) return makeError(why);
  if (v > static_cast<uint64_t>(limit) * 1'000'000) return makeError("coordinate out of range");
  out = static_cast<int32_t>(neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v));
  return {};
}

std::string formatGeoPart(int32_t v) {
  std::string s = v < 0 ? "-" : "";
  return s + formatFixed(static_cast<uint64_t>(v < 0 ? -static_cast<int64_t>(v) : v), 6);
}

Status parsePair(std::string_view s, bool bytes, std::vector<uint8_t>& out) {
  auto parts = split(s, '/');
  if (parts.size() != 2) return makeError("expected free/total, got \"" + std::string(s) + "\"");
  uint64_t v[2];
  for (int i = 0; i < 2; ++i) {
    Status st = bytes ? parseWithUnits(parts[i], kByteUnitsIn, UINT64_MAX, v[i], "bytes")
                      : parseUint(parts[i], UINT32_MAX, v[i]);
    if (!st) return st;
  }
  if (v[0] > v[1]) return makeError("free " + std::string(parts[0]) + " exceeds total " + std::string(parts[1]));
  WireWriter w(out);
  if (bytes) {
    w.u64(v[0]);
    w.u64(v[1]);
  } else {
    w.u32(static_cast<uint32_t>(v[0]));
    w.u32(static_cast<uint32_t>(v[1]));
  }
  return {};
}

uint64_t keyMax(const KeyDef& k, uint64_t kindMax) { return k.max ? k.max : kindMax; }

// Checks the key's own bounds on a kUint or kDecimal value; the error is the same for text,
// JSON and wire input: "0.9 is out of range (min 1)".
Status checkRange(const KeyDef& k, uint64_t v, uint64_t kindMax) {
  auto show = [&](uint64_t x) {
    return k.kind == K::kDecimal ? formatFixed(x, k.scale) : std::to_string(x);
  };
  if (v < k.min) return makeError(show(v) + " is out of range (min " + show(k.min) + ")");
  if (v > keyMax(k, kindMax))
    return makeError(show(v) + " is out of range (max " + show(keyMax(k, kindMax)) + ")");
  return {};
}

Error lengthError(size_t got, std::string_view want) {
  return makeError("wire value length " + std::to_string(got) + " (expected " + std::string(want) + ")");
}

// Reads a list entry's model name: u8 length then bytes.
bool readModelLocal(WireReader& r, std::string_view& model) {
  uint8_t n = r.u8();
  auto b = r.bytes(n);
  if (r.failed()) return false;
  model = std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  return true;
}

}  // namespace

bool parseFixed128(std::string_view s, int scale, u128& out, std::string* why) {
  auto fail = [&](const std::string& m) {
    if (why) *why = m;
    return false;
  };
  if (s.empty()) return fail("expected a number");
  size_t dot = s.find('.');
  std::string_view ip = s.substr(0, dot);
  std::string_view fp = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (ip.empty() || (dot != std::string_view::npos && fp.empty()))
    return fail("bad number \"" + std::string(s) + "\"");
  if (fp.size() > static_cast<size_t>(scale))
    return fail("\"" + std::string(s) + "\" has more than " + std::to_string(scale) + " decimal places");
  if (ip.size() > 24) return fail("\"" + std::string(s) + "\" is out of range");
  u128 v = 0;
  for (char c : ip) {
    if (c < '0' || c > '9') return fail("bad number \"" + std::string(s) + "\"");
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  for (int i = 0; i < scale; ++i) {
    unsigned d = 0;
    if (static_cast<size_t>(i) < fp.size()) {
      char c = fp[i];
      if (c < '0' || c > '9') return fail("bad number \"" + std::string(s) + "\"");
      d = static_cast<unsigned>(c - '0');
    }
    v = v * 10 + d;
  }
  out = v;
  return true;
}

bool parseFixed(std::string_view s, int scale, uint64_t& out, std::string* why) {
  u128 v;
  if (!parseFixed128(s, scale, v, why)) return false;
  if (v > UINT64_MAX) {
    if (why) *why = "\"" + std::string(s) + "\" is out of range";
    return false;
  }
  out = static_cast<uint64_t>(v);
  return true;
}

std::string formatFixed(uint64_t value, int scale) {
  std::string ip = std::to_string(value / kPow10Local[scale]);
  uint64_t frac = value % kPow10Local[scale];
  if (frac == 0) return ip;
  std::string fs = std::to_string(frac);
  fs.insert(0, static_cast<size_t>(scale) - fs.size(), '0');
  while (fs.back() == '0') fs.pop_back();
  return ip + "." + fs;
}

Status parseValue(const KeyDef& k, std::string_view s, std::vector<uint8_t>& out) {
  WireWriter w(out);
  uint64_t v = 0;
  switch (k.kind) {
    case K::kUint:
      if (auto st = parseUint(s, UINT32_MAX, v); !st) return st;
      if (auto st = checkRange(k, v, UINT32_MAX); !st) return st;
      w.u32(static_cast<uint32_t>(v));
      return {};
    case K::kTimestamp:
      if (auto st = parseTimestamp(s, v); !st) return st;
      w.u64(v);
      return {};
    case K::kDecimal: {
      std::string why;
      if (!parseFixed(s, k.scale, v, &why)) return makeError(why);
      if (v > keyMax(k, UINT64_MAX) || v < k.min)  // name the value as it was written
        return makeError(std::string(s) + " is out of range (" +
                         (v < k.min ? "min " + formatFixed(k.min, k.scale)
                                    : "max " + formatFixed(keyMax(k, UINT64_MAX), k.scale)) +
                         ")");
      w.u64(v);
      return {};
    }
    case K::kPercent: {
      if (!s.empty() && s.back() == '%') s.remove_suffix(1);
      std::string why;
      if (!parseFixed(s, 4, v, &why)) return makeError(why);
      if (v > 1'000'000) return makeError(std::string(s) + "% is over 100%");
      w.u32(static_cast<uint32_t>(v));
      return {};
    }
    case K::kBytes:
      if (auto st = parseWithUnits(s, kByteUnitsIn, UINT64_MAX, v, "bytes"); !st) return st;
      w.u64(v);
      return {};
    case K::kBitrate:
      if (auto st = parseWithUnits(s, kBitUnitsIn, UINT64_MAX, v, "bit/s"); !st) return st;
      w.u64(v);
      return {};
    case K::kPower:
      if (auto st = parseWithUnits(s, kPowerUnitsIn, UINT64_MAX, v, "watts"); !st) return st;
      w.u64(v);
      return {};
    case K::kDuration: {
      std::string_view num, unit;
      splitUnit(s, num, unit);
      if (unit.empty() && !num.empty()) return makeError("\"" + std::string(s) + "\" needs a unit (us, ms or s)");
      if (auto st = parseWithUnits(s, kDurationUnitsIn, UINT32_MAX, v, "microseconds"); !st) return st;
      w.u32(static_cast<uint32_t>(v));
      return {};
    }
    case K::kText:
      if (auto st = checkText(s); !st) return st;
      w.bytes(s);
      return {};
    case K::kCurrency:
      if (s.size() != 3 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
        return makeError("\"" + std::string(s) + "\" is not an ISO 4217 code (three capital letters)");
      w.bytes(s);
      return {};
    case K::kJurisdiction:
      if (!validJurisdiction(s))
        return makeError("\"" + std::string(s) + "\" is not an ISO 3166 code (CN, CN-GD, HK)");
      w.bytes(s);
      return {};
    case K::kEnum: {
      int i = enumIndex(k, s);
      if (i < 0) return unknownMnemonic(k, s);
      w.u8(static_cast<uint8_t>(i));
      return {};
    }
    case K::kEnumList: {
      std::vector<bool> seen(k.names.size());
      for (auto part : split(s, ',')) {
        int i = enumIndex(k, part);
        if (i < 0) return unknownMnemonic(k, part);
        if (seen[static_cast<size_t>(i)]) return makeError("\"" + std::string(part) + "\" listed twice");
        seen[static_cast<size_t>(i)] = true;
        w.u8(static_cast<uint8_t>(i));
      }
      return {};
    }
    case K::kTokenList: {
      std::vector<std::string_view> seen;
      for (auto part : split(s, ',')) {
        if (!validToken(part)) return makeError("bad token \"" + std::string(part) + "\" (lower-case letters, digits, - and _)");
        if (std::find(seen.begin(), seen.end(), part) != seen.end())
          return makeError("\"" + std::string(part) + "\" listed twice");
        seen.push_back(part);
        w.u8(static_cast<uint8_t>(part.size()));
        w.bytes(part);
      }
      return {};
    }
    case K::kGeo: {
      auto parts = split(s, ',');
      if (parts.size() != 2) return makeError("expected lat,lon, got \"" + std::string(s) + "\"");
      int32_t lat, lon;
      if (auto st = parseGeoPart(parts[0], 90, lat); !st) return makeError("latitude: " + st.error().message);
      if (auto st = parseGeoPart(parts[1], 180, lon); !st) return makeError("longitude: " + st.error().message);
      w.u32(static_cast<uint32_t>(lat));
      w.u32(static_cast<uint32_t>(lon));
      return {};
    }
    case K::kCountPair:
      return parsePair(s, false, out);
    case K::kBytesPair:
      return parsePair(s, true, out);
    case K::kGpuList:
    case K::kModelPrice: {
      std::vector<std::string_view> seen;
      for (auto part : split(s, ',')) {
        size_t colon = part.find(':');
        if (colon == std::string_view::npos)
          return makeError("expected model:" + std::string(k.kind == K::kGpuList ? "free/total" : "price") +
                           ", got \"" + std::string(part) + "\"");
        auto model = part.substr(0, colon);
        if (!validModel(model)) return makeError("bad model name \"" + std::string(model) + "\"");
        if (std::find(seen.begin(), seen.end(), model) != seen.end())
          return makeError("model \"" + std::string(model) + "\" listed twice");
        seen.push_back(model);
        w.u8(static_cast<uint8_t>(model.size()));
        w.bytes(model);
        if (k.kind == K::kGpuList) {
          if (auto st = parsePair(part.substr(colon + 1), false, out); !st)
            return makeError(std::string(model) + ": " + st.error().message);
        } else {
          std::string why;
          if (!parseFixed(part.substr(colon + 1), 6, v, &why)) return makeError(std::string(model) + ": " + why);
          if (v > keyMax(k, UINT64_MAX)) return makeError(std::string(model) + ": price out of range");
          w.u64(v);
        }
      }
      return {};
    }
  }
  return makeError("unsupported value kind");
}

Status printValue(const KeyDef& k, std::span<const uint8_t> b, std::string& out) {
  WireReader r(b);
  auto text = [&]() { return std::string_view(reinterpret_cast<const char*>(b.data()), b.size()); };
  switch (k.kind) {
    case K::kUint: {
      if (b.size() != 4) return lengthError(b.size(), "4");
      uint32_t v = r.u32();
      if (auto st = checkRange(k, v, UINT32_MAX); !st) return st;
      out += std::to_string(v);
      return {};
    }
    case K::kTimestamp:
      if (b.size() != 8) return lengthError(b.size(), "8");
      out += std::to_string(r.u64());
      return {};
    case K::kDecimal: {
      if (b.size() != 8) return lengthError(b.size(), "8");
      uint64_t v = r.u64();
      if (auto st = checkRange(k, v, UINT64_MAX); !st) return st;
      out += formatFixed(v, k.scale);
      return {};
    }
    case K::kPercent: {
      if (b.size() != 4) return lengthError(b.size(), "4");
      uint32_t v = r.u32();
      if (v > 1'000'000) return makeError("percentage over 100%");
      out += formatFixed(v, 4) + "%";
      return {};
    }
    case K::kBytes:
      if (b.size() != 8) return lengthError(b.size(), "8");
      out += formatWithUnits(r.u64(), kByteUnits);
      return {};
    case K::kBitrate:
      if (b.size() != 8) return lengthError(b.size(), "8");
      out += formatWithUnits(r.u64(), kBitUnits);
      return {};
    case K::kPower:
      if (b.size() != 8) return lengthError(b.size(), "8");
      out += formatWithUnits(r.u64(), kPowerUnits);
      return {};
    case K::kDuration:
      if (b.size() != 4) return lengthError(b.size(), "4");
      out += formatDuration(r.u32());
      return {};
    case K::kText:
      if (auto st = checkText(text()); !st) return st;
      out += text();
      return {};
    case K::kCurrency:
    case K::kJurisdiction: {
      std::vector<uint8_t> tmp;
      if (auto st = parseValue(k, text(), tmp); !st) return st;
      out += text();
      return {};
    }
    case K::kEnum: {
      if (b.size() != 1) return lengthError(b.size(), "1");
      if (b[0] >= k.names.size()) return makeError("enum value " + std::to_string(b[0]) + " is out of range");
      out += k.names[b[0]];
      return {};
    }
    case K::kEnumList: {
      if (b.empty()) return lengthError(0, "at least 1");
      std::vector<bool> seen(k.names.size());
      for (size_t i = 0; i < b.size(); ++i) {
        if (b[i] >= k.names.size()) return makeError("enum value " + std::to_string(b[i]) + " is out of range");
        if (seen[b[i]]) return makeError("\"" + std::string(k.names[b[i]]) + "\" listed twice");
        seen[b[i]] = true;
        if (i) out += ',';
        out += k.names[b[i]];
      }
      return {};
    }
    case K::kTokenList: {
      if (b.empty()) return lengthError(0, "at least 1");
      std::vector<std::string_view> seen;
      while (!r.atEnd()) {
        std::string_view tok;
        if (!readModel(r, tok)) return makeError("list entry overruns the value");
        if (!validToken(tok)) return makeError("bad token in list");
        if (std::find(seen.begin(), seen.end(), tok) != seen.end())
          return makeError("\"" + std::string(tok) + "\" listed twice");
        seen.push_back(tok);
        if (seen.size() > 1) out += ',';
        out += tok;
      }
      return {};
    }
    case K::kGeo: {
      if (b.size() != 8) return lengthError(b.size(), "8");
      auto lat = static_cast<int32_t>(r.u32());
      auto lon = static_cast<int32_t>(r.u32());
      if (lat < -90'000'000 || lat > 90'000'000 || lon < -180'000'000 || lon > 180'000'000)
        return makeError("coordinate out of range");
      out += formatGeoPart(lat) + "," + formatGeoPart(lon);
      return {};
    }
    case K::kCountPair:
    case K::kBytesPair: {
      bool bytes = k.kind == K::kBytesPair;
      if (b.size() != (bytes ? 16u : 8u)) return lengthError(b.size(), bytes ? "16" : "8");
      uint64_t f = bytes ? r.u64() : r.u32();
      uint64_t t = bytes ? r.u64() : r.u32();
      if (f > t) return makeError("free exceeds total");
      out += bytes ? formatWithUnits(f, kByteUnits) + "/" + formatWithUnits(t, kByteUnits)
                   : std::to_string(f) + "/" + std::to_string(t);
      return {};
    }
    case K::kGpuList:
    case K::kModelPrice: {
      if (b.empty()) return lengthError(0, "at least 1");
      std::vector<std::string_view> seen;
      while (!r.atEnd()) {
        std::string_view model;
        if (!readModel(r, model)) return makeError("list entry overruns the value");
        if (!validModel(model)) return makeError("bad model name in list");
        if (std::find(seen.begin(), seen.end(), model) != seen.end())
          return makeError("model \"" + std::string(model) + "\" listed twice");
        seen.push_back(model);
        if (seen.size() > 1) out += ',';
        out += model;
        out += ':';
        if (k.kind == K::kGpuList) {
          uint32_t f = r.u32(), t = r.u32();
          if (r.failed()) return makeError("list entry overruns the value");
          if (f > t) return makeError(std::string(model) + ": free exceeds total");
          out += std::to_string(f) + "/" + std::to_string(t);
        } else {
          uint64_t p = r.u64();
          if (r.failed()) return makeError("list entry overruns the value");
          if (p > keyMax(k, UINT64_MAX)) return makeError(std::string(model) + ": price out of range");
          out += formatFixed(p, 6);
        }
      }
      return {};
    }
  }
  return makeError("unsupported value kind");
}

namespace detail {
const uint64_t kPow10[10] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
                             1000000000ULL};
std::vector<std::string_view> split(std::string_view s, char sep) { return splitLocal(s, sep); }
bool readModel(WireReader& r, std::string_view& model) { return readModelLocal(r, model); }
bool validModel(std::string_view s) { return validModelLocal(s); }
}  // namespace detail

}  // namespace cdns::rrtypes
