// Record data of the compute types: (key u16, length u16, value)* sorted by key, as SVCB's
// SvcParams (RFC 9460 §2.2). Codecs between wire, presentation, JSON and RFC 3597 forms.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "rrtypes/registry.h"

namespace cdns::rrtypes {

using Bytes = std::vector<uint8_t>;

/// One key and its raw wire value.
struct Param {
  uint16_t key;
  Bytes value;
};

/// Strict wire decoding: keys strictly ascending, lengths inside the rdata, no trailing bytes,
/// every known value valid, mandatory keys present. Unknown keys are kept as they are.
Result<std::vector<Param>> decodeParams(const TypeDef& type, std::span<const uint8_t> wire);
/// Encodes params (which must be sorted and unique) to wire form.
Bytes encodeParams(const std::vector<Param>& params);

/// "cpu=1024/4096 load=0.62 ts=1764300000" (any key order, whitespace-separated, values may be
/// "quoted") -> wire. keyNNNNN=<hex> gives a key by number. In bare and quoted values alike,
/// \X stands for X and \DDD for the octet DDD (RFC 1035 §5.1).
Result<Bytes> parseText(const TypeDef& type, std::string_view text);
/// Wire -> canonical presentation text, keys in ascending order; values are quoted when they
/// hold whitespace or one of " \ ; ( ), so the text parses back to the same wire.
Result<std::string> toText(const TypeDef& type, std::span<const uint8_t> wire);
/// Wire -> JSON object with the same keys and typed values.
Result<nlohmann::json> toJson(const TypeDef& type, std::span<const uint8_t> wire);
/// JSON object -> wire.
Result<Bytes> fromJson(const TypeDef& type, const nlohmann::json& j);

/// RFC 3597 §5 generic form: "\# 12 0001000400000400".
std::string toGeneric(std::span<const uint8_t> wire);
/// Parses the generic form; accepts hex split by whitespace.
Result<Bytes> parseGeneric(std::string_view text);

/// Finds the param of one key, for consumers (resolver, publisher); nullptr when absent.
/// `params` must come from decodeParams.
const Param* findParam(const std::vector<Param>& params, uint16_t key);

}  // namespace cdns::rrtypes
