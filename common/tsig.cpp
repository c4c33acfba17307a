// TSIG (RFC 8945) on raw wire messages: HMAC via OpenSSL 3 EVP_MAC, key specs and key files.
#include "common/tsig.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/config.h"
#include "common/dns.h"
#include "common/wire.h"

namespace cdns::tsig {
namespace {

constexpr int kMaxUnsigned = 99;  // RFC 8945 §5.3.1

struct AlgInfo {
  Algorithm alg;
  std::string_view name;  // RFC 8945 §6
  const char* digest;     // OpenSSL digest name
  size_t size;
};
constexpr AlgInfo kAlgs[] = {
    {Algorithm::kHmacSha1, "hmac-sha1.", "SHA1", 20},
    {Algorithm::kHmacSha224, "hmac-sha224.", "SHA224", 28},
    {Algorithm::kHmacSha256, "hmac-sha256.", "SHA256", 32},
    {Algorithm::kHmacSha384, "hmac-sha384.", "SHA384", 48},
    {Algorithm::kHmacSha512, "hmac-sha512.", "SHA512", 64},
};

const AlgInfo& info(Algorithm a) {
  for (const auto& i : kAlgs)
    if (i.alg == a) return i;
  return kAlgs[2];
}

void put48(WireWriter& w, uint64_t t) {  // RFC 8945 §4.2: Time Signed is a u48
  w.u16(static_cast<uint16_t>(t >> 32));
  w.u32(static_cast<uint32_t>(t));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string at(const std::string& where, int line) {
  return where + ":" + std::to_string(line) + ": ";
}

/// Presentation form -> canonical wire (RFC 8945 §4.3.3: lower-case, uncompressed); a relative
/// name is taken as absolute.
bool nameToWire(std::string_view text, std::string& out) {
  if (text.empty()) return false;
  auto w = dns::nameFromText(text);
  if (!w) return false;
  out = dns::lowerName(*w);
  return true;
}

/// Canonical presentation form of a name: "Pub.SZ1" -> "pub.sz1.". Empty when malformed.
std::string canonicalName(std::string_view text) {
  std::string wire;
  return nameToWire(text, wire) ? dns::nameToText(wire) : std::string();
}

/// Reads a possibly compressed name at r (a reader over the whole message) in canonical form.
bool readName(WireReader& r, std::string* out, bool allowCompression) {
  uint8_t buf[dns::kMaxName];
  auto n = dns::readName(r, buf, allowCompression);  // bounds, loops, 255-byte limit
  if (!n) return false;
  if (out) {
    dns::lowerName(buf, *n);
    out->assign(reinterpret_cast<const char*>(buf), *n);
  }
  return true;
}

// ---- Message walk ----------------------------------------------------------------------------

struct ParsedTsig {
  size_t offset = 0;      // where the TSIG RR starts
  std::string owner;      // key name, canonical wire
  std::string algorithm;  // canonical wire
  uint64_t timeSigned = 0;
  uint16_t fudge = 0;
  std::span<const uint8_t> mac;
  uint16_t originalId = 0;
  uint16_t error = 0;
  std::span<const uint8_t> other;
};

/// Walks every record of msg; the TSIG RR (RFC 8945 §4.2), nothing when the message has none, or
/// an Error for a malformed message or a misplaced TSIG (RFC 8945 §5.2: FORMERR).
Result<std::optional<ParsedTsig>> findTsig(std::span<const uint8_t> msg) {
  if (msg.size() < dns::kHeaderSize) return makeError("message shorter than a DNS header");
  WireReader r(msg);
  r.skip(4);
  uint16_t qd = r.u16(), an = r.u16(), ns = r.u16(), ar = r.u16();
  for (uint16_t i = 0; i < qd; ++i)
    if (!readName(r, nullptr, true) || !r.skip(4)) return makeError("malformed question");
  uint32_t total = uint32_t{an} + ns + ar, tsigCount = 0, tsigIndex = 0;
  size_t tsigStart = 0;
  for (uint32_t i = 0; i < total; ++i) {
    size_t start = r.offset();
    if (!readName(r, nullptr, true)) return makeError("malformed owner name");
    uint16_t type = r.u16();
    r.skip(6);
    if (!r.skip(r.u16())) return makeError("record runs past the end of the message");
    if (type == dns::kTSIG) {
      ++tsigCount;
      tsigIndex = i;
      tsigStart = start;
    }
  }
  if (tsigCount == 0) return std::optional<ParsedTsig>();
  if (tsigCount > 1) return makeError("more than one TSIG RR (RFC 8945 §5.2)");
  if (ar == 0 || tsigIndex != total - 1)
    return makeError("TSIG RR is not the last additional record (RFC 8945 §5.2)");
  if (!r.atEnd()) return makeError("bytes after the TSIG RR");

  ParsedTsig t;
  t.offset = tsigStart;
  WireReader rr(msg);
  rr.seek(tsigStart);
  readName(rr, &t.owner, true);  // read once already
  rr.skip(2);
  uint16_t cls = rr.u16();
  uint32_t ttl = rr.u32();
  size_t rdEnd = rr.u16();
  rdEnd += rr.offset();
  if (cls != dns::kCLASS_ANY || ttl != 0)
    return makeError("TSIG RR must have class ANY and TTL 0 (RFC 8945 §4.2)");
  // RFC 8945 §4.2 / RFC 3597 §4: the algorithm name is never compressed.
  if (!readName(rr, &t.algorithm, false)) return makeError("malformed TSIG algorithm name");
  uint64_t hi = rr.u16();
  t.timeSigned = hi << 32 | rr.u32();
  t.fudge = rr.u16();
  t.mac = rr.bytes(rr.u16());
  t.originalId = rr.u16();
  t.error = rr.u16();
  t.other = rr.bytes(rr.u16());
  if (rr.failed() || rr.offset() != rdEnd)
    return makeError("TSIG RDATA length does not match its fields");
  return std::optional<ParsedTsig>(std::move(t));
}

// ---- HMAC ------------------------------------------------------------------------------------

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

MacCtx newMac(const Key& key) {
  static EVP_MAC* const kHmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // kept for the process
  if (!kHmac) return nullptr;
  MacCtx ctx(EVP_MAC_CTX_new(kHmac));
  if (!ctx) return nullptr;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                       const_cast<char*>(info(key.algorithm).digest), 0),
      OSSL_PARAM_construct_end()};
  static const uint8_t kNoKey = 0;
  const uint8_t* secret = key.secret.empty() ? &kNoKey : key.secret.data();
  if (EVP_MAC_init(ctx.get(), secret, key.secret.size(), params) != 1) return nullptr;
  return ctx;
}

void macAdd(EVP_MAC_CTX* c, std::span<const uint8_t> b) {
  if (!b.empty()) EVP_MAC_update(c, b.data(), b.size());
}

std::vector<uint8_t> macFinal(EVP_MAC_CTX* c) {
  uint8_t buf[EVP_MAX_MD_SIZE];
  size_t n = 0;
  if (EVP_MAC_final(c, buf, &n, sizeof buf) != 1) return {};
  return {buf, buf + n};
}

/// RFC 8945 §4.3.1, §5.3: a prior (request) MAC enters the digest as MAC Size + MAC.
void macAddPrior(EVP_MAC_CTX* c, std::span<const uint8_t> prior) {
  if (prior.empty()) return;
  uint8_t len[2];
  dns::put16(len, static_cast<uint16_t>(prior.size()));
  macAdd(c, len);
  macAdd(c, prior);
}

/// RFC 8945 §4.3.2: the message as it was before the TSIG was added: ID := Original ID and
/// ARCOUNT one less. `body` is the message up to the TSIG RR.
void macAddStripped(EVP_MAC_CTX* c, std::span<const uint8_t> body, uint16_t originalId) {
  uint8_t hdr[dns::kHeaderSize];
  std::memcpy(hdr, body.data(), sizeof hdr);
  dns::put16(hdr, originalId);
  dns::put16(hdr + 10, static_cast<uint16_t>(dns::get16(hdr + 10) - 1));
  macAdd(c, hdr);
  macAdd(c, body.subspan(sizeof hdr));
}

/// The TSIG variables of RFC 8945 §4.3.3 (names in canonical wire form), or only the timers
/// (Time Signed, Fudge) for the 2nd..nth message of a stream (§5.3.1).
struct Vars {
  std::string_view name, algorithm;
  uint64_t timeSigned = 0;
  uint16_t fudge = 0, error = 0;
  std::span<const uint8_t> other;
};

void macAddVars(EVP_MAC_CTX* c, const Vars& v, bool timersOnly) {
  std::vector<uint8_t> b;
  WireWriter w(b);
  if (!timersOnly) {
    w.bytes(v.name);
    w.u16(dns::kCLASS_ANY);
    w.u32(0);
    w.bytes(v.algorithm);
  }
  put48(w, v.timeSigned);
  w.u16(v.fudge);
  if (!timersOnly) {
    w.u16(v.error);
    w.u16(static_cast<uint16_t>(v.other.size()));
    w.bytes(v.other);
  }
  macAdd(c, b);
}

Vars varsOf(const ParsedTsig& t) {
  return {t.owner, t.algorithm, t.timeSigned, t.fudge, t.error, t.other};
}

bool outsideFudge(uint64_t now, uint64_t timeSigned, uint16_t fudge) {  // RFC 8945 §5.2.3
  return (now > timeSigned ? now - timeSigned : timeSigned - now) > fudge;
}

/// RFC 8945 §5.2.2.1: longer than the hash, or shorter than max(10, hash/2) -> FORMERR.
Status checkMacSize(Algorithm a, size_t n) {
  size_t full = info(a).size;
  if (n > full) return makeError("TSIG MAC longer than the hash (RFC 8945 §5.2.2.1)");
  if (n < std::max<size_t>(10, full / 2))
    return makeError("TSIG MAC shorter than the allowed truncation (RFC 8945 §5.2.2.1)");
  return {};
}

/// Compares a received (possibly truncated) MAC with the leading bytes of ours, in constant time.
bool macMatches(std::span<const uint8_t> ours, std::span<const uint8_t> theirs) {
  return !theirs.empty() && theirs.size() <= ours.size() &&
         CRYPTO_memcmp(ours.data(), theirs.data(), theirs.size()) == 0;
}

std::string rcodeName(uint16_t e) {  // IANA DNS RCODEs 16..23 as TSIG errors
  static const char* kNames[] = {"BADSIG",  "BADKEY", "BADTIME",  "BADMODE",
                                 "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE"};
  if (e >= 16 && e <= 23) return kNames[e - 16];
  return "TSIG error " + std::to_string(e);
}

/// Appends the TSIG RR (RFC 8945 §4.2), signed with `key` over prior MAC + msg + variables, or
/// with an empty MAC when key is null (§5.3.2), and increments ARCOUNT.
Result<std::vector<uint8_t>> appendTsig(std::vector<uint8_t>& msg, const Vars& v, const Key* key,
                                        std::span<const uint8_t> priorMac, bool timersOnly) {
  if (msg.size() < dns::kHeaderSize) return makeError("message shorter than a DNS header");
  uint16_t arcount = dns::get16(msg.data() + 10);
  if (arcount == 0xFFFF) return makeError("ARCOUNT is full");
  std::vector<uint8_t> mac;
  if (key) {
    MacCtx ctx = newMac(*key);
    if (!ctx) return makeError("HMAC initialisation failed");
    macAddPrior(ctx.get(), priorMac);
    macAdd(ctx.get(), msg);
    macAddVars(ctx.get(), v, timersOnly);
    mac = macFinal(ctx.get());
    if (mac.empty()) return makeError("HMAC computation failed");
  }
  size_t rrSize = v.name.size() + 10 + v.algorithm.size() + 16 + mac.size() + v.other.size();
  if (msg.size() + rrSize > 65535) return makeError("message too large to add a TSIG RR");
  uint16_t id = dns::get16(msg.data());
  WireWriter w(msg);
  w.bytes(v.name);
  w.u16(dns::kTSIG);
  w.u16(dns::kCLASS_ANY);
  w.u32(0);
  size_t lenAt = w.size();
  w.u16(0);
  w.bytes(v.algorithm);
  put48(w, v.timeSigned);
  w.u16(v.fudge);
  w.u16(static_cast<uint16_t>(mac.size()));
  w.bytes(mac);
  w.u16(id);  // Original ID
  w.u16(v.error);
  w.u16(static_cast<uint16_t>(v.other.size()));
  w.bytes(v.other);
  w.patchU16(lenAt, static_cast<uint16_t>(w.size() - lenAt - 2));
  dns::put16(msg.data() + 10, static_cast<uint16_t>(arcount + 1));
  return mac;
}

/// Client-side check of a response TSIG (RFC 8945 §5.4); ctx already holds the prior MAC (and any
/// unsigned messages of a stream). Returns the response MAC.
Result<std::vector<uint8_t>> verifySigned(const ParsedTsig& t, std::span<const uint8_t> msg,
                                          const Key& key, EVP_MAC_CTX* ctx, bool timersOnly,
                                          uint64_t now) {
  std::string name, alg;
  if (!nameToWire(key.name, name)) return makeError("bad key name '" + key.name + "'");
  nameToWire(algorithmName(key.algorithm), alg);
  if (t.owner != name)
    return makeError("response signed with key '" + dns::nameToText(t.owner) + "', expected '" +
                     key.name + "'");
  if (t.algorithm != alg)
    return makeError("response signed with algorithm " + dns::nameToText(t.algorithm));
  if (t.mac.empty() && t.error != 0) return makeError("server answered " + rcodeName(t.error));
  if (auto s = checkMacSize(key.algorithm, t.mac.size()); !s) return s.error();
  macAddStripped(ctx, msg.first(t.offset), t.originalId);
  macAddVars(ctx, varsOf(t), timersOnly);
  if (!macMatches(macFinal(ctx), t.mac))
    return makeError("response TSIG MAC does not verify (BADSIG)");
  if (t.error == static_cast<uint16_t>(TsigRcode::kBadTime) && t.other.size() == 6) {
    uint64_t server = 0;
    for (uint8_t b : t.other) server = server << 8 | b;
    return makeError("server answered BADTIME: server time " + std::to_string(server) + ", ours " +
                     std::to_string(now));
  }
  if (t.error != 0) return makeError("server answered " + rcodeName(t.error));
  if (outsideFudge(now, t.timeSigned, t.fudge))
    return makeError("response signed at " + std::to_string(t.timeSigned) +
                     ", outside the fudge of our time " + std::to_string(now) + " (BADTIME)");
  return std::vector<uint8_t>(t.mac.begin(), t.mac.end());
}

// ---- Key parsing -----------------------------------------------------------------------------

/// Base64 (RFC 4648 §4) via EVP_DecodeBlock, which neither skips inner whitespace nor drops the
/// zero bytes that padding decodes to: both are handled here. Missing padding is tolerated.
bool base64Decode(std::string_view in, std::vector<uint8_t>& out) {
  std::string s;
  for (char c : in)
    if (!std::isspace(static_cast<unsigned char>(c))) s += c;
  size_t pad = 0;
  for (; !s.empty() && s.back() == '='; ++pad) s.pop_back();
  if (s.empty() || s.size() > 8192 || pad > 2 || s.size() % 4 == 1) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  size_t need = (4 - s.size() % 4) % 4;
  if (pad != 0 && pad != need) return false;
  s.append(need, '=');
  out.assign(s.size() / 4 * 3, 0);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(s.data()),
                          static_cast<int>(s.size()));
  if (n < 0 || static_cast<size_t>(n) <= need) return false;
  out.resize(static_cast<size_t>(n) - need);
  return true;
}

