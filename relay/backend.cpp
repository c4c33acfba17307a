// Backends: a local process runner and Slurm.
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
#include <sstream>

#include "common/log.h"

namespace cdns::relay {
namespace {

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

// The working directory with the job's files, owned by the account it runs as.
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
    for (const auto& e : std::filesystem::recursive_directory_iterator(job.workdir)) (void)chown(e.path().c_str(), uid, gid);
    (void)chown(job.workdir.c_str(), uid, gid);
  }
  return {};
}

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
  explicit LocalBackend(std::string dir) : dir_(std::move(dir)) {}
  const char* name() const override { return "local"; }

  Status submit(Job& job) override {
    auto pw = lookupUser(job.account);
    if (!pw) return pw.error();
    if (geteuid() != 0 && pw->pw_uid != geteuid())
      return makeError("the relay does not run as root: it can run jobs only as " + std::string(getpwuid(geteuid())->pw_name));
    if (auto st = prepareWorkdir(job, dir_, pw->pw_uid, pw->pw_gid); !st) return st;
    std::string cmd = job.script.empty() ? "" : "/bin/sh ./job.sh";
    for (const auto& a : job.command) cmd += (cmd.empty() ? "" : " ") + shellQuote(a);
    // A waiter process, which keeps the relay's identity, leads the job's process group: it
    // starts the job as the mapped account, waits for it, and records the status in a file the
    // job cannot write (the relay's own directory), so the state survives a relay restart and a
    // job cannot forge its own end.
    std::string statusFile = dir_ + "/" + job.id + ".exit";
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
      pid_t child = fork();
      if (child == 0) {
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
        if (geteuid() == 0 && pw->pw_uid != 0) {
          if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) _exit(126);
        }
        std::vector<std::string> env = {"HOME=" + std::string(pw->pw_dir), "USER=" + std::string(pw->pw_name),
                                        "LOGNAME=" + std::string(pw->pw_name), "PATH=/usr/local/bin:/usr/bin:/bin",
                                        "CDNS_JOB_ID=" + job.id, "CDNS_CPUS=" + std::to_string(job.cpus)};
        for (const auto& [k, v] : job.env) env.push_back(k + "=" + v);
        std::vector<char*> envp;
        for (auto& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
        const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
        execve("/bin/sh", const_cast<char**>(argv), envp.data());
        _exit(127);
      }
      int st = 0;
      while (waitpid(child, &st, 0) < 0 && errno == EINTR) {}
      int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
      std::string tmp = statusFile + ".tmp";
      if (FILE* f = fopen(tmp.c_str(), "w")) {
        fprintf(f, "%d\n", code);
        fflush(f);
        fsync(fileno(f));
        fclose(f);
        rename(tmp.c_str(), statusFile.c_str());
      }
      _exit(0);
    }
    job.backendId = std::to_string(pid);
    job.state = JobState::kRunning;
    job.started = now();
    job.where = "local";
    std::ofstream(job.workdir + "/pid") << pid << " " << startTime(pid) << "\n";
    return {};
  }

  bool refresh(Job& job) override {
    if (isFinal(job.state)) return false;
    pid_t pid = static_cast<pid_t>(std::atol(job.backendId.c_str()));
    int st;
    if (pid > 0) waitpid(pid, &st, WNOHANG);  // reap our own children (none after a restart)
    if (job.timeLimit && job.started && now() > job.started + job.timeLimit && alive(job, pid)) {
      kill(-pid, SIGKILL);
      return finish(job, JobState::kTimeout, -1, "time limit reached");
    }
    std::string exitText = readFile(dir_ + "/" + job.id + ".exit");
    if (!exitText.empty()) {
      int code = std::atoi(exitText.c_str());
      return finish(job, job.cancelRequested ? JobState::kCancelled : code == 0 ? JobState::kCompleted : JobState::kFailed,
                    code, "");
    }
    if (alive(job, pid)) return false;
    // Gone without a status: killed (by cancel, by a limit, or with the machine).
    return finish(job, job.cancelRequested ? JobState::kCancelled : JobState::kFailed, -1,
                  job.cancelRequested ? "" : "ended without an exit status (killed)");
  }

  Status cancel(Job& job) override {
    pid_t pid = static_cast<pid_t>(std::atol(job.backendId.c_str()));
    if (pid > 0 && alive(job, pid)) {
      kill(-pid, SIGTERM);
      for (int i = 0; i < 20 && alive(job, pid); ++i) {
        int st;
        waitpid(pid, &st, WNOHANG);
        usleep(50000);
      }
      if (alive(job, pid)) kill(-pid, SIGKILL);
    }
    return {};
  }

 private:
  static std::string startTime(pid_t pid) {
    std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) return "0";
    std::istringstream in(stat.substr(close + 2));
    std::string field;
    for (int i = 0; i < 20 && in >> field; ++i) {}  // field 22: starttime
    return field;
  }
  // The job's wrapper is still the same process (pid reuse is checked by start time).
  bool alive(const Job& job, pid_t pid) {
    if (pid <= 0 || kill(pid, 0) != 0) return false;
    std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    if (close != std::string::npos && stat.size() > close + 2 && stat[close + 2] == 'Z') return false;
    std::istringstream saved(readFile(job.workdir + "/pid"));
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
};

