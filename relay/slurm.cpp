// The Slurm backend: sbatch with a wrapper the relay writes, scontrol (sacct once a job has left
// slurmctld's memory), squeue to find a job by name after a crash, scancel. Every call runs a
// Slurm command, so the relay makes them on worker threads (blocking() is true).
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>
#include <sstream>

#include "relay/backend.h"

extern char** environ;

namespace cdns::relay {
namespace {

using namespace detail;

struct CommandResult {
  int status = -1;  // exit status; -1: could not run, killed, or timed out
  std::string output;  // standard output and standard error together
};

// Runs argv (no shell) with the relay's environment, standard input from /dev/null, for at most
// `timeoutSec` seconds. posix_spawn: safe from any thread of a threaded process.
CommandResult runCommand(const std::vector<std::string>& argv, int timeoutSec) {
  CommandResult res;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    res.output = std::string("pipe: ") + std::strerror(errno);
    return res;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, dflt;
  sigemptyset(&none);
  sigemptyset(&dflt);
  sigaddset(&dflt, SIGPIPE);  // the relay ignores it; the command should not
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &dflt);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    res.output = "cannot run " + argv[0] + ": " + std::strerror(rc);
    return res;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSec);
  bool timedOut = false;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timedOut = true;
      kill(pid, SIGKILL);
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    res.output.append(buf, static_cast<size_t>(got));
  }
  ::close(fds[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  if (timedOut) {
    res.output = argv[0] + ": no answer within " + std::to_string(timeoutSec) + " s";
    return res;
  }
  res.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return res;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Slurm prints times as local "2026-11-28T07:13:04"; "Unknown", "None", "N/A" when there is none.
uint64_t parseSlurmTime(const std::string& s) {
  tm t{};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &t);
  if (!end || *end) return 0;
  t.tm_isdst = -1;
  time_t v = mktime(&t);
  return v > 0 ? static_cast<uint64_t>(v) : 0;
}

// What Slurm says about a job, from scontrol or sacct.
struct SlurmView {
  std::string state, exitCode, nodes, start, end;
};

// Applies Slurm's view to the job; returns true when something changed. States per squeue(1).
bool apply(Job& job, const SlurmView& v) {
  Job before = job;
  if (!v.nodes.empty() && v.nodes != "(null)" && v.nodes != "None assigned")
    job.where = "slurm:" + job.backendId + "@" + v.nodes;
  // ExitCode is "status:signal"; a job killed by signal N reports 128+N, as the local backend.
  int code = std::atoi(v.exitCode.c_str());
  if (auto colon = v.exitCode.find(':'); colon != std::string::npos) {
    int sig = std::atoi(v.exitCode.c_str() + colon + 1);
    if (sig) code = 128 + sig;
  }
  std::string reason;
  const std::string& s = v.state;
  JobState to;
  if (s == "PENDING" || s == "REQUEUED" || s == "SUSPENDED" || s == "REQUEUE_HOLD" || s == "REQUEUE_FED")
    to = JobState::kPending;
  else if (s == "RUNNING" || s == "CONFIGURING" || s == "COMPLETING" || s == "STAGE_OUT" || s == "RESIZING" ||
           s == "SIGNALING")
    to = JobState::kRunning;
  else if (s == "COMPLETED") to = JobState::kCompleted;
  else if (s == "CANCELLED") to = JobState::kCancelled;
  else if (s == "TIMEOUT" || s == "DEADLINE") to = JobState::kTimeout;
  else if (!s.empty()) {
    to = JobState::kFailed;
    reason = "Slurm state " + s;
  } else {
    return false;
  }
  job.state = to;
  job.exitCode = isFinal(to) ? code : -1;
  // Times from Slurm, not from when a poll happened to look: a job that starts and ends between
  // two polls still has its start. A job that never got a node has no start.
  bool placed = !v.nodes.empty() && v.nodes != "(null)" && v.nodes != "None assigned";
  if (to != JobState::kPending && placed)
    if (uint64_t t = parseSlurmTime(v.start)) job.started = t;
  if (isFinal(to)) {
    uint64_t t = parseSlurmTime(v.end);
    job.ended = t ? t : now();
  }
  if (!reason.empty()) job.reason = reason;
  return job.state != before.state || job.exitCode != before.exitCode || job.started != before.started ||
         job.ended != before.ended || job.where != before.where || job.reason != before.reason;
}

class SlurmBackend : public Backend {
 public:
  SlurmBackend(std::string dir, std::string partition)
      : dir_(std::move(dir)), partition_(std::move(partition)), since_(now()) {}
  const char* name() const override { return "slurm"; }
  bool blocking() const override { return true; }

  Status submit(Job& job) override {
    passwd pwd{}, *pw = nullptr;
    std::vector<char> pwbuf(16384);
    if (getpwnam_r(job.account.c_str(), &pwd, pwbuf.data(), pwbuf.size(), &pw) != 0 || !pw)
      return makeError("no local account \"" + job.account + "\"");
    if (auto st = prepareWorkdir(job, dir_, pw->pw_uid, pw->pw_gid); !st) return st;
    // The batch script is the relay's own: sbatch reads #SBATCH lines only from it, never from
    // the job's script or command, so nothing in a job can set options past the relay's limits.
    // The environment is exactly the one below (with --export NONE only SLURM_* variables come
    // from the relay's), and values go through the shell quoted, whatever they hold.
    std::string env = "HOME=" + std::string(pw->pw_dir) + "\nUSER=" + pw->pw_name + "\nLOGNAME=" + pw->pw_name +
                      "\nPATH=/usr/local/bin:/usr/bin:/bin\nCDNS_JOB_ID=" + job.id +
                      "\nCDNS_CPUS=" + std::to_string(job.cpus) + "\nSLURM_EXPORT_ENV=ALL";
    std::string assignments;
    std::istringstream lines(env);
    for (std::string l; std::getline(lines, l);) assignments += " " + shellQuote(l);
    for (const auto& [k, v] : job.env) assignments += " " + shellQuote(k + "=" + v);
    std::string wrapper = "#!/bin/sh\n# cdns-relay job " + job.id +
                          ": the relay's batch script (the job's own runs below it, unread by sbatch)\n"
                          "exec /usr/bin/env" + assignments + " /bin/sh -c " + shellQuote(jobShellCommand(job)) + "\n";
    std::string wrapperFile = dir_ + "/" + job.id + ".sbatch";
    if (!writeFileAtomic(wrapperFile, wrapper)) return makeError(wrapperFile + ": " + std::strerror(errno));
    std::vector<std::string> argv = {"sbatch", "--parsable", "--job-name", "cdns-" + job.id,
                                     "--chdir", job.workdir, "--output", job.workdir + "/stdout",
                                     "--error", job.workdir + "/stderr", "--cpus-per-task", std::to_string(job.cpus),
                                     "--export", "NONE"};
    if (!partition_.empty()) argv.insert(argv.end(), {"--partition", partition_});
    if (job.memory) argv.insert(argv.end(), {"--mem", std::to_string((job.memory + (1 << 20) - 1) >> 20) + "M"});
    if (job.timeLimit) argv.insert(argv.end(), {"--time", std::to_string((job.timeLimit + 59) / 60)});
    if (job.gpus) argv.insert(argv.end(), {"--gres", "gpu:" + std::to_string(job.gpus)});
    if (geteuid() == 0 && pw->pw_uid != 0)
      argv.insert(argv.end(), {"--uid", job.account, "--gid", std::to_string(pw->pw_gid)});
    argv.push_back(wrapperFile);
    auto r = runCommand(argv, kSubmitTimeout);
    if (r.status != 0) return makeError("sbatch: " + trim(r.output));
    std::string id = trim(r.output.substr(0, r.output.find_first_of(";\n")));
    if (id.empty() || id.find_first_not_of("0123456789_") != std::string::npos)
      return makeError("sbatch: unexpected answer: " + trim(r.output));
    job.backendId = id;
    job.where = "slurm:" + id;
    job.state = JobState::kPending;
    return {};
  }

  bool refresh(Job& job, std::string& problem) override {
    if (isFinal(job.state)) return false;
    bool adopted = false;
    if (job.backendId.empty()) {
      // Recorded, but the relay stopped before it recorded sbatch's answer: find the job by its
      // name. Never "scontrol show job" without an id (that lists every job).
      auto q = runCommand({"squeue", "--noheader", "--states=all", "--name=cdns-" + job.id, "--format=%i"}, kQueryTimeout);
      if (q.status != 0) {
        problem = "squeue: " + trim(q.output);
        return false;
      }
      std::string id = trim(q.output.substr(0, q.output.find('\n')));
      if (id.empty()) id = findInAccounting(job);
      if (id.empty()) {
        if (now() < since_ + kAdoptGraceSeconds) return false;
        job.state = JobState::kFailed;
        job.ended = now();
        job.reason = "lost: the relay stopped before Slurm took the job";
        return true;
      }
      job.backendId = id;
      job.where = "slurm:" + id;
      job.workdir = dir_ + "/" + job.id;
      adopted = true;
    }
    auto r = runCommand({"scontrol", "-o", "show", "job", job.backendId}, kQueryTimeout);
    if (r.status == 0) {
      auto field = [&](const std::string& key) {
        auto p = r.output.find(" " + key + "=");
        if (p == std::string::npos) return std::string();
        p += key.size() + 2;
        auto e = r.output.find_first_of(" \n", p);
        return r.output.substr(p, e == std::string::npos ? std::string::npos : e - p);
      };
      return apply(job, {field("JobState"), field("ExitCode"), field("NodeList"), field("StartTime"), field("EndTime")}) ||
             adopted;
    }
    if (r.output.find("Invalid job id") == std::string::npos) {
      // slurmctld cannot be reached (or timed out): ask again at the next poll; the job goes on.
      problem = "scontrol: " + trim(r.output);
      return adopted;
    }
    // Gone from slurmctld's memory (MinJobAge passed): accounting may still know how it ended.
    if (auto v = accounting(job.backendId)) return apply(job, *v) || adopted;
    job.state = job.cancelRequested ? JobState::kCancelled : JobState::kFailed;
    job.ended = now();
    if (!job.cancelRequested) job.reason = "no longer known to Slurm";
    return true;
  }

  Status cancel(Job& job) override {
    std::vector<std::string> argv = {"scancel"};
    if (job.backendId.empty()) argv.push_back("--name=cdns-" + job.id);  // not recorded yet
    else argv.push_back(job.backendId);
    auto r = runCommand(argv, kQueryTimeout);
    if (r.status != 0) return makeError("scancel: " + trim(r.output));
    return {};
  }

 private:
  static constexpr int kSubmitTimeout = 60, kQueryTimeout = 30;

  // sacct's view of a job (only with accounting storage); nothing when it has none.
  static std::optional<SlurmView> accounting(const std::string& id) {
    auto r = runCommand({"sacct", "--noheader", "--parsable2", "--allocations", "--jobs=" + id,
                         "--format=State,ExitCode,NodeList,Start,End"}, kQueryTimeout);
    if (r.status != 0) return std::nullopt;
    std::istringstream in(r.output);
    std::string line;
    if (!std::getline(in, line) || line.empty()) return std::nullopt;
    std::vector<std::string> f;
    std::istringstream parts(line);
    for (std::string p; std::getline(parts, p, '|');) f.push_back(p);
    if (f.size() < 5) return std::nullopt;
    return SlurmView{f[0].substr(0, f[0].find(' ')), f[1], f[2], f[3], f[4]};  // "CANCELLED by 0"
  }

  std::string findInAccounting(const Job& job) {
    char since[32];
    time_t t = static_cast<time_t>(job.submitted ? job.submitted - 60 : 0);
    tm lt{};
    localtime_r(&t, &lt);
    strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%S", &lt);
    auto r = runCommand({"sacct", "--noheader", "--parsable2", "--allocations", "--name=cdns-" + job.id,
                         std::string("--starttime=") + since, "--format=JobID"}, kQueryTimeout);
    if (r.status != 0) return "";
    return trim(r.output.substr(0, r.output.find('\n')));
  }

  std::string dir_, partition_;
  uint64_t since_;  // when this relay started
};

}  // namespace

std::unique_ptr<Backend> makeSlurmBackend(std::string jobsDir, std::string partition) {
  return std::make_unique<SlurmBackend>(std::move(jobsDir), std::move(partition));
}

}  // namespace cdns::relay