Result<Key> makeKey(std::string_view alg, std::string_view name, std::string_view secret) {
  Key k;
  alg = trim(alg), name = trim(name), secret = trim(secret);
  if (alg.empty()) return makeError("missing algorithm");
  if (!parseAlgorithm(alg, k.algorithm))
    return makeError("unknown algorithm '" + std::string(alg) + "'");
  if (name.empty()) return makeError("missing key name");
  k.name = canonicalName(name);
  if (k.name.empty()) return makeError("bad key name '" + std::string(name) + "'");
  if (secret.empty()) return makeError("missing secret");
  if (!base64Decode(secret, k.secret)) return makeError("bad base64 secret");
  return k;
}

struct Token {
  std::string text;
  int line = 0;
  bool quoted = false;
};

/// Splits BIND configuration syntax into words, "strings" and { } ; dropping #, // and /* */
/// comments.
Result<std::vector<Token>> tokenize(std::string_view s, const std::string& where) {
  std::vector<Token> out;
  int line = 1;
  auto lines = [&](size_t from, size_t to) {
    line += static_cast<int>(std::count(s.begin() + from, s.begin() + to, '\n'));
  };
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      line += c == '\n';
      ++i;
    } else if (c == '#' || s.compare(i, 2, "//") == 0) {
      i = std::min(s.find('\n', i), s.size());
    } else if (s.compare(i, 2, "/*") == 0) {
      size_t end = s.find("*/", i + 2);
      if (end == std::string_view::npos) return makeError(at(where, line) + "unterminated comment");
      lines(i, end);
      i = end + 2;
    } else if (c == '"') {
      size_t end = s.find('"', i + 1);
      if (end == std::string_view::npos) return makeError(at(where, line) + "unterminated string");
      out.push_back({std::string(s.substr(i + 1, end - i - 1)), line, true});
      lines(i, end);
      i = end + 1;
    } else if (c == '{' || c == '}' || c == ';') {
      out.push_back({std::string(1, c), line, false});
      ++i;
    } else {
      size_t b = i;
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) &&
             std::strchr("{};\"#", s[i]) == nullptr)
        ++i;
      out.push_back({std::string(s.substr(b, i - b)), line, false});
    }
  }
  return out;
}

