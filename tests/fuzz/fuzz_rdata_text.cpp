// Fuzz target: the presentation parser of every compute type. The first byte picks the type.
// Whatever parses must decode strictly and print to a text that parses to the same wire.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rrtypes/rdata.h"
#include "rrtypes/registry.h"

using namespace cdns::rrtypes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  auto types = allTypes();
  const TypeDef& t = types[data[0] % types.size()];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto wire = parseText(t, text);
  if (!wire) return 0;
  auto printed = toText(t, *wire);
  if (!printed) abort();
  auto again = parseText(t, *printed);
  if (!again || *again != *wire) abort();
  return 0;
}
