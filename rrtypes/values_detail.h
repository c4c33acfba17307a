// Helpers of the value codecs shared by values.cpp and values_json.cpp; not part of the API.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/wire.h"

namespace cdns::rrtypes::detail {

std::vector<std::string_view> split(std::string_view s, char sep);
bool readModel(WireReader& r, std::string_view& model);
bool validModel(std::string_view s);
extern const uint64_t kPow10[10];

}  // namespace cdns::rrtypes::detail