/// `key "name" { algorithm hmac-sha256; secret "base64"; };` blocks (BIND, tsig-keygen).
Result<std::vector<Key>> parseBindKeys(std::string_view text, const std::string& where) {
  auto toks = tokenize(text, where);
  if (!toks) return toks.error();
  const std::vector<Token>& t = *toks;
  std::vector<Key> keys;
  auto here = [&](size_t k) { return at(where, t[std::min(k, t.size() - 1)].line); };
  auto is = [&](size_t k, const char* s) { return k < t.size() && !t[k].quoted && t[k].text == s; };
  for (size_t i = 0; i < t.size();) {
    if (!is(i, "key")) return makeError(here(i) + "expected 'key', found '" + t[i].text + "'");
    if (!is(i + 2, "{")) return makeError(here(i) + "expected key \"name\" {");
    std::string name = t[i + 1].text, alg, secret;
    size_t start = i;
    for (i += 3; i < t.size() && !is(i, "}"); i += 3) {
      if (!is(i + 2, ";"))
        return makeError(here(i) + "expected '<clause> <value>;' in key \"" + name + "\"");
      if (t[i].text == "algorithm") {
        alg = t[i + 1].text;
      } else if (t[i].text == "secret") {
        secret = t[i + 1].text;
      } else {
        return makeError(here(i) + "unknown clause '" + t[i].text + "' in key \"" + name + "\"");
      }
    }
    if (!is(i, "}") || !is(i + 1, ";"))
      return makeError(here(i) + "expected '};' after key \"" + name + "\"");
    i += 2;
    auto k = makeKey(alg, name, secret);
    if (!k) return makeError(here(start) + "key \"" + name + "\": " + k.error().message);
    keys.push_back(std::move(*k));
  }
  return keys;
}

