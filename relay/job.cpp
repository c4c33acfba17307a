// Jobs and the write-ahead job table.
#include "relay/job.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/log.h"

namespace cdns::relay {

static const char* kStates[] = {"pending", "running", "completed", "failed", "cancelled", "timeout"};

const char* stateName(JobState s) { return kStates[static_cast<int>(s)]; }

bool parseState(const std::string& s, JobState& out) {
  for (int i = 0; i < 6; ++i)
    if (s == kStates[i]) {
      out = static_cast<JobState>(i);
      return true;
    }
  return false;
}

nlohmann::json Job::toJson(bool full) const {
  nlohmann::json j{{"id", id},           {"name", name},           {"user", user},         {"state", stateName(state)},
                   {"submitted", submitted}, {"started", started}, {"ended", ended},       {"exit_code", exitCode},
                   {"backend", backend}, {"where", where},
                   {"resources", {{"cpus", cpus}, {"gpus", gpus}, {"memory", memory}, {"time_limit", timeLimit}}}};
  if (!reason.empty()) j["reason"] = reason;
  if (full) {
    j["account"] = account;
    j["command"] = command;
    j["script"] = script;
    j["env"] = env;
    j["files"] = files;
    j["cancel_requested"] = cancelRequested;
    j["backend_id"] = backendId;
    j["workdir"] = workdir;
  }
  return j;
}

Result<Job> Job::fromJson(const nlohmann::json& j) {
  try {
    Job job;
    job.id = j.at("id").get<std::string>();
    job.name = j.value("name", "");
    job.user = j.at("user").get<std::string>();
    job.account = j.value("account", "");
    if (!parseState(j.at("state").get<std::string>(), job.state)) return makeError("bad state");
    job.submitted = j.value("submitted", 0ULL);
    job.started = j.value("started", 0ULL);
    job.ended = j.value("ended", 0ULL);
    job.exitCode = j.value("exit_code", -1);
    job.backend = j.value("backend", "");
    job.where = j.value("where", "");
    job.reason = j.value("reason", "");
    const auto& r = j.at("resources");
    job.cpus = r.value("cpus", 1u);
    job.gpus = r.value("gpus", 0u);
    job.memory = r.value("memory", 0ULL);
    job.timeLimit = r.value("time_limit", 0u);
    job.command = j.value("command", std::vector<std::string>{});
    job.script = j.value("script", "");
    job.env = j.value("env", std::map<std::string, std::string>{});
    job.files = j.value("files", std::map<std::string, std::string>{});
    job.cancelRequested = j.value("cancel_requested", false);
    job.backendId = j.value("backend_id", "");
    job.workdir = j.value("workdir", "");
    return job;
  } catch (const std::exception& e) {
    return makeError(std::string("job record: ") + e.what());
  }
}

Result<std::unique_ptr<JobStore>> JobStore::open(const std::string& path) {
  auto s = std::unique_ptr<JobStore>(new JobStore());
  s->path_ = path;
  {
    std::ifstream in(path);
    std::string line;
    size_t n = 0, bad = 0;
    while (std::getline(in, line)) {
      ++n;
      auto j = nlohmann::json::parse(line, nullptr, false);
      auto job = j.is_discarded() ? Result<Job>(makeError("torn")) : Job::fromJson(j);
      if (!job) {
        ++bad;  // a line cut by a crash mid-write: it was never acknowledged
        continue;
      }
      s->jobs_[job->id] = std::move(*job);
    }
    if (bad) log::warn("relay.store").kv("file", path).kv("skipped_lines", bad).msg("ignored incomplete records");
  }
  if (auto st = s->compact([](const Job&) { return true; }); !st) return st.error();
  return s;
}

Result<std::vector<std::string>> JobStore::compact(const std::function<bool(const Job&)>& keep) {
  std::vector<std::string> dropped;
  std::string tmp = path_ + ".tmp";
  std::string text;
  for (const auto& [id, job] : jobs_) {
    if (keep(job)) text += job.toJson(true).dump() + "\n";
    else dropped.push_back(id);
  }
  // It holds every job's command, environment and files: readable by the relay only.
  int tfd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (tfd < 0) return makeError(tmp + ": " + std::strerror(errno));
  fchmod(tfd, 0600);
  bool ok = ::write(tfd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(tfd) == 0;
  ::close(tfd);
  if (!ok) {
    std::remove(tmp.c_str());
    return makeError(tmp + ": cannot write");
  }
  int nfd = ::open(tmp.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (nfd < 0) return makeError(tmp + ": " + std::strerror(errno));
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::close(nfd);
    return makeError(path_ + ": " + std::strerror(errno));
  }
  auto slash = path_.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path_.substr(0, slash);
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    fsync(dfd);  // the rename itself survives a crash
    ::close(dfd);
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = nfd;
  appended_ = 0;
  for (const auto& id : dropped) jobs_.erase(id);
  return dropped;
}

JobStore::~JobStore() {
  if (fd_ >= 0) ::close(fd_);
}

Status JobStore::put(const Job& job) {
  std::string line = job.toJson(true).dump() + "\n";
  if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || fdatasync(fd_) != 0)
    return makeError(path_ + ": " + std::strerror(errno));
  ++appended_;
  jobs_[job.id] = job;
  return {};
}

Job* JobStore::find(const std::string& id) {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

}  // namespace cdns::relay
