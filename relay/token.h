// Bearer tokens for the relay's API: "<payload>.<mac>", both base64url; the payload is JSON
// {"sub": user, "exp": unix-seconds}; the MAC is HMAC-SHA256 over the payload with the relay's key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace cdns::relay {

struct TokenClaims {
  std::string user;
  uint64_t expires = 0;
};

std::string mintToken(const std::vector<uint8_t>& key, const std::string& user, uint64_t expires);
/// Checks the MAC (constant time) and the expiry; errors say which ("bad signature", "expired").
Result<TokenClaims> verifyToken(const std::vector<uint8_t>& key, const std::string& token, uint64_t now);
/// Reads a key file holding base64 (e.g. from `openssl rand -base64 32`), at least 16 bytes.
Result<std::vector<uint8_t>> loadKeyFile(const std::string& path);

}  // namespace cdns::relay