/// Knot (keymgr -t) YAML: `key:` then `- id: name`, `algorithm: hmac-sha256`, `secret: base64`.
Result<std::vector<Key>> parseKnotKeys(const std::string& text, const std::string& where) {
  std::vector<Key> keys;
  std::string id, alg, secret;
  int entryLine = 0, line = 0;
  auto flush = [&]() -> Status {
    if (entryLine == 0) return {};
    auto k = makeKey(alg, id, secret);
    if (!k) return makeError(at(where, entryLine) + "key '" + id + "': " + k.error().message);
    keys.push_back(std::move(*k));
    id.clear(), alg.clear(), secret.clear();
    return {};
  };
  std::istringstream in(text);
  for (std::string raw; std::getline(in, raw);) {
    ++line;
    std::string_view l = trim(std::string_view(raw).substr(0, raw.find('#')));
    if (l.empty() || l == "key:") continue;
    if (l.starts_with("- ")) {
      if (auto s = flush(); !s) return s.error();
      entryLine = line;
      l = trim(l.substr(2));
    }
    size_t colon = l.find(':');
    if (entryLine == 0 || colon == std::string_view::npos)
      return makeError(at(where, line) + "expected '- id: name' entries");
    std::string_view field = trim(l.substr(0, colon)), value = trim(l.substr(colon + 1));
    if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0])
      value = value.substr(1, value.size() - 2);
    if (field == "id") {
      id = value;
    } else if (field == "algorithm") {
      alg = value;
    } else if (field == "secret") {
      secret = value;
    } else {
      return makeError(at(where, line) + "unknown key field '" + std::string(field) + "'");
    }
  }
  if (auto s = flush(); !s) return s.error();
  return keys;
}

}  // namespace

