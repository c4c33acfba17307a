// Backends: the shared helpers and the local process runner (Slurm is in slurm.cpp).
#include "relay/backend.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace cdns::relay {
namespace detail {

uint64_t now() { return static_cast<uint64_t>(time(nullptr)); }

std::string readFile(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string jobShellCommand(const Job& job) {
  if (!job.script.empty()) return "/bin/sh ./job.sh";
  std::string cmd;
  for (const auto& a : job.command) cmd += (cmd.empty() ? "" : " ") + shellQuote(a);
  return cmd;
}

Status prepareWorkdir(Job& job, const std::string& jobsDir, uid_t uid, gid_t gid) {
  job.workdir = jobsDir + "/" + job.id;
  std::error_code ec;
  std::filesystem::create_directories(job.workdir, ec);
  if (ec) return makeError(job.workdir + ": " + ec.message());
  for (const auto& [name, content] : job.files) {
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
      return makeError("files: bad file name \"" + name + "\"");
    std::ofstream f(job.workdir + "/" + name);
    f << content;
  }
  if (!job.script.empty()) {
    std::ofstream f(job.workdir + "/job.sh");
    f << job.script;
  }
  if (geteuid() == 0) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(job.workdir))
      (void)chown(e.path().c_str(), uid, gid);
    (void)chown(job.workdir.c_str(), uid, gid);
  }
  return {};
}

