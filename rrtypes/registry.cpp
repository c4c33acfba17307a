// The table of compute record types and their keys (the normative text is docs/rrtypes.md).
#include "rrtypes/registry.h"

#include <strings.h>

#include <array>

namespace cdns::rrtypes {
namespace {

using K = ValueKind;
// Decimal maxima stay at or below 10^15 (scaled): every such value has at most 15 significant
// digits, so its JSON number (an IEEE double) converts back to the same decimal exactly.
constexpr uint64_t kPriceMax = 1'000'000'000'000'000ULL;  // 10^9 currency units at 6 places
constexpr uint64_t kScoreMax = 1'000'000'000'000'000ULL;  // 10^12 at 3 places

constexpr std::array<std::string_view, 4> kSiteKinds{"ai", "hpc", "cloud", "edge"};
constexpr std::array<std::string_view, 3> kLinks{"otn", "ip", "internet"};
constexpr std::array<std::string_view, 4> kBilling{"metered", "monthly", "yearly", "spot"};
constexpr std::array<std::string_view, 3> kDataClass{"public", "private", "restricted"};
constexpr std::array<std::string_view, 2> kYesNo{"no", "yes"};

#define TS_KEY {kKeyTs, "ts", K::kTimestamp, 0, 0, {}, false, "Unix seconds"}

const KeyDef kSiteKeys[] = {
    TS_KEY,
    {1, "kind", K::kEnum, 0, 0, kSiteKinds, true, ""},
    {2, "region", K::kText, 0, 0, {}, false, ""},
    {3, "geo", K::kGeo, 0, 0, {}, false, "degrees lat,lon"},
    {4, "jurisdiction", K::kJurisdiction, 0, 0, {}, false, "ISO 3166"},
    {5, "operator", K::kText, 0, 0, {}, false, ""},
    {6, "tee", K::kTokenList, 0, 0, {}, false, ""},
    {7, "links", K::kEnumList, 0, 0, kLinks, false, ""},
};
const KeyDef kCapKeys[] = {
    TS_KEY,
    {1, "cpu", K::kCountPair, 0, 0, {}, false, "cores free/total"},
    {2, "gpu", K::kGpuList, 0, 0, {}, false, "model:free/total"},
    {3, "mem", K::kBytesPair, 0, 0, {}, false, "bytes free/total"},
    {4, "disk", K::kBytesPair, 0, 0, {}, false, "bytes free/total"},
    {5, "nodes", K::kCountPair, 0, 0, {}, false, "nodes free/total"},
    {6, "load", K::kDecimal, 6, 1'000'000, {}, false, "0..1"},
    {7, "queue", K::kUint, 0, 0, {}, false, "pending jobs"},
    {8, "running", K::kUint, 0, 0, {}, false, "running jobs"},
    {9, "part", K::kText, 0, 0, {}, false, "partition"},
};
const KeyDef kPriceKeys[] = {
    TS_KEY,
    {1, "currency", K::kCurrency, 0, 0, {}, true, "ISO 4217"},
    {2, "cpu-hour", K::kDecimal, 6, kPriceMax, {}, false, "per core-hour"},
    {3, "gpu-hour", K::kModelPrice, 6, kPriceMax, {}, false, "per GPU-hour, by model"},
    {4, "mem-gb-hour", K::kDecimal, 6, kPriceMax, {}, false, "per GB-hour"},
    {5, "storage-gb-month", K::kDecimal, 6, kPriceMax, {}, false, "per GB-month"},
    {6, "egress-gb", K::kDecimal, 6, kPriceMax, {}, false, "per GB"},
    {7, "billing", K::kEnum, 0, 0, kBilling, false, ""},
};
const KeyDef kEnergyKeys[] = {
    TS_KEY,
    {1, "power", K::kPower, 0, 0, {}, false, "watts now"},
    {2, "pue", K::kDecimal, 3, 10'000, {}, false, "1.000..10.000", 1'000},
    {3, "carbon", K::kUint, 0, 5'000, {}, false, "gCO2e/kWh"},
    {4, "renewable", K::kPercent, 0, 0, {}, false, "percent"},
};
const KeyDef kNetqKeys[] = {
    TS_KEY,
    {1, "peer", K::kText, 0, 0, {}, true, "center, region or access point"},
    {2, "link", K::kEnum, 0, 0, kLinks, false, ""},
    {3, "bw", K::kBitrate, 0, 0, {}, false, "bit/s available"},
    {4, "rtt", K::kDuration, 0, 0, {}, false, "round-trip time"},
    {5, "jitter", K::kDuration, 0, 0, {}, false, ""},
    {6, "loss", K::kPercent, 0, 0, {}, false, "percent"},
};
const KeyDef kDataKeys[] = {
    TS_KEY,
    {1, "name", K::kText, 0, 0, {}, true, "data set"},
    {2, "size", K::kBytes, 0, 0, {}, false, "bytes"},
    {3, "digest", K::kText, 0, 0, {}, false, "algorithm:hex"},
    {4, "class", K::kEnum, 0, 0, kDataClass, false, ""},
    {5, "movable", K::kEnum, 0, 0, kYesNo, false, ""},
};
const KeyDef kTierKeys[] = {
    TS_KEY,
    {1, "class", K::kText, 0, 0, {}, true, "grade, e.g. P1.large"},
    {2, "score", K::kDecimal, 3, kScoreMax, {}, false, "benchmark figure"},
    {3, "bench", K::kText, 0, 0, {}, false, "benchmark name"},
    {4, "unit", K::kText, 0, 0, {}, false, "unit of score"},
};
#undef TS_KEY

const TypeDef kTypes[] = {
    {"SITE", 65280, kSiteKeys, "what and where a center is"},
    {"CAP", 65281, kCapKeys, "capacity: free and total resources, load, queue"},
    {"PRICE", 65282, kPriceKeys, "prices of resources"},
    {"ENERGY", 65283, kEnergyKeys, "power, efficiency and carbon"},
    {"NETQ", 65284, kNetqKeys, "network quality towards one peer"},
    {"DATA", 65285, kDataKeys, "one data set held at the center"},
    {"TIER", 65286, kTierKeys, "standard compute grade from a benchmark"},
};

}  // namespace

const KeyDef* TypeDef::key(uint16_t number) const {
  for (const auto& k : keys)
    if (k.number == number) return &k;
  return nullptr;
}

const KeyDef* TypeDef::key(std::string_view n) const {
  for (const auto& k : keys)
    if (k.name == n) return &k;
  return nullptr;
}

std::span<const TypeDef> allTypes() { return kTypes; }

const TypeDef* findType(std::string_view name) {
  for (const auto& t : kTypes)
    if (t.name.size() == name.size() && strncasecmp(t.name.data(), name.data(), name.size()) == 0)
      return &t;
  // RFC 3597 §5: "TYPE" immediately followed by the decimal type code.
  if (name.size() < 5 || name.size() > 9 || strncasecmp(name.data(), "TYPE", 4) != 0)
    return nullptr;
  uint32_t code = 0;
  for (char c : name.substr(4)) {
    if (c < '0' || c > '9') return nullptr;
    code = code * 10 + static_cast<uint32_t>(c - '0');
  }
  return code > 65535 ? nullptr : findType(static_cast<uint16_t>(code));
}

const TypeDef* findType(uint16_t code) {
  if (code < kTypes[0].code || code >= kTypes[0].code + std::size(kTypes)) return nullptr;
  return &kTypes[code - kTypes[0].code];
}

}  // namespace cdns::rrtypes
