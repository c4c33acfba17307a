// An immutable, indexed authoritative zone: the snapshot the query path reads without locks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/ldns_handles.h"
#include "common/result.h"

namespace cdns::authority {

/// Records of one owner and type. Rdata is uncompressed wire form.
struct RRset {
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<std::string> rdata;
};

/// One owner name. Empty non-terminals exist as nodes without RRsets (RFC 4592 §2.2.2).
struct Node {
  std::string name;            // lower-case uncompressed wire form, absolute
  std::vector<RRset> rrsets;   // sorted by type
  const Node* cut = nullptr;   // nearest delegation at or above this node (never the apex)

  const RRset* find(uint16_t type) const {
    for (const auto& s : rrsets)
      if (s.type == type) return &s;
    return nullptr;
  }
  bool isDelegation() const { return cut == this; }
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

/// A zone. Built once, then read concurrently by every worker; never modified in place.
class Zone {
 public:
  /// Builds and checks a zone from parsed records (RFC 1034 §3.6.2 CNAME rules, one SOA at the
  /// apex, NS at the apex, every owner inside the zone, one class IN). `source` names the file in
  /// errors. Duplicate records are dropped (RFC 2181 §5); an RRset takes its first record's TTL.
  static Result<std::shared_ptr<const Zone>> build(std::string_view originText, const std::vector<RrPtr>& records,
                                                   const std::string& source);

  const std::string& origin() const { return origin_; }  // lower-case wire
  const std::string& originText() const { return originText_; }
  const Node* find(std::string_view lowerName) const {
    auto it = nodes_.find(lowerName);
    return it == nodes_.end() ? nullptr : &it->second;
  }
  const Node& apex() const { return *apex_; }
  const RRset& soa() const { return *soa_; }
  uint32_t serial() const;
  size_t recordCount() const { return records_; }
  const std::unordered_map<std::string, Node, StringHash, std::equal_to<>>& nodes() const { return nodes_; }

 private:
  std::string origin_, originText_;
  std::unordered_map<std::string, Node, StringHash, std::equal_to<>> nodes_;
  const Node* apex_ = nullptr;
  const RRset* soa_ = nullptr;
  size_t records_ = 0;
};

/// The zones served at one moment; swapped whole on reload or update.
class ZoneSet {
 public:
  void add(std::shared_ptr<const Zone> z) { zones_[z->origin()] = std::move(z); }
  /// The zone with the longest origin that `lowerName` is at or below; nullptr when none.
  const Zone* findFor(std::string_view lowerName) const;
  const Zone* exact(std::string_view lowerOrigin) const {
    auto it = zones_.find(lowerOrigin);
    return it == zones_.end() ? nullptr : it->second.get();
  }
  std::shared_ptr<const Zone> share(std::string_view lowerOrigin) const {
    auto it = zones_.find(lowerOrigin);
    return it == zones_.end() ? nullptr : it->second;
  }
  const std::unordered_map<std::string, std::shared_ptr<const Zone>, StringHash, std::equal_to<>>& all() const {
    return zones_;
  }

 private:
  std::unordered_map<std::string, std::shared_ptr<const Zone>, StringHash, std::equal_to<>> zones_;
};

}  // namespace cdns::authority
