// The schedulers behind the relay: one small interface, a local process runner (the default)
// and Slurm (sbatch/squeue/scontrol/sacct/scancel).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "relay/job.h"

namespace cdns::relay {

/// Seconds after the relay starts during which a job recorded without a backend id (the relay
/// stopped between recording it and recording the scheduler's answer) is looked for before it
/// is given up as lost: a submission the old relay had started may still be on its way.
constexpr uint64_t kAdoptGraceSeconds = 10;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  /// True when submit, refresh and cancel run scheduler commands that may take seconds. The relay
  /// then calls them on worker threads, each on its own copy of a job, and never on its loop;
  /// such a backend must be safe to call from several threads at once. When false, every call is
  /// made on the loop thread and returns at once.
  virtual bool blocking() const { return false; }
  /// Starts (or queues) the job; sets backendId, workdir, where and the state.
  virtual Status submit(Job& job) = 0;
  /// Brings state, exit code and times up to date from the scheduler (also after a restart; also
  /// finds a job recorded without a backend id). Returns true when something changed. When the
  /// scheduler cannot be asked, leaves the job alone and sets `problem`: the job is not ended
  /// for that.
  virtual bool refresh(Job& job, std::string& problem) = 0;
  /// Cancels the job (the whole process group / the Slurm job).
  virtual Status cancel(Job& job) = 0;
  /// Loop thread, at every poll: housekeeping (reaping children, escalating cancels).
  virtual void tick() {}
  /// Loop thread, when the relay stops.
  virtual void shutdown() {}
  /// Where the job's "stdout" or "stderr" goes.
  virtual std::string outputPath(const Job& job, const std::string& stream) const {
    return job.workdir + "/" + stream;
  }
};

/// `jobsDir` (absolute) holds one working directory per job, and the backend's own files for
/// each job next to it (`<id>.exit`, `<id>.pid`, `<id>.sbatch`).
std::unique_ptr<Backend> makeLocalBackend(std::string jobsDir);
std::unique_ptr<Backend> makeSlurmBackend(std::string jobsDir, std::string partition);

/// Shared by the backends.
namespace detail {
uint64_t now();
std::string readFile(const std::string& path);
std::string shellQuote(const std::string& s);
/// The command line a job runs under /bin/sh -c: its words quoted, or its script.
std::string jobShellCommand(const Job& job);
/// Creates the working directory with the job's files, owned by the account it runs as.
Status prepareWorkdir(Job& job, const std::string& jobsDir, uid_t uid, gid_t gid);
/// Writes `content` to `path` through `path.tmp`, fsynced, renamed over; mode 0600.
bool writeFileAtomic(const std::string& path, const std::string& content);
}  // namespace detail

}  // namespace cdns::relay
