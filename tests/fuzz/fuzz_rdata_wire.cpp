// Fuzz target: the wire decoder of every compute type. The first byte picks the type. Whatever
// decodes must print, re-parse to the same wire bytes, and survive JSON both ways.
#include <cstdint>
#include <cstdlib>

#include "rrtypes/rdata.h"
#include "rrtypes/registry.h"

using namespace cdns::rrtypes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  auto types = allTypes();
  const TypeDef& t = types[data[0] % types.size()];
  std::span<const uint8_t> wire(data + 1, size - 1);
  auto text = toText(t, wire);
  auto json = toJson(t, wire);
  if (text.ok() != json.ok()) abort();
  if (!text) return 0;
  auto back = parseText(t, *text);
  if (!back || *back != Bytes(wire.begin(), wire.end())) abort();
  auto fromJ = fromJson(t, *json);
  if (!fromJ) abort();
  auto text2 = toText(t, *fromJ);
  if (!text2) abort();
  auto generic = parseGeneric(toGeneric(wire));
  if (!generic || *generic != *back) abort();
  return 0;
}
