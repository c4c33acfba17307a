// Record data codecs: parameter sequences in wire, text, JSON and generic forms.
#include "rrtypes/rdata.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "common/wire.h"
#include "rrtypes/values.h"

namespace cdns::rrtypes {
namespace {

std::string prefix(const TypeDef& t, std::string_view key) {
  return std::string(t.name) + " " + std::string(key) + ": ";
}

std::string keyName(const TypeDef& t, uint16_t number) {
  if (const KeyDef* k = t.key(number)) return std::string(k->name);
  return "key" + std::to_string(number);
}

// "key123" -> 123.
bool parseKeyNumber(std::string_view name, uint16_t& out) {
  if (name.size() < 4 || name.size() > 8 || name.substr(0, 3) != "key") return false;
  uint32_t v = 0;
  for (char c : name.substr(3)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

// ASCII whitespace, the separator of items (locale-independent, unlike std::isspace).
bool isWs(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool isControl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

// A value is written bare unless it is empty or holds what a bare token cannot: whitespace, a
// quote, a backslash, or a master-file special (';' comment, '(' ')' grouping, RFC 1035 §5.1).
bool needsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (isWs(c) || isControl(c) || c == '"' || c == '\\' || c == ';' || c == '(' || c == ')')
      return true;
  return false;
}

// Quoted, with '"' and '\\' escaped by a backslash and any control octet as \DDD, so the result
// parses back to exactly `v`. (Values that pass validation hold no control octets; UTF-8 beyond
// ASCII is printed as it is.)
void appendQuoted(std::string& out, std::string_view v) {
  out += '"';
  for (char c : v) {
    if (isControl(c)) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void appendValue(std::string& out, std::string_view v) {
  if (needsQuotes(v))
    appendQuoted(out, v);
  else
    out += v;
}

// Decodes the escape whose backslash is at s[i-1] (RFC 1035 §5.1): \DDD is the octet with decimal
// value DDD (exactly three digits, at most 255), \X is X. Advances i past it.
Status decodeEscape(std::string_view s, size_t& i, std::string& out) {
  if (i >= s.size()) return makeError("backslash at the end of the value");
  if (s[i] < '0' || s[i] > '9') {
    out += s[i++];
    return {};
  }
  if (i + 3 > s.size() || !std::isdigit(static_cast<unsigned char>(s[i + 1])) ||
      !std::isdigit(static_cast<unsigned char>(s[i + 2])))
    return makeError("bad escape \"\\" + std::string(s.substr(i, 3)) +
                     "\" (\\DDD takes three digits)");
  int v = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
  if (v > 255) return makeError("bad escape \"\\" + std::string(s.substr(i, 3)) + "\" (over 255)");
  out += static_cast<char>(v);
  i += 3;
  return {};
}

// Reads one value at s[i]: a "quoted" string (nothing but whitespace may follow it) or a bare
// token up to the next unescaped whitespace. Escapes are decoded in both.
Status readValue(std::string_view s, size_t& i, std::string& value) {
  if (i < s.size() && s[i] == '"') {
    ++i;
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c != '\\') {
        value += c;
      } else if (i >= s.size()) {
        break;  // reported as unterminated
      } else if (auto st = decodeEscape(s, i, value); !st) {
        return st;
      }
    }
    if (i >= s.size()) return makeError("unterminated quoted value");
    ++i;  // the closing quote
    if (i < s.size() && !isWs(s[i])) return makeError("text after the closing quote");
    return {};
  }
  while (i < s.size() && !isWs(s[i])) {
    char c = s[i++];
    if (c != '\\')
      value += c;
    else if (auto st = decodeEscape(s, i, value); !st)
      return st;
  }
  return {};
}

Error unknownKey(const TypeDef& t, std::string_view name) {
  std::string known;
  for (const auto& kd : t.keys) known += (known.empty() ? "" : ", ") + std::string(kd.name);
  return makeError(std::string(t.name) + ": unknown key \"" + std::string(name) +
                   "\" (known: " + known + ")");
}

Status checkMandatory(const TypeDef& t, const std::vector<Param>& params) {
  for (const auto& k : t.keys)
    if (k.mandatory && !findParam(params, k.number))
      return makeError(std::string(t.name) + ": mandatory key \"" + std::string(k.name) + "\" is missing");
  return {};
}

Result<std::vector<Param>> sortUnique(const TypeDef& t, std::vector<Param> params) {
  std::stable_sort(params.begin(), params.end(), [](const Param& a, const Param& b) { return a.key < b.key; });
  for (size_t i = 1; i < params.size(); ++i)
    if (params[i].key == params[i - 1].key)
      return makeError(std::string(t.name) + ": key \"" + keyName(t, params[i].key) + "\" appears twice");
  if (auto st = checkMandatory(t, params); !st) return st.error();
  return params;
}

Status parseOne(const TypeDef& t, std::string_view name, std::string_view value, std::vector<Param>& params) {
  Param p;
  const KeyDef* k = t.key(name);
  if (!k) {
    if (!parseKeyNumber(name, p.key)) return unknownKey(t, name);
    k = t.key(p.key);
  } else {
    p.key = k->number;
  }
  if (k) {
    if (auto st = parseValue(*k, value, p.value); !st) return makeError(prefix(t, k->name) + st.error().message);
  } else if (!fromHex(value, p.value) || p.value.size() > 65535) {
    return makeError(prefix(t, name) + "value of an unknown key must be hex");
  }
  params.push_back(std::move(p));
  return {};
}

}  // namespace

const Param* findParam(const std::vector<Param>& params, uint16_t key) {
  for (const auto& p : params)
    if (p.key == key) return &p;
  return nullptr;
}

Result<std::vector<Param>> decodeParams(const TypeDef& t, std::span<const uint8_t> wire) {
  WireReader r(wire);
  std::vector<Param> params;
  int last = -1;
  while (!r.atEnd()) {
    uint16_t key = r.u16();
    uint16_t len = r.u16();
    if (r.failed()) return makeError(std::string(t.name) + ": truncated key header at offset " + std::to_string(r.offset()));
    if (static_cast<int>(key) <= last)
      return makeError(std::string(t.name) + ": key \"" + keyName(t, key) +
                       (static_cast<int>(key) == last ? "\" appears twice" : "\" out of order (keys must ascend)"));
    last = key;
    auto value = r.bytes(len);
    if (r.failed())
      return makeError(prefix(t, keyName(t, key)) + "length " + std::to_string(len) + " overruns the rdata");
    if (const KeyDef* k = t.key(key)) {
      std::string scratch;
      if (auto st = printValue(*k, value, scratch); !st) return makeError(prefix(t, k->name) + st.error().message);
    }
    params.push_back(Param{key, Bytes(value.begin(), value.end())});
  }
  if (auto st = checkMandatory(t, params); !st) return st.error();
  return params;
}

Bytes encodeParams(const std::vector<Param>& params) {
  Bytes out;
  WireWriter w(out);
  for (const auto& p : params) {
    w.u16(p.key);
    w.u16(static_cast<uint16_t>(p.value.size()));
    w.bytes(p.value);
  }
  return out;
}

Result<Bytes> parseText(const TypeDef& t, std::string_view s) {
  std::vector<Param> params;
  size_t i = 0;
  while (true) {
    while (i < s.size() && isWs(s[i])) ++i;
    if (i >= s.size()) break;
    size_t start = i;
    while (i < s.size() && s[i] != '=' && !isWs(s[i])) ++i;
    std::string_view name = s.substr(start, i - start);
    if (i >= s.size() || s[i] != '=')
      return makeError(std::string(t.name) + ": expected key=value, got \"" + std::string(name) + "\"");
    ++i;
    std::string value;
    if (auto st = readValue(s, i, value); !st)
      return makeError(prefix(t, name) + st.error().message);
    if (auto st = parseOne(t, name, value, params); !st) return st.error();
  }
  auto sorted = sortUnique(t, std::move(params));
  if (!sorted) return sorted.error();
  Bytes wire = encodeParams(*sorted);
  if (wire.size() > 65535) return makeError(std::string(t.name) + ": rdata longer than 65535 bytes");
  return wire;
}

Result<std::string> toText(const TypeDef& t, std::span<const uint8_t> wire) {
  auto params = decodeParams(t, wire);
  if (!params) return params.error();
  std::string out;
  for (const auto& p : *params) {
    if (!out.empty()) out += ' ';
    const KeyDef* k = t.key(p.key);
    if (!k) {
      out += "key" + std::to_string(p.key) + "=" + toHex(p.value);
      continue;
    }
    out += k->name;
    out += '=';
    std::string v;
    (void)printValue(*k, p.value, v);  // validated by decodeParams
    appendValue(out, v);
  }
  return out;
}

Result<nlohmann::json> toJson(const TypeDef& t, std::span<const uint8_t> wire) {
  auto params = decodeParams(t, wire);
  if (!params) return params.error();
  nlohmann::json j = nlohmann::json::object();
  for (const auto& p : *params) {
    const KeyDef* k = t.key(p.key);
    if (!k) {
      j["key" + std::to_string(p.key)] = toHex(p.value);
      continue;
    }
    auto v = valueToJson(*k, p.value);
    if (!v) return makeError(prefix(t, k->name) + v.error().message);
    j[std::string(k->name)] = std::move(*v);
  }
  return j;
}

Result<Bytes> fromJson(const TypeDef& t, const nlohmann::json& j) {
  if (!j.is_object()) return makeError(std::string(t.name) + ": expected a JSON object");
  std::vector<Param> params;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const KeyDef* k = t.key(it.key());
    uint16_t number;
    if (!k && !parseKeyNumber(it.key(), number)) return unknownKey(t, it.key());
    if (!k) k = t.key(number);
    std::string text;
    if (k) {
      auto v = jsonToValueText(*k, it.value());
      if (!v) return makeError(prefix(t, it.key()) + v.error().message);
      text = std::move(*v);
    } else if (it.value().is_string()) {
      text = it.value().get<std::string>();
    } else {
      return makeError(prefix(t, it.key()) + "value of an unknown key must be a hex string");
    }
    if (auto st = parseOne(t, it.key(), text, params); !st) return st.error();
  }
  auto sorted = sortUnique(t, std::move(params));
  if (!sorted) return sorted.error();
  return encodeParams(*sorted);
}

std::string toGeneric(std::span<const uint8_t> wire) {
  std::string s = "\\# " + std::to_string(wire.size());
  if (!wire.empty()) s += " " + toHex(wire);
  return s;
}

Result<Bytes> parseGeneric(std::string_view s) {
  // RFC 3597 §5: "\#" <length> <hex>...
  auto skipWs = [&]() {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  };
  skipWs();
  if (s.substr(0, 2) != "\\#") return makeError("generic rdata must start with \\#");
  s.remove_prefix(2);
  if (!s.empty() && !std::isspace(static_cast<unsigned char>(s.front()))) return makeError("expected space after \\#");
  skipWs();
  size_t n = 0;
  size_t digits = 0;
  while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
    n = n * 10 + static_cast<size_t>(s.front() - '0');
    s.remove_prefix(1);
    if (++digits > 5) return makeError("generic rdata length out of range");
  }
  if (digits == 0) return makeError("generic rdata needs a length");
  if (n > 65535) return makeError("generic rdata length out of range");
  Bytes out;
  if (!fromHex(s, out)) return makeError("generic rdata: bad hex");
  if (out.size() != n)
    return makeError("generic rdata: length says " + std::to_string(n) + " but " + std::to_string(out.size()) +
                     " bytes follow");
  return out;
}

}  // namespace cdns::rrtypes