bool parseAlgorithm(std::string_view name, Algorithm& out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  for (const auto& i : kAlgs) {
    std::string_view n = i.name.substr(0, i.name.size() - 1);
    if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      out = i.alg;
      return true;
    }
  }
  return false;
}

std::string_view algorithmName(Algorithm a) { return info(a).name; }
size_t macSize(Algorithm a) { return info(a).size; }

Key keyFromConfig(const ConfigNode& node) {
  node.checkKnown({"name", "algorithm", "secret"});
  auto key = parseKeySpec(node.str("algorithm", "hmac-sha256") + ":" + node.str("name") + ":" + node.str("secret"));
  if (!key) node.fail(key.error().message);
  return *key;
}

Result<Key> parseKeySpec(std::string_view spec) {
  spec = trim(spec);
  if (spec.find('{') != std::string_view::npos) {
    auto keys = parseBindKeys(spec, "key spec");
    if (!keys) return keys.error();
    if (keys->size() != 1) return makeError("key spec: expected exactly one key block");
    return std::move(keys->front());
  }
  std::vector<std::string_view> parts;
  for (size_t b = 0, e = 0; e != std::string_view::npos; b = e + 1) {
    e = spec.find(':', b);
    parts.push_back(spec.substr(b, e == std::string_view::npos ? e : e - b));
  }
  Result<Key> k = makeError("expected [algorithm:]name:secret");
  if (parts.size() == 2) k = makeKey("hmac-sha256", parts[0], parts[1]);
  if (parts.size() == 3) k = makeKey(parts[0], parts[1], parts[2]);
  if (!k) return makeError("key spec: " + k.error().message);
  return k;
}

