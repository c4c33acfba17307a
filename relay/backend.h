// The schedulers behind the relay: one small interface, a local process runner (the default)
// and Slurm (sbatch/squeue/scontrol/scancel).
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "relay/job.h"

namespace cdns::relay {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  /// Starts (or queues) the job; sets backendId, workdir, where and the state.
  virtual Status submit(Job& job) = 0;
  /// Brings state, exit code and times up to date from the scheduler (also after a restart).
  /// Returns true when something changed.
  virtual bool refresh(Job& job) = 0;
  /// Cancels the job (the whole process group / the Slurm job).
  virtual Status cancel(Job& job) = 0;
  /// Where the job's "stdout" or "stderr" goes.
  virtual std::string outputPath(const Job& job, const std::string& stream) const {
    return job.workdir + "/" + stream;
  }
};

/// `jobsDir` holds one working directory per job.
std::unique_ptr<Backend> makeLocalBackend(std::string jobsDir);
std::unique_ptr<Backend> makeSlurmBackend(std::string jobsDir, std::string partition);

}  // namespace cdns::relay
