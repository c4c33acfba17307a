// An immutable, indexed authoritative zone: the snapshot the query path reads without locks.
// Versions share unchanged nodes: an update makes a new version holding only the changed nodes
// in a small overlay on a shared base, merged into a new base when the overlay grows.
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
  uint16_t cutLen = 0;         // wire length of the nearest delegation at or above (0: none)
  uint32_t children = 0;       // direct child nodes (including empty non-terminals)

  const RRset* find(uint16_t type) const {
    for (const auto& s : rrsets)
      if (s.type == type) return &s;
    return nullptr;
  }
  bool hasCut() const { return cutLen != 0; }
  bool isDelegation() const { return cutLen != 0 && cutLen == name.size(); }
};

/// One resource record, as the update path and the journal see it.
struct Record {
  std::string owner;  // lower-case uncompressed wire form
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string rdata;
  bool operator==(const Record& o) const { return owner == o.owner && type == o.type && rdata == o.rdata; }
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

using NodePtr = std::shared_ptr<const Node>;
using NodeMap = std::unordered_map<std::string, NodePtr, StringHash, std::equal_to<>>;

/// A zone version. Built once, then read concurrently by every worker; never modified in place.
class Zone {
 public:
  /// Builds and checks a zone from parsed records (RFC 1034 §3.6.2 CNAME rules, one SOA at the
  /// apex, NS at the apex, every owner inside the zone, one class IN). `source` names the file in
  /// errors. Duplicate records are dropped (RFC 2181 §5); an RRset takes its first record's TTL.
  static Result<std::shared_ptr<const Zone>> build(std::string_view originText, const std::vector<RrPtr>& records,
                                                   const std::string& source);

  /// One parsed record as the zone keeps it (class IN checked by the caller).
  static Record recordOf(const ldns_rr* rr);
  /// The same from records (journal replay, tests).
  static Result<std::shared_ptr<const Zone>> fromRecords(std::string_view originText, const std::vector<Record>& records,
                                                         const std::string& source);

  const std::string& origin() const { return origin_; }  // lower-case wire
  const std::string& originText() const { return originText_; }
  const Node* find(std::string_view lowerName) const {
    if (!delta_.empty()) {
      auto d = delta_.find(lowerName);
      if (d != delta_.end()) return d->second.get();  // nullptr: deleted in this version
    }
    auto it = base_->find(lowerName);
    return it == base_->end() ? nullptr : it->second.get();
  }
  /// The delegation node at or above `n`, or nullptr.
  const Node* cutOf(const Node& n) const {
    return n.cutLen ? find(std::string_view(n.name).substr(n.name.size() - n.cutLen)) : nullptr;
  }
  const Node& apex() const { return *apex_; }
  const RRset& soa() const { return *apex_->find(6); }
  uint32_t serial() const;
  size_t recordCount() const { return records_; }
  size_t nodeCount() const;

  /// Removes then adds records, giving the next version; unchanged nodes are shared. Removing an
  /// absent record does nothing; adding a present one sets its RRset's TTL. The caller checks
  /// the update rules (RFC 2136 §3.4.2) first; this keeps the index (empty non-terminals,
  /// delegation cuts) right.
  std::shared_ptr<const Zone> apply(const std::vector<Record>& removed, const std::vector<Record>& added) const;

  /// Iteration over every node (for transfers and write-back), resumable.
  struct Cursor {
    bool started = false;
    bool inDelta = false;
    NodeMap::const_iterator it;
  };
  const Node* next(Cursor& c) const;
  /// Every record, SOA first (for writing the zone back to its file).
  std::vector<Record> records() const;

 private:
  void compact();
  void recomputeCuts();

  std::string origin_, originText_;
  std::shared_ptr<const NodeMap> base_ = std::make_shared<NodeMap>();
  NodeMap delta_;  // nodes changed since base_ (nullptr = deleted)
  NodePtr apex_;
  size_t records_ = 0;
};

/// The zones served at one moment; swapped whole on reload or update.
class ZoneSet {
 public:
  void add(std::shared_ptr<const Zone> z) { zones_[z->origin()] = std::move(z); }
  void remove(std::string_view lowerOrigin) {
    auto it = zones_.find(lowerOrigin);
    if (it != zones_.end()) zones_.erase(it);
  }
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
