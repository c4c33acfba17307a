// Codecs for one key's value, by ValueKind: text <-> wire, wire -> JSON, JSON -> text.
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

/// Parses the text of a value (quotes already removed) and appends its wire bytes to `out`.
/// Errors name the problem, not the key; the caller adds the key.
Status parseValue(const KeyDef& key, std::string_view text, std::vector<uint8_t>& out);
/// Checks a wire value strictly and appends its canonical text (unquoted) to `out`.
Status printValue(const KeyDef& key, std::span<const uint8_t> value, std::string& out);
/// Checks a wire value strictly and returns its JSON form.
Result<nlohmann::json> valueToJson(const KeyDef& key, std::span<const uint8_t> value);
/// Turns a JSON value into the text form parseValue accepts.
Result<std::string> jsonToValueText(const KeyDef& key, const nlohmann::json& j);

/// Fixed-point helpers, shared with the rest of cdns.
/// Parses "12", "0.62", "1.5" into value*10^scale; false on syntax, too many places, overflow.
bool parseFixed(std::string_view s, int scale, uint64_t& out, std::string* why = nullptr);
/// Prints value/10^scale with trailing zeros removed: 620000,6 -> "0.62".
std::string formatFixed(uint64_t value, int scale);

}  // namespace cdns::rrtypes