bool writeFileAtomic(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && fsync(fd) == 0;
  ::close(fd);
  return ok && std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace detail

namespace {

using namespace detail;

Result<passwd> lookupUser(const std::string& account) {
  passwd* pw = getpwnam(account.c_str());
  if (!pw) return makeError("no local account \"" + account + "\"");
  return *pw;
}

// ---------------------------------------------------------------------------------------------
// Local: each job a process group of its own, run as the mapped account, with limits; a waiter
// records the exit status where the job cannot write, so the state survives a relay restart.

class LocalBackend : public Backend {
 public:
  explicit LocalBackend(std::string dir) : dir_(std::move(dir)), since_(now()) {}
  const char* name() const override { return "local"; }

  Status submit(Job& job) override {
    auto pw = lookupUser(job.account);
    if (!pw) return pw.error();
    if (geteuid() != 0 && pw->pw_uid != geteuid())
      return makeError("the relay does not run as root: it can run jobs only as " +
                       std::string(getpwuid(geteuid())->pw_name));
    if (auto st = prepareWorkdir(job, dir_, pw->pw_uid, pw->pw_gid); !st) return st;
    std::string cmd = jobShellCommand(job);
    // A waiter process, which keeps the relay's identity, leads the job's process group: it
    // records its pid, starts the job as the mapped account, waits for it, and records the status,
    // both in the relay's own directory where the job cannot write, so the state survives a relay
    // restart (even one between this fork and the relay recording the pid) and a job cannot forge
    // its own end.
    std::string statusFile = dir_ + "/" + job.id + ".exit";
    std::string pidFile = dir_ + "/" + job.id + ".pid";
    pid_t pid = fork();
    if (pid < 0) return makeError(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      // The relay's signal handlers (libuv's) would tell the relay about signals meant for the
      // job: back to the defaults, before anything can be delivered here.
      for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD}) signal(sig, SIG_DFL);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      // Nor should it hold the relay's sockets and files (a restarted relay must be able to bind).
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
      setsid();  // its own process group: cancel kills all of it, waiter included
      writeFileAtomic(pidFile, std::to_string(getpid()) + " " + startTime(getpid()) + "\n");
      pid_t child = fork();
      if (child == 0) runJob(job, *pw, cmd);
      int st = 0;
      while (waitpid(child, &st, 0) < 0 && errno == EINTR) {}
      int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
      writeFileAtomic(statusFile, std::to_string(code) + "\n");
      _exit(0);
    }
    children_.insert(pid);
    job.backendId = std::to_string(pid);
    job.state = JobState::kRunning;
    job.started = now();
    job.where = "local";
    return {};
  }

  bool refresh(Job& job, std::string&) override {
    if (isFinal(job.state)) return false;
    if (job.workdir.empty()) job.workdir = dir_ + "/" + job.id;
    bool changed = false;
    pid_t pid = static_cast<pid_t>(std::atol(job.backendId.c_str()));
    if (pid <= 0) {
      // Recorded, but the relay stopped before it recorded the pid: the waiter has written it.
      std::istringstream saved(readFile(dir_ + "/" + job.id + ".pid"));
      long p = 0;
      if (saved >> p && p > 0) {
        pid = static_cast<pid_t>(p);
        job.backendId = std::to_string(p);
        job.where = "local";
        job.state = JobState::kRunning;
        if (!job.started) job.started = job.submitted;
        changed = true;
      } else if (readFile(dir_ + "/" + job.id + ".exit").empty()) {
        if (now() < since_ + kAdoptGraceSeconds) return false;
        return finish(job, JobState::kFailed, -1, "lost: the relay stopped before it started the job");
      }
    }
    if (job.timeLimit && job.started && now() > job.started + job.timeLimit && alive(job, pid)) {
      kill(-pid, SIGKILL);  // the waiter goes too; tick() reaps it
      return finish(job, JobState::kTimeout, -1, "time limit reached");
    }
    std::string exitText = readFile(dir_ + "/" + job.id + ".exit");
    if (!exitText.empty()) {
      int code = std::atoi(exitText.c_str());
      return finish(job, job.cancelRequested ? JobState::kCancelled : code == 0 ? JobState::kCompleted : JobState::kFailed,
                    code, "");
    }
    if (alive(job, pid)) return changed;
    // Gone without a status: killed (by a limit, by hand, or with the machine).
    return finish(job, job.cancelRequested ? JobState::kCancelled : JobState::kFailed, -1,
                  job.cancelRequested ? "" : "ended without an exit status (killed)");
  }

  Status cancel(Job& job) override {
    pid_t pid = static_cast<pid_t>(std::atol(job.backendId.c_str()));
    if (pid > 0 && alive(job, pid)) {
      // SIGTERM now; tick() sends SIGKILL to what is left of the group a second later. Nothing
      // here waits: the relay's loop keeps answering.
      kill(-pid, SIGTERM);
      escalate_[pid] = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
    finish(job, JobState::kCancelled, -1, "");
    return {};
  }

  void tick() override {
    // Reap our waiters, however their jobs ended (a waiter killed with its group at a time limit
    // or a cancel would otherwise stay a zombie). Waiters of an earlier relay are not our children.
    for (auto it = children_.begin(); it != children_.end();) {
      int st;
      pid_t r = waitpid(*it, &st, WNOHANG);
      it = r == 0 ? std::next(it) : children_.erase(it);
    }
    auto t = std::chrono::steady_clock::now();
    for (auto it = escalate_.begin(); it != escalate_.end();) {
      if (it->second > t) {
        ++it;
        continue;
      }
      // The group outlived SIGTERM by a second. Linux gives no process a pid that is still a
      // live group's id, so this group is the job's.
      kill(-it->first, SIGKILL);
      it = escalate_.erase(it);
    }
  }

  void shutdown() override {
    for (const auto& [pid, when] : escalate_) kill(-pid, SIGKILL);  // no one will be left to do it
    escalate_.clear();
    tick();
  }

 private:
  // In the job's process: working directory, output, limits, account, environment; never returns.
  [[noreturn]] static void runJob(const Job& job, const passwd& pw, const std::string& cmd) {
    if (chdir(job.workdir.c_str()) != 0) _exit(126);
    int out = ::open("stdout", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open("stderr", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (job.timeLimit) {
      rlim_t cpu = static_cast<rlim_t>(job.timeLimit) * (job.cpus ? job.cpus : 1);
      rlimit r{cpu, cpu + 5};
      setrlimit(RLIMIT_CPU, &r);
    }
    if (job.memory) {
      rlimit as{job.memory, job.memory};
      setrlimit(RLIMIT_AS, &as);
    }
    if (geteuid() == 0 && pw.pw_uid != 0) {
      if (initgroups(pw.pw_name, pw.pw_gid) != 0 || setgid(pw.pw_gid) != 0 || setuid(pw.pw_uid) != 0) _exit(126);
    }
    std::vector<std::string> env = {"HOME=" + std::string(pw.pw_dir), "USER=" + std::string(pw.pw_name),
                                    "LOGNAME=" + std::string(pw.pw_name), "PATH=/usr/local/bin:/usr/bin:/bin",
                                    "CDNS_JOB_ID=" + job.id, "CDNS_CPUS=" + std::to_string(job.cpus)};
    for (const auto& [k, v] : job.env) env.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
    execve("/bin/sh", const_cast<char**>(argv), envp.data());
    _exit(127);
  }

  static std::string startTime(pid_t pid) {
    std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) return "0";
    std::istringstream in(stat.substr(close + 2));
    std::string field;
    for (int i = 0; i < 20 && in >> field; ++i) {}  // field 22: starttime
    return field;
  }
  // The job's waiter is still the same process (pid reuse is checked by start time).
  bool alive(const Job& job, pid_t pid) {
    if (pid <= 0 || kill(pid, 0) != 0) return false;
    std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    if (close != std::string::npos && stat.size() > close + 2 && stat[close + 2] == 'Z') return false;
    std::istringstream saved(readFile(dir_ + "/" + job.id + ".pid"));
    std::string savedPid, savedStart;
    saved >> savedPid >> savedStart;
    return savedStart.empty() || savedStart == startTime(pid);
  }
  static bool finish(Job& job, JobState s, int code, const std::string& reason) {
    job.state = s;
    job.exitCode = code;
    job.ended = now();
    if (!reason.empty()) job.reason = reason;
    return true;
  }

  std::string dir_;
  uint64_t since_;        // when this relay started
  std::set<pid_t> children_;  // waiters forked by this process, not reaped yet
  std::map<pid_t, std::chrono::steady_clock::time_point> escalate_;  // cancelled groups: SIGKILL at
};

}  // namespace

std::unique_ptr<Backend> makeLocalBackend(std::string jobsDir) {
  return std::make_unique<LocalBackend>(std::move(jobsDir));
}

}  // namespace cdns::relay
