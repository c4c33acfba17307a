// Jobs, their states, and the job table that survives restarts (append-only, fsynced).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace cdns::relay {

enum class JobState { kPending, kRunning, kCompleted, kFailed, kCancelled, kTimeout };
const char* stateName(JobState s);
bool parseState(const std::string& s, JobState& out);
inline bool isFinal(JobState s) { return s != JobState::kPending && s != JobState::kRunning; }

struct Job {
  std::string id;
  std::string user;     // network user (from the token)
  std::string account;  // local account it runs as
  std::string name;
  std::vector<std::string> command;  // argv, or empty with `script`
  std::string script;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> files;  // working files: name -> content
  uint32_t cpus = 1, gpus = 0;
  uint64_t memory = 0;      // bytes; 0: the backend's default
  uint32_t timeLimit = 0;   // seconds; 0: the center's limit
  JobState state = JobState::kPending;
  int exitCode = -1;
  uint64_t submitted = 0, started = 0, ended = 0;
  bool cancelRequested = false;
  std::string backend, backendId, workdir, where, reason;

  nlohmann::json toJson(bool full = false) const;
  static Result<Job> fromJson(const nlohmann::json& j);
};

/// The job table: every change is one JSON line, appended and fsynced before the API answers.
/// Replay keeps the last line of each job; a torn last line is ignored. One thread only (the
/// relay's loop).
class JobStore {
 public:
  /// Replays the table and compacts it (one line per job).
  static Result<std::unique_ptr<JobStore>> open(const std::string& path);
  ~JobStore();
  Status put(const Job& job);
  Job* find(const std::string& id);
  std::map<std::string, Job>& all() { return jobs_; }
  /// Rewrites the table with one line per job that `keep` accepts, atomically (a temporary file,
  /// fsynced, renamed over, the directory fsynced), and appends from there on. On failure the
  /// table and the jobs stay as they were. Returns the ids of the jobs dropped.
  Result<std::vector<std::string>> compact(const std::function<bool(const Job&)>& keep);
  /// Lines appended since the table was last compacted.
  size_t linesSinceCompaction() const { return appended_; }

 private:
  std::string path_;
  int fd_ = -1;
  size_t appended_ = 0;
  std::map<std::string, Job> jobs_;
};

}  // namespace cdns::relay
