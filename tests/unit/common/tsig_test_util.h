// Keys and secrets shared by the TSIG unit tests.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/tsig.h"

namespace cdns::tsig::test {

/// 32 deterministic secret bytes; different seeds give different secrets.
inline std::vector<uint8_t> secretBytes(uint8_t seed) {
  std::vector<uint8_t> s(32);
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(seed + i * 7);
  return s;
}

inline Key makeKey(Algorithm a, std::string name = "k1.", uint8_t seed = 1) {
  return Key{std::move(name), a, secretBytes(seed)};
}

inline std::string base64(const std::vector<uint8_t>& b) {
  std::string out(4 * ((b.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), b.data(),
                          static_cast<int>(b.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace cdns::tsig::test