Result<std::vector<Key>> parseKeyFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return makeError(path + ": cannot open");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  // The format: braces mean BIND; a first line "key:" means Knot YAML; else one spec a line.
  std::vector<std::pair<int, std::string_view>> lines;
  std::string_view rest = text;
  for (int n = 1; !rest.empty(); ++n) {
    size_t e = std::min(rest.find('\n'), rest.size());
    std::string_view l = trim(rest.substr(0, e));
    if (!l.empty() && l[0] != '#') lines.emplace_back(n, l);
    rest.remove_prefix(std::min(e + 1, rest.size()));
  }
  Result<std::vector<Key>> keys = std::vector<Key>();
  if (text.find('{') != std::string::npos) {
    keys = parseBindKeys(text, path);
  } else if (!lines.empty() && lines[0].second == "key:") {
    keys = parseKnotKeys(text, path);
  } else {
    for (const auto& [n, l] : lines) {
      auto k = parseKeySpec(l);
      if (!k) return makeError(at(path, n) + k.error().message);
      keys->push_back(std::move(*k));
    }
  }
  if (keys && keys->empty()) return makeError(path + ": no keys");
  return keys;
}

void Keyring::add(Key k) {
  if (std::string c = canonicalName(k.name); !c.empty()) k.name = std::move(c);
  std::string name = k.name;
  keys_.insert_or_assign(std::move(name), std::move(k));
}

