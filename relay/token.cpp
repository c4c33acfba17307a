// Relay bearer tokens.
#include "relay/token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace cdns::relay {
namespace {

std::string b64url(const uint8_t* data, size_t len) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; ++i) {
    acc = acc << 8 | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += k[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += k[(acc << (6 - bits)) & 63];
  return out;
}

bool unb64url(const std::string& s, std::string& out) {
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return false;
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return true;
}

std::string mac(const std::vector<uint8_t>& key, const std::string& payload) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(payload.data()),
       payload.size(), out, &len);
  return b64url(out, len);
}

}  // namespace

std::string mintToken(const std::vector<uint8_t>& key, const std::string& user, uint64_t expires) {
  std::string payload = nlohmann::json{{"sub", user}, {"exp", expires}}.dump();
  std::string p = b64url(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  return p + "." + mac(key, p);
}

Result<TokenClaims> verifyToken(const std::vector<uint8_t>& key, const std::string& token, uint64_t now) {
  auto dot = token.find('.');
  if (dot == std::string::npos) return makeError("malformed token");
  std::string p = token.substr(0, dot), m = token.substr(dot + 1);
  std::string want = mac(key, p);
  if (m.size() != want.size() || CRYPTO_memcmp(m.data(), want.data(), m.size()) != 0) return makeError("bad token signature");
  std::string payload;
  if (!unb64url(p, payload)) return makeError("malformed token");
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object() || !j.contains("sub") || !j["sub"].is_string() || !j.contains("exp") || !j["exp"].is_number_unsigned())
    return makeError("malformed token");
  TokenClaims c{j["sub"].get<std::string>(), j["exp"].get<uint64_t>()};
  if (c.expires <= now) return makeError("token expired");
  return c;
}

Result<std::vector<uint8_t>> loadKeyFile(const std::string& path) {
  std::ifstream f(path);
  if (!f) return makeError(path + ": cannot open");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text;
  for (char c : ss.str())
    if (!isspace(static_cast<unsigned char>(c))) text += c;
  std::vector<uint8_t> out(text.size());
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0 || text.size() % 4) return makeError(path + ": not base64");
  size_t pad = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  if (out.size() < 16) return makeError(path + ": key shorter than 16 bytes");
  return out;
}

}  // namespace cdns::relay
