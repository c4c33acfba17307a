// JSON forms of the values: wire -> JSON, and JSON -> the text that parseValue reads.
#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/wire.h"
#include "rrtypes/values.h"
#include "rrtypes/values_detail.h"

namespace cdns::rrtypes {
namespace {
using K = ValueKind;
using detail::kPow10;
using detail::readModel;
using detail::split;
using detail::validModel;
}  // namespace

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

// JSON input is held to the text rules: a JSON number becomes the decimal text it stands for,
// exactly, and that text goes through the same parser. A double is written in its shortest
// round-trip form (std::to_chars), so 0.62 stays "0.62" and is never rounded to fit the key's
// places: 0.1234567 for a 6-place key is rejected, as in text. Exponent forms are expanded
// exactly ("1e-06" is "0.000001"); whatever then has too many places or is too large is rejected.
// Only finite numbers can reach here (RFC 8259 §6 has no NaN or infinity).
std::string expandExponent(std::string_view s) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  size_t e = s.find_first_of("eE");
  long exp = 0;
  if (e != std::string_view::npos) {
    exp = std::strtol(std::string(s.substr(e + 1)).c_str(), nullptr, 10);
    s = s.substr(0, e);
  }
  size_t dot = s.find('.');
  std::string digits(s.substr(0, dot));
  long point = static_cast<long>(digits.size());  // digits before the decimal point
  if (dot != std::string_view::npos) digits += s.substr(dot + 1);
  point += exp;
  if (point <= 0) {
    digits.insert(0, static_cast<size_t>(-point) + 1, '0');
    point = 1;
  } else if (point > static_cast<long>(digits.size())) {
    digits.append(static_cast<size_t>(point) - digits.size(), '0');
  }
  std::string ip = digits.substr(0, static_cast<size_t>(point));
  std::string fp = digits.substr(static_cast<size_t>(point));
  size_t nz = ip.find_first_not_of('0');
  ip = nz == std::string::npos ? "0" : ip.substr(nz);
  while (!fp.empty() && fp.back() == '0') fp.pop_back();
  return (neg ? "-" : "") + ip + (fp.empty() ? "" : "." + fp);
}

// The exact decimal text of a JSON number, sign included: 1795843200, 0.62, -33.8688.
Result<std::string> jsonDecimalText(const nlohmann::json& j) {
  if (j.is_number_unsigned()) return std::to_string(j.get<uint64_t>());
  if (j.is_number_integer()) return std::to_string(j.get<int64_t>());
  if (!j.is_number_float()) return makeError("expected a number");
  double d = j.get<double>();
  if (!std::isfinite(d)) return makeError("expected a finite number");
  if (d == 0) return std::string("0");  // -0.0 too
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec != std::errc()) return makeError("number out of range");
  std::string shortest(buf, end);
  // Far beyond any key's range or places: say so without writing out hundreds of digits.
  if (std::fabs(d) >= 1e30) return makeError(shortest + " is out of range");
  if (d != 0 && std::fabs(d) < 1e-30) return makeError(shortest + " has too many decimal places");
  return expandExponent(shortest);
}

// A non-negative number with fractional places (decimal, percent, duration, price): its exact
// decimal text; the value parser then checks places and range.
Result<std::string> jsonNumber(const nlohmann::json& j) {
  if (!j.is_number()) return makeError("expected a non-negative number");
  auto t = jsonDecimalText(j);
  if (!t) return t;
  if (!t->empty() && (*t)[0] == '-') return makeError("expected a non-negative number, got " + *t);
  return t;
}

// An integer-valued field (uint, time, bytes, bitrate, power, free/total): a JSON integer only.
// (A parser stores non-negative integers as unsigned; a value built in code may be signed.)
Result<std::string> jsonInteger(const nlohmann::json& j) {
  if (j.is_number_unsigned()) return std::to_string(j.get<uint64_t>());
  if (j.is_number_integer() && j.get<int64_t>() >= 0) return std::to_string(j.get<int64_t>());
  if (j.is_number_integer()) return makeError("expected a non-negative integer, got " + j.dump());
  if (j.is_number_float()) return makeError("expected an integer, got " + j.dump());
  return makeError("expected an integer");
}