const Key* Keyring::find(std::string_view name) const {
  auto it = keys_.find(name);
  if (it == keys_.end()) it = keys_.find(canonicalName(name));
  return it == keys_.end() ? nullptr : &it->second;
}

Result<RequestInfo> verifyRequest(std::span<const uint8_t> msg, const Keyring& keys, uint64_t now) {
  auto found = findTsig(msg);
  if (!found) return found.error();
  RequestInfo req;
  if (!found->has_value()) return req;
  const ParsedTsig& t = **found;
  req.present = true;
  req.tsigOffset = t.offset;
  req.keyName = dns::nameToText(t.owner);
  req.algorithmName = dns::nameToText(t.algorithm);
  req.mac.assign(t.mac.begin(), t.mac.end());
  req.timeSigned = t.timeSigned;
  req.fudge = t.fudge;
  req.originalId = t.originalId;
  // RFC 8945 §5.2.1: an unknown key, or a known key with another algorithm -> BADKEY.
  const Key* key = keys.find(req.keyName);
  if (!parseAlgorithm(req.algorithmName, req.algorithm) || !key ||
      key->algorithm != req.algorithm) {
    req.error = TsigRcode::kBadKey;
    return req;
  }
  req.key = key;
  if (auto s = checkMacSize(req.algorithm, t.mac.size()); !s) return s.error();
  // RFC 8945 §5.2.2: MAC over the request without its TSIG + the TSIG variables.
  MacCtx ctx = newMac(*key);
  if (!ctx) return makeError("HMAC initialisation failed");
  macAddStripped(ctx.get(), msg.first(t.offset), t.originalId);
  macAddVars(ctx.get(), varsOf(t), false);
  std::vector<uint8_t> ours = macFinal(ctx.get());
  if (!macMatches(ours, t.mac)) {
    req.error = TsigRcode::kBadSig;
  } else if (outsideFudge(now, t.timeSigned, t.fudge)) {
    req.error = TsigRcode::kBadTime;  // RFC 8945 §5.2.3: only once the MAC is good
  } else if (t.mac.size() < ours.size()) {
    req.error = TsigRcode::kBadTrunc;  // RFC 8945 §5.2.4: our policy wants the full MAC
  }
  return req;
}

Result<std::vector<uint8_t>> sign(std::vector<uint8_t>& msg, const Key& key,
                                  std::span<const uint8_t> priorMac, uint64_t now, uint16_t fudge,
                                  TsigRcode error, bool timersOnly) {
  std::string name, alg;
  if (!nameToWire(key.name, name)) return makeError("bad key name '" + key.name + "'");
  nameToWire(algorithmName(key.algorithm), alg);
  std::vector<uint8_t> serverTime;
  if (error == TsigRcode::kBadTime) {  // RFC 8945 §5.2.3: Other Data = our time (u48)
    WireWriter w(serverTime);
    put48(w, now);
  }
  Vars v{name, alg, now, fudge, static_cast<uint16_t>(error), serverTime};
  // RFC 8945 §5.3.2: key and MAC errors get an unsigned answer.
  bool unsignedError = error == TsigRcode::kBadKey || error == TsigRcode::kBadSig;
  return appendTsig(msg, v, unsignedError ? nullptr : &key, priorMac, timersOnly);
}