// ---------------------------------------------------------------------------------------------
// Slurm.

Result<std::string> run(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return makeError("cannot run " + cmd);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

class SlurmBackend : public Backend {
 public:
  SlurmBackend(std::string dir, std::string partition) : dir_(std::move(dir)), partition_(std::move(partition)) {}
  const char* name() const override { return "slurm"; }

  Status submit(Job& job) override {
    auto pw = lookupUser(job.account);
    if (!pw) return pw.error();
    if (auto st = prepareWorkdir(job, dir_, pw->pw_uid, pw->pw_gid); !st) return st;
    std::string cmd = "sbatch --parsable --job-name " + shellQuote(job.name.empty() ? "cdns-" + job.id : job.name) +
                      " --chdir " + shellQuote(job.workdir) + " --output " + shellQuote(job.workdir + "/stdout") +
                      " --error " + shellQuote(job.workdir + "/stderr") + " --cpus-per-task " + std::to_string(job.cpus);
    if (!partition_.empty()) cmd += " --partition " + shellQuote(partition_);
    if (job.memory) cmd += " --mem " + std::to_string((job.memory + (1 << 20) - 1) >> 20) + "M";
    if (job.timeLimit) cmd += " --time " + std::to_string((job.timeLimit + 59) / 60);
    if (job.gpus) cmd += " --gres gpu:" + std::to_string(job.gpus);
    if (geteuid() == 0 && pw->pw_uid != 0)
      cmd += " --uid " + shellQuote(job.account) + " --gid " + std::to_string(pw->pw_gid);
    std::string exports = "ALL,CDNS_JOB_ID=" + job.id;
    for (const auto& [k, v] : job.env) exports += "," + k + "=" + v;
    cmd += " --export " + shellQuote(exports);
    if (!job.script.empty()) {
      cmd += " " + shellQuote(job.workdir + "/job.sh");
    } else {
      std::string wrap;
      for (const auto& a : job.command) wrap += (wrap.empty() ? "" : " ") + shellQuote(a);
      cmd += " --wrap " + shellQuote(wrap);
    }
    int st = 0;
    auto out = run(cmd, &st);
    if (!out || st != 0) return makeError("sbatch: " + (out ? *out : out.error().message));
    std::string id = out->substr(0, out->find_first_of(";\n"));
    job.backendId = id;
    job.where = "slurm:" + id;
    job.state = JobState::kPending;
    return {};
  }

  bool refresh(Job& job) override {
    if (isFinal(job.state)) return false;
    int st = 0;
    auto out = run("scontrol -o show job " + job.backendId, &st);
    if (!out) return false;
    if (st != 0) {
      // Gone from slurmctld's memory (MinJobAge passed): what we knew is all there is.
      if (job.cancelRequested) return set(job, JobState::kCancelled, -1);
      return set(job, JobState::kFailed, -1, "no longer known to Slurm");
    }
    auto field = [&](const std::string& key) {
      auto p = out->find(" " + key + "=");
      if (p == std::string::npos) return std::string();
      auto e = out->find(' ', p + key.size() + 2);
      return out->substr(p + key.size() + 2, e == std::string::npos ? std::string::npos : e - p - key.size() - 2);
    };
    std::string state = field("JobState");
    int code = std::atoi(field("ExitCode").c_str());  // "N:signal"
    std::string node = field("NodeList");
    if (!node.empty() && node != "(null)") job.where = "slurm:" + job.backendId + "@" + node;
    // Slurm states (squeue(1)) mapped onto the relay's.
    if (state == "PENDING" || state == "REQUEUED" || state == "SUSPENDED") return set(job, JobState::kPending, -1);
    if (state == "RUNNING" || state == "CONFIGURING" || state == "COMPLETING") return set(job, JobState::kRunning, -1);
    if (state == "COMPLETED") return set(job, JobState::kCompleted, code);
    if (state == "CANCELLED") return set(job, JobState::kCancelled, code);
    if (state == "TIMEOUT" || state == "DEADLINE") return set(job, JobState::kTimeout, code);
    if (!state.empty()) return set(job, JobState::kFailed, code, "Slurm state " + state);
    return false;
  }

  Status cancel(Job& job) override {
    int st = 0;
    auto out = run("scancel " + job.backendId, &st);
    if (!out || st != 0) return makeError("scancel: " + (out ? *out : out.error().message));
    return {};
  }

 private:
  static bool set(Job& job, JobState s, int code, const std::string& reason = "") {
    if (job.state == s && job.exitCode == code) return false;
    if (s == JobState::kRunning && !job.started) job.started = now();
    job.state = s;
    job.exitCode = code;
    if (isFinal(s)) job.ended = now();
    if (!reason.empty()) job.reason = reason;
    return true;
  }
  std::string dir_, partition_;
};

}  // namespace

std::unique_ptr<Backend> makeLocalBackend(std::string jobsDir) { return std::make_unique<LocalBackend>(std::move(jobsDir)); }
std::unique_ptr<Backend> makeSlurmBackend(std::string jobsDir, std::string partition) {
  return std::make_unique<SlurmBackend>(std::move(jobsDir), std::move(partition));
}

}  // namespace cdns::relay
