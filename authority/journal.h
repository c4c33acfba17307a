// The update journal of one zone: every accepted change is appended and fsynced before it is
// acknowledged; on start the journal is replayed over the zone file; its history serves IXFR
// (RFC 1995). Records are length-prefixed and CRC-checked, so a crash mid-write leaves at most
// one torn record at the end, which is discarded (it was never acknowledged).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "authority/zone.h"
#include "common/result.h"

namespace cdns::authority {

/// A lease granted to a record (RFC 9664); expiry 0 clears a lease.
struct LeaseEntry {
  Record record;
  uint64_t expiry = 0;
};

/// One change of the zone from serial `from` to `to` (IXFR's unit).
struct Changeset {
  uint32_t from = 0, to = 0;
  uint64_t time = 0;
  std::vector<Record> removed;  // old SOA first
  std::vector<Record> added;    // new SOA first
  std::vector<LeaseEntry> leases;
  size_t bytes() const;
};

class Journal {
 public:
  /// Opens (creating) the journal file. `maxHistory` bounds the changesets kept for IXFR.
  static Result<std::unique_ptr<Journal>> open(const std::string& path, size_t maxHistoryBytes = 16 << 20);
  ~Journal();

  /// Every intact changeset in the file, in order. A torn tail is cut off the file.
  Result<std::vector<Changeset>> readAll();
  /// Appends changesets and fsyncs once (group commit). On error nothing may be acknowledged.
  Status append(const std::vector<Changeset>& changes);
  /// Rewrites the file holding only `keep` (after the zone was written back), atomically.
  Status rewrite(const std::vector<Changeset>& keep);
  size_t fileBytes() const { return size_; }
  const std::string& path() const { return path_; }

  /// The chain of changesets leading from `fromSerial` to the newest, or none when the history
  /// does not reach back that far.
  std::vector<std::shared_ptr<const Changeset>> chainFrom(uint32_t fromSerial, uint32_t toSerial) const;
  /// Keeps the history (in memory) for IXFR, dropping the oldest past the byte limit.
  void remember(const Changeset& c);
  std::vector<Changeset> historyCopy() const;

 private:
  Journal(std::string path, int fd, size_t maxHistoryBytes) : path_(std::move(path)), fd_(fd), maxHistory_(maxHistoryBytes) {}
  std::string path_;
  int fd_;
  int lockFd_ = -1;
  size_t size_ = 0;
  size_t maxHistory_;
  std::deque<std::shared_ptr<const Changeset>> history_;
  size_t historyBytes_ = 0;
};

/// Encodes and decodes one changeset (exposed for tests and the fuzz target).
std::vector<uint8_t> encodeChangeset(const Changeset& c);
Result<Changeset> decodeChangeset(const uint8_t* data, size_t len);
uint32_t crc32(const uint8_t* data, size_t len);

}  // namespace cdns::authority
