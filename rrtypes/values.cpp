// Value codecs for the compute record types. Strict on input: every rule gives a named error.
#include "rrtypes/values.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "common/wire.h"

namespace cdns::rrtypes {
__extension__ using u128 = unsigned __int128;
bool parseFixed128(std::string_view s, int scale, u128& out, std::string* why);

namespace {

using K = ValueKind;

constexpr uint64_t kPow10[] = {1ULL,
                               10ULL,
                               100ULL,
                               1000ULL,
                               10000ULL,
                               100000ULL,
                               1000000ULL,
                               10000000ULL,
                               100000000ULL,
                               1000000000ULL};

std::vector<std::string_view> split(std::string_view s, char sep) {
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

// Parses "<decimal><unit>" where the unit is one of `units` (case-insensitive, "" allowed if
// listed); the result must be a whole number of the base unit.
Status parseWithUnits(std::string_view s, std::span<const Unit> units, uint64_t max, uint64_t& out,
                      std::string_view what) {
  std::string_view num, unit;
  splitUnit(s, num, unit);
  if (num.empty()) return makeError("expected a number, got \"" + std::string(s) + "\"");
  const Unit* u = nullptr;
  for (const auto& cand : units)
    if (iequals(cand.name, unit)) {
      u = &cand;
      break;
    }
  if (!u) return makeError("unknown unit \"" + std::string(unit) + "\" for " + std::string(what));
  u128 fixed;
  std::string why;
  if (!parseFixed128(num, 6, fixed, &why)) return makeError(why);
  if (fixed > ~static_cast<u128>(0) / u->factor) return makeError("\"" + std::string(s) + "\" is out of range");
  u128 v = fixed * u->factor;
  if (v % kPow10[6] != 0) return makeError("\"" + std::string(s) + "\" is not a whole number of " + std::string(units[0].name.empty() ? what : units[0].name));
  v /= kPow10[6];
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

// Canonical (printed) units come first for each factor.
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
constexpr Unit kBitUnitsIn[] = {
    {"", 1},        {"bps", 1},   {"b/s", 1},         {"K", 1'000},         {"Kbps", 1'000},
    {"Kb/s", 1'000}, {"M", 1'000'000}, {"Mbps", 1'000'000}, {"Mb/s", 1'000'000}, {"G", 1'000'000'000},
    {"Gbps", 1'000'000'000}, {"Gb/s", 1'000'000'000}, {"T", 1'000'000'000'000}, {"Tbps", 1'000'000'000'000},
    {"Tb/s", 1'000'000'000'000}};
constexpr Unit kPowerUnits[] = {{"W", 1}, {"kW", 1'000}, {"MW", 1'000'000}, {"GW", 1'000'000'000}};
constexpr Unit kPowerUnitsIn[] = {{"", 1},          {"W", 1},          {"k", 1'000},
                                  {"kW", 1'000},    {"M", 1'000'000},  {"MW", 1'000'000},
                                  {"G", 1'000'000'000}, {"GW", 1'000'000'000}};
constexpr Unit kDurationUnitsIn[] = {{"us", 1}, {"\xC2\xB5s", 1}, {"ms", 1'000}, {"s", 1'000'000}};

std::string formatDuration(uint32_t us) {
  if (us < 1000) return std::to_string(us) + "us";
  return formatFixed(us, 3) + "ms";
}

bool validText(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

bool validModel(std::string_view s) {
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

Status parseUint(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty() || s.size() > 20) return makeError("expected an integer, got \"" + std::string(s) + "\"");
  u128 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return makeError("expected an integer, got \"" + std::string(s) + "\"");
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > max) return makeError(std::string(s) + " is out of range (max " + std::to_string(max) + ")");
  out = static_cast<uint64_t>(v);
  return {};
}

Status parseTimestamp(std::string_view s, uint64_t& out) {
  if (s.find('-') != std::string_view::npos) {
    // RFC 3339 UTC: 2026-11-28T05:20:00Z
    int y, mo, d, h, mi, se;
    char z;
    std::string str(s);
    if (s.size() != 20 || sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 ||
        z != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
      return makeError("bad time \"" + str + "\" (expected Unix seconds or YYYY-MM-DDTHH:MM:SSZ)");
    struct tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    out = static_cast<uint64_t>(timegm(&tm));
    return {};
  }
  return parseUint(s, UINT64_MAX, out);
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

Error lengthError(size_t got, std::string_view want) {
  return makeError("wire value length " + std::to_string(got) + " (expected " + std::string(want) + ")");
}

// Reads a list entry's model name: u8 length then bytes.
bool readModel(WireReader& r, std::string_view& model) {
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
  std::string ip = std::to_string(value / kPow10[scale]);
  uint64_t frac = value % kPow10[scale];
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
      if (auto st = parseUint(s, keyMax(k, UINT32_MAX), v); !st) return st;
      w.u32(static_cast<uint32_t>(v));
      return {};
    case K::kTimestamp:
      if (auto st = parseTimestamp(s, v); !st) return st;
      w.u64(v);
      return {};
    case K::kDecimal: {
      std::string why;
      if (!parseFixed(s, k.scale, v, &why)) return makeError(why);
      if (v > keyMax(k, UINT64_MAX))
        return makeError(std::string(s) + " is out of range (max " + formatFixed(keyMax(k, UINT64_MAX), k.scale) + ")");
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
      if (!validText(s)) return makeError("text must be 1 to 255 bytes with no control characters");
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
      if (v > keyMax(k, UINT32_MAX)) return makeError(std::to_string(v) + " is out of range");
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
      if (v > keyMax(k, UINT64_MAX)) return makeError(formatFixed(v, k.scale) + " is out of range");
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
      if (!validText(text())) return makeError("text must be 1 to 255 bytes with no control characters");
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

Result<nlohmann::json> valueToJson(const KeyDef& k, std::span<const uint8_t> b) {
  using nlohmann::json;
  std::string text;
  if (auto st = printValue(k, b, text); !st) return st.error();  // validates
  WireReader r(b);
  switch (k.kind) {
    case K::kUint:
      return json(r.u32());
    case K::kTimestamp:
    case K::kBytes:
    case K::kBitrate:
    case K::kPower:
      return json(r.u64());
    case K::kDecimal:
      return json(static_cast<double>(r.u64()) / static_cast<double>(kPow10[k.scale]));
    case K::kPercent:
      return json(static_cast<double>(r.u32()) / 1e4);
    case K::kDuration:
      return json(static_cast<double>(r.u32()) / 1e3);
    case K::kText:
    case K::kCurrency:
    case K::kJurisdiction:
    case K::kEnum:
      return json(text);
    case K::kEnumList:
    case K::kTokenList: {
      json a = json::array();
      for (auto part : split(text, ',')) a.push_back(std::string(part));
      return a;
    }
    case K::kGeo: {
      auto lat = static_cast<int32_t>(r.u32());
      auto lon = static_cast<int32_t>(r.u32());
      return json{{"lat", lat / 1e6}, {"lon", lon / 1e6}};
    }
    case K::kCountPair:
    case K::kBytesPair: {
      bool bytes = k.kind == K::kBytesPair;
      uint64_t f = bytes ? r.u64() : r.u32();
      uint64_t t = bytes ? r.u64() : r.u32();
      return json{{"free", f}, {"total", t}};
    }
    case K::kGpuList:
    case K::kModelPrice: {
      json a = json::array();
      while (!r.atEnd()) {
        std::string_view model;
        readModel(r, model);
        if (k.kind == K::kGpuList) {
          uint32_t f = r.u32(), t = r.u32();
          a.push_back(json{{"model", std::string(model)}, {"free", f}, {"total", t}});
        } else {
          a.push_back(json{{"model", std::string(model)}, {"price", static_cast<double>(r.u64()) / 1e6}});
        }
      }
      return a;
    }
  }
  return makeError("unsupported value kind");
}

namespace {

Result<std::string> jsonNumber(const nlohmann::json& j, int scale) {
  if (j.is_number_unsigned() || (j.is_number_integer() && j.get<int64_t>() >= 0))
    return std::to_string(j.get<uint64_t>());
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (!(d >= 0) || d > 1.8e19) return makeError("number out of range");
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", scale, d);
    return std::string(buf);
  }
  return makeError("expected a non-negative number");
}

Result<std::string> jsonSigned(const nlohmann::json& j) {
  if (!j.is_number()) return makeError("expected a number");
  char buf[64];
  snprintf(buf, sizeof buf, "%.6f", j.get<double>());
  return std::string(buf);
}

Result<std::string> jsonPair(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("free") || !j.contains("total"))
    return makeError("expected {\"free\": n, \"total\": n}");
  auto f = jsonNumber(j["free"], 0), t = jsonNumber(j["total"], 0);
  if (!f) return f.error();
  if (!t) return t.error();
  return *f + "/" + *t;
}

}  // namespace

Result<std::string> jsonToValueText(const KeyDef& k, const nlohmann::json& j) {
  switch (k.kind) {
    case K::kUint:
    case K::kTimestamp:
    case K::kBytes:
    case K::kBitrate:
    case K::kPower:
      if (k.kind == K::kTimestamp && j.is_string()) return j.get<std::string>();
      if (!j.is_number_integer() && !j.is_number_unsigned()) return makeError("expected an integer");
      return jsonNumber(j, 0);
    case K::kDecimal:
      return jsonNumber(j, k.scale);
    case K::kPercent:
      return jsonNumber(j, 4);
    case K::kDuration: {
      auto n = jsonNumber(j, 3);
      if (!n) return n;
      return *n + "ms";
    }
    case K::kText:
    case K::kCurrency:
    case K::kJurisdiction:
    case K::kEnum:
      if (!j.is_string()) return makeError("expected a string");
      return j.get<std::string>();
    case K::kEnumList:
    case K::kTokenList: {
      if (!j.is_array() || j.empty()) return makeError("expected a non-empty array of strings");
      std::string s;
      for (const auto& e : j) {
        if (!e.is_string()) return makeError("expected a non-empty array of strings");
        if (!s.empty()) s += ',';
        s += e.get<std::string>();
      }
      return s;
    }
    case K::kGeo: {
      if (!j.is_object() || !j.contains("lat") || !j.contains("lon")) return makeError("expected {\"lat\": n, \"lon\": n}");
      auto lat = jsonSigned(j["lat"]), lon = jsonSigned(j["lon"]);
      if (!lat) return lat;
      if (!lon) return lon;
      return *lat + "," + *lon;
    }
    case K::kCountPair:
    case K::kBytesPair:
      return jsonPair(j);
    case K::kGpuList:
    case K::kModelPrice: {
      if (!j.is_array() || j.empty()) return makeError("expected a non-empty array");
      std::string s;
      for (const auto& e : j) {
        if (!e.is_object() || !e.contains("model") || !e["model"].is_string())
          return makeError("each entry needs a \"model\" string");
        if (!s.empty()) s += ',';
        s += e["model"].get<std::string>() + ":";
        Result<std::string> v = k.kind == K::kGpuList
                                    ? jsonPair(e)
                                    : (e.contains("price") ? jsonNumber(e["price"], 6)
                                                           : Result<std::string>(makeError("entry needs \"price\"")));
        if (!v) return v;
        s += *v;
      }
      return s;
    }
  }
  return makeError("unsupported value kind");
}

}  // namespace cdns::rrtypes
