// Master-file (RFC 1035 §5) loading with the compute types in presentation form. ldns reads
// private types only in RFC 3597 form, so each entry of ours is translated before ldns sees it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ldns_handles.h"
#include "common/result.h"

namespace cdns::rrtypes {

struct ZoneFile {
  std::vector<RrPtr> records;  // in file order
  RdfPtr origin;               // the origin given, or the last $ORIGIN seen
};

/// Loads a master file. `origin` (e.g. "gba.example.") is the zone name for relative owners;
/// $ORIGIN, $TTL and $INCLUDE (path relative to the including file, 8 levels deep; its optional
/// origin relative to the current one) are honoured.
/// Errors read "file:line: problem". `defaultTtl` applies until a $TTL directive.
Result<ZoneFile> loadZoneFile(const std::string& path, std::string_view origin, uint32_t defaultTtl = 3600);
/// Streams a master file: each record goes to `sink` as it is parsed, none is kept (large zones).
/// An error from the sink stops the load and is reported with the file and line.
Status forEachRecord(const std::string& path, std::string_view origin, const std::function<Status(RrPtr)>& sink,
                     uint32_t defaultTtl = 3600);
/// The same from text in memory; `name` stands for the file in errors.
Result<ZoneFile> loadZoneText(std::string_view text, std::string_view name, std::string_view origin,
                              uint32_t defaultTtl = 3600);

/// Rewrites one RR entry ("owner [ttl] [class] TYPE rdata") whose type is one of ours, by
/// mnemonic or as TYPEnnn, into RFC 3597 form ("owner [ttl] [class] TYPE65281 \# n hex"); the
/// rdata is checked in full whichever form it is in. Other entries come back unchanged.
Result<std::string> translateEntry(std::string_view entry);

/// Parses one RR in presentation form (our types included) into an ldns RR.
Result<RrPtr> parseRr(std::string_view text, std::string_view origin = {}, uint32_t defaultTtl = 3600);

/// Prints one RR in presentation form, our types decoded ("sz1 300 IN CAP cpu=1/2").
/// Falls back to RFC 3597 form when the rdata of one of our types does not decode.
std::string rrToText(const ldns_rr* rr);
/// The same for a record given as its parts (owner in uncompressed wire form, class IN).
std::string rrToText(std::string_view ownerWire, uint16_t type, uint32_t ttl, std::string_view rdata);

}  // namespace cdns::rrtypes
