// A center's measured state: fields named "<type>.<key>" ("cap.load", "energy.power") with values
// in the record types' presentation syntax, turned into records and compared with thresholds.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace cdns::publisher {

/// Field path -> value text ("cap.cpu" -> "1024/4096"). NETQ and DATA come as lists.
struct State {
  std::map<std::string, std::string> fields;
  std::vector<std::map<std::string, std::string>> netq;  // one per peer: key -> value
  std::vector<std::map<std::string, std::string>> data;  // one per data set

  void set(const std::string& path, const std::string& value) { fields[path] = value; }
  std::optional<std::string> get(const std::string& path) const;
};

/// One record to publish: its type mnemonic and presentation rdata.
struct BuiltRecord {
  std::string type;   // "CAP"
  std::string rdata;  // "cpu=1024/4096 load=0.62 ts=..."
  std::vector<uint8_t> wire;
  bool operator==(const BuiltRecord& o) const { return type == o.type && wire == o.wire; }
};

/// Records by type ("CAP" -> its records; NETQ and DATA may hold several).
using RecordSet = std::map<std::string, std::vector<BuiltRecord>>;

/// Builds the records from a state, stamping `ts`. Errors name the field: "cap.lod: unknown key".
Result<RecordSet> buildRecords(const State& s, uint64_t ts);

/// A change threshold for one field: absolute ("0.05") or relative ("10%").
struct Threshold {
  double amount = 0;
  bool relative = false;
};
Result<Threshold> parseThreshold(const std::string& text);

/// The record types whose content (ts aside) differs between `was` and `now`, honouring the
/// thresholds of their fields: a numeric move within its threshold is not a change.
std::vector<std::string> changedTypes(const State& was, const State& now,
                                      const std::map<std::string, Threshold>& thresholds);

/// Applies "cap.queue=3" style overrides; errors name the bad one.
Status applyOverride(State& s, const std::string& assignment);

}  // namespace cdns::publisher