Result<std::vector<uint8_t>> signResponse(std::vector<uint8_t>& msg, const RequestInfo& req,
                                          uint64_t now, uint16_t fudge) {
  if (!req.present) return makeError("the request carried no TSIG");
  if (req.error == TsigRcode::kBadKey || req.error == TsigRcode::kBadSig) {
    std::string name, alg;  // RFC 8945 §5.3.2: the request's names, an empty MAC
    if (!nameToWire(req.keyName, name) || !nameToWire(req.algorithmName, alg))
      return makeError("bad names in the request TSIG");
    return appendTsig(msg, {name, alg, now, fudge, static_cast<uint16_t>(req.error), {}}, nullptr,
                      {}, false);
  }
  if (!req.key) return makeError("no key to sign with");
  if (req.error != TsigRcode::kBadTime) return sign(msg, *req.key, req.mac, now, fudge, req.error);
  // RFC 8945 §5.2.3: BADTIME is signed; Time Signed echoes the request (as BIND and Knot do) so
  // that the client's own time check passes, and Other Data carries our time.
  std::string name, alg;
  std::vector<uint8_t> serverTime;
  if (!nameToWire(req.key->name, name)) return makeError("bad key name '" + req.key->name + "'");
  nameToWire(algorithmName(req.key->algorithm), alg);
  WireWriter w(serverTime);
  put48(w, now);
  Vars v{name, alg, req.timeSigned, fudge, static_cast<uint16_t>(TsigRcode::kBadTime), serverTime};
  return appendTsig(msg, v, req.key, req.mac, false);
}

Result<std::vector<uint8_t>> signRequest(std::vector<uint8_t>& msg, const Key& key, uint64_t now,
                                         uint16_t fudge) {
  return sign(msg, key, {}, now, fudge);
}

Result<std::vector<uint8_t>> verifyResponse(std::span<const uint8_t> msg, const Key& key,
                                            std::span<const uint8_t> priorMac, uint64_t now,
                                            bool subsequent) {
  auto found = findTsig(msg);
  if (!found) return found.error();
  if (!found->has_value()) return makeError("response carries no TSIG (RFC 8945 §5.4)");
  MacCtx ctx = newMac(key);
  if (!ctx) return makeError("HMAC initialisation failed");
  macAddPrior(ctx.get(), priorMac);
  return verifySigned(**found, msg, key, ctx.get(), subsequent, now);
}

struct StreamVerifier::Pending {
  MacCtx ctx;
};

StreamVerifier::StreamVerifier(const Key& key, std::vector<uint8_t> requestMac)
    : key_(key), priorMac_(std::move(requestMac)) {}
StreamVerifier::~StreamVerifier() = default;
StreamVerifier::StreamVerifier(StreamVerifier&&) noexcept = default;
StreamVerifier& StreamVerifier::operator=(StreamVerifier&&) noexcept = default;

Status StreamVerifier::next(std::span<const uint8_t> msg, uint64_t now) {
  auto found = findTsig(msg);
  if (!found) return found.error();
  lastSigned_ = false;
  if (!pending_) {
    MacCtx ctx = newMac(key_);
    if (!ctx) return makeError("HMAC initialisation failed");
    macAddPrior(ctx.get(), priorMac_);
    pending_ = std::make_unique<Pending>(Pending{std::move(ctx)});
  }
  if (!found->has_value()) {
    // RFC 8945 §5.3.1: unsigned messages enter the next signed message's digest as they are.
    if (first_) return makeError("first message of the stream carries no TSIG (RFC 8945 §5.3.1)");
    if (++unsigned_ > kMaxUnsigned)
      return makeError("more than 99 unsigned messages in a row (RFC 8945 §5.3.1)");
    macAdd(pending_->ctx.get(), msg);
    return {};
  }
  MacCtx ctx = std::move(pending_->ctx);
  pending_.reset();
  auto mac = verifySigned(**found, msg, key_, ctx.get(), !first_, now);
  if (!mac) return mac.error();
  priorMac_ = std::move(*mac);
  first_ = false;
  unsigned_ = 0;
  lastSigned_ = true;
  return {};
}

}  // namespace cdns::tsig