// Rejects members other than `allowed` in an object value.
Status onlyMembers(const nlohmann::json& j, std::initializer_list<std::string_view> allowed) {
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
      return makeError("unexpected member \"" + it.key() + "\"");
  return {};
}

// {"free": n, "total": n}, or a gpu-list entry that also holds "model" (checked by the caller).
Result<std::string> jsonPair(const nlohmann::json& j, bool listEntry = false) {
  if (!j.is_object() || !j.contains("free") || !j.contains("total"))
    return makeError("expected {\"free\": n, \"total\": n}");
  if (!listEntry)
    if (auto st = onlyMembers(j, {"free", "total"}); !st) return st.error();
  auto f = jsonInteger(j["free"]), t = jsonInteger(j["total"]);
  if (!f) return makeError("free: " + f.error().message);
  if (!t) return makeError("total: " + t.error().message);
  return *f + "/" + *t;
}

// The entries of a JSON list value: strings, none holding the text separator ','.
Result<std::string> jsonStringList(const nlohmann::json& j) {
  if (!j.is_array() || j.empty()) return makeError("expected a non-empty array of strings");
  std::string s;
  for (const auto& e : j) {
    if (!e.is_string()) return makeError("expected a non-empty array of strings");
    const auto& v = e.get_ref<const std::string&>();
    if (v.empty() || v.find(',') != std::string::npos)
      return makeError("bad list entry \"" + v + "\"");
    if (!s.empty()) s += ',';
    s += v;
  }
  return s;
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
      return jsonInteger(j);  // units are not written in JSON: bytes, bit/s, watts
    case K::kDecimal:
    case K::kPercent:
      return jsonNumber(j);
    case K::kDuration: {
      auto n = jsonNumber(j);  // milliseconds
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
    case K::kTokenList:
      return jsonStringList(j);
    case K::kGeo: {
      if (!j.is_object() || !j.contains("lat") || !j.contains("lon"))
        return makeError("expected {\"lat\": n, \"lon\": n}");
      if (auto st = onlyMembers(j, {"lat", "lon"}); !st) return st.error();
      auto lat = jsonDecimalText(j["lat"]), lon = jsonDecimalText(j["lon"]);
      if (!lat) return makeError("latitude: " + lat.error().message);
      if (!lon) return makeError("longitude: " + lon.error().message);
      return *lat + "," + *lon;
    }
    case K::kCountPair:
    case K::kBytesPair:
      return jsonPair(j);
    case K::kGpuList:
    case K::kModelPrice: {
      if (!j.is_array() || j.empty()) return makeError("expected a non-empty array");
      bool gpu = k.kind == K::kGpuList;
      std::string s;
      for (const auto& e : j) {
        if (!e.is_object() || !e.contains("model") || !e["model"].is_string())
          return makeError("each entry needs a \"model\" string");
        const auto& model = e["model"].get_ref<const std::string&>();
        if (!validModel(model)) return makeError("bad model name \"" + model + "\"");
        Status members =
            gpu ? onlyMembers(e, {"model", "free", "total"}) : onlyMembers(e, {"model", "price"});
        if (!members) return makeError(model + ": " + members.error().message);
        Result<std::string> v = gpu ? jsonPair(e, true)
                                : e.contains("price")
                                    ? jsonNumber(e["price"])
                                    : Result<std::string>(makeError("entry needs \"price\""));
        if (!v) return makeError(model + ": " + v.error().message);
        if (!s.empty()) s += ',';
        s += model + ":" + *v;
      }
      return s;
    }
  }
  return makeError("unsupported value kind");
}

}  // namespace cdns::rrtypes
