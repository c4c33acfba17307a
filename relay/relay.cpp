// The relay's API and its bookkeeping.
#include "relay/relay.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "common/log.h"
#include "relay/token.h"

namespace cdns::relay {
namespace {

uint64_t now() { return static_cast<uint64_t>(time(nullptr)); }

constexpr uint64_t kPollMs = 500;
constexpr uint64_t kPruneTicks = 120;  // the table is pruned every minute (and at start)

http::Response error(int status, const std::string& message) {
  http::Response r;
  r.status = status;
  r.contentType = "application/json";
  r.body = nlohmann::json{{"error", message}}.dump() + "\n";
  return r;
}

http::Response json(int status, const nlohmann::json& j) {
  http::Response r;
  r.status = status;
  r.contentType = "application/json";
  r.body = j.dump() + "\n";
  return r;
}

// RFC 6750 §3: a 401 names the scheme; a token that was sent but is no good is "invalid_token"
// (a request without one gets no error code, §3.1).
http::Response unauthorized(const std::string& message, bool tokenSent) {
  http::Response r = error(401, message);
  std::string challenge = "Bearer realm=\"cdns-relay\"";
  if (tokenSent) challenge += ", error=\"invalid_token\", error_description=\"" + message + "\"";
  r.headers.emplace_back("WWW-Authenticate", challenge);
  return r;
}

bool badFileName(const std::string& name) {
  return name.empty() || name == "." || name == ".." || name.find_first_of(std::string("/\0", 2)) != std::string::npos;
}

// What a backend call finds out about a job (its state and where it runs), onto the table's copy.
void takeBackendView(Job& to, const Job& from) {
  to.state = from.state;
  to.exitCode = from.exitCode;
  to.started = from.started;
  to.ended = from.ended;
  to.where = from.where;
  to.reason = from.reason;
  to.backendId = from.backendId;
  to.workdir = from.workdir;
}

struct Work {
  uv_work_t req;
  std::function<void()> work, done;
};

}  // namespace

Relay::Relay(Config config, std::vector<uint8_t> key) : c_(std::move(config)), key_(std::move(key)) {
  std::random_device rd;
  nextId_ = (static_cast<uint64_t>(rd()) << 20) ^ static_cast<uint64_t>(now());
}

Result<uint16_t> Relay::start(uv_loop_t* loop) {
  loop_ = loop;
  std::error_code ec;
  std::filesystem::create_directories(c_.stateDir + "/jobs", ec);
  if (ec) return makeError(c_.stateDir + ": " + ec.message());
  chmod((c_.stateDir + "/jobs").c_str(), 0755);
  auto store = JobStore::open(c_.stateDir + "/jobs.log");
  if (!store) return store.error();
  store_ = std::move(*store);
  backend_ = c_.backend == "slurm" ? makeSlurmBackend(c_.stateDir + "/jobs", c_.partition)
                                   : makeLocalBackend(c_.stateDir + "/jobs");
  prune();
  size_t open = 0;
  for (const auto& [id, job] : store_->all()) open += !isFinal(job.state);
  log::info("relay").kv("backend", backend_->name()).kv("jobs", store_->all().size()).kv("open", open)
      .msg("job table loaded");
  // Every job accepted before a restart: its real state from the backend (the local backend
  // answers before the first request; Slurm's answer comes from a worker thread).
  poll();
  http::ServerOptions opts;
  opts.tlsCertFile = c_.tlsCert;
  opts.tlsKeyFile = c_.tlsKey;
  http_ = std::make_unique<http::Server>(
      loop, http::AsyncHandler([this](const http::Request& r, http::Responder respond) { handle(r, std::move(respond)); }),
      opts);
  auto port = http_->listen(c_.listen);
  if (!port) return port.error();
  if (!c_.statsListen.empty()) {
    statsHttp_ = std::make_unique<http::Server>(loop, http::Handler([this](const http::Request& r) { return handleStats(r); }));
    auto sp = statsHttp_->listen(c_.statsListen);
    if (!sp) return makeError("stats_listen: " + sp.error().message);
    statsPort_ = *sp;
  }
  uv_timer_init(loop, &timer_);
  timer_.data = this;
  timerOpen_ = true;
  uv_timer_start(&timer_, onTimer, kPollMs, kPollMs);
  return *port;
}

void Relay::stop() {
  if (http_) http_->close();
  if (statsHttp_) statsHttp_->close();
  if (timerOpen_) uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  timerOpen_ = false;
  if (backend_) backend_->shutdown();
}

void Relay::reload(const Config& n, std::vector<uint8_t> key) {
  auto restartOnly = [](const char* what, bool changed) {
    if (changed) log::warn("relay.config").kv("key", what).msg("changed; it takes effect at the next restart");
  };
  restartOnly("listen", n.listen != c_.listen);
  restartOnly("tls", n.tlsCert != c_.tlsCert || n.tlsKey != c_.tlsKey);
  restartOnly("stats_listen", n.statsListen != c_.statsListen);
  restartOnly("state_dir", n.stateDir != c_.stateDir);
  restartOnly("backend", n.backend != c_.backend);
  restartOnly("slurm", n.partition != c_.partition);
  c_.users = n.users;
  c_.maxCpus = n.maxCpus;
  c_.maxGpus = n.maxGpus;
  c_.maxMemory = n.maxMemory;
  c_.maxTime = n.maxTime;
  c_.maxJobsPerUser = n.maxJobsPerUser;
  c_.retention = n.retention;
  key_ = std::move(key);
  log::info("relay.config").kv("users", c_.users.size()).msg("reloaded users, limits, job_retention and key");
}

void Relay::onTimer(uv_timer_t* t) noexcept { static_cast<Relay*>(t->data)->poll(); }

void Relay::offLoop(std::function<void()> work, std::function<void()> done) {
  if (!backend_->blocking()) {
    work();
    done();
    return;
  }
  auto* w = new Work{{}, std::move(work), std::move(done)};
  w->req.data = w;
  int rc = uv_queue_work(
      loop_, &w->req, [](uv_work_t* r) noexcept { static_cast<Work*>(r->data)->work(); },
      [](uv_work_t* r, int) noexcept {
        auto* finished = static_cast<Work*>(r->data);
        try {
          finished->done();
        } catch (const std::exception& e) {
          log::error("relay").kv("error", e.what()).msg("after a backend call");
        }
        delete finished;
      });
  if (rc != 0) {  // cannot happen with a live loop; do it here rather than lose it
    w->work();
    w->done();
    delete w;
  }
}

void Relay::poll() {
  backend_->tick();
  if (++ticks_ % kPruneTicks == 0) prune();
  if (polling_) return;  // the last one is still asking the scheduler
  auto batch = std::make_shared<std::vector<Job>>();
  for (const auto& [id, job] : store_->all())
    if (!isFinal(job.state) && !submitting_.count(id)) batch->push_back(job);
  if (batch->empty()) return schedulerProblem("");
  polling_ = true;
  auto changed = std::make_shared<std::vector<char>>(batch->size(), 0);
  auto problem = std::make_shared<std::string>();
  offLoop(
      [this, batch, changed, problem] {
        for (size_t i = 0; i < batch->size(); ++i) {
          std::string p;
          try {
            (*changed)[i] = backend_->refresh((*batch)[i], p);
          } catch (const std::exception& e) {
            p = e.what();
          }
          if (!p.empty()) *problem = p;
        }
      },
      [this, batch, changed, problem] {
        polling_ = false;
        for (size_t i = 0; i < batch->size(); ++i)
          if ((*changed)[i]) merge((*batch)[i]);
        schedulerProblem(*problem);
      });
}

void Relay::merge(const Job& fresh) {
  Job* cur = store_->find(fresh.id);
  if (!cur || isFinal(cur->state)) return;  // e.g. cancelled meanwhile
  Job next = *cur;
  takeBackendView(next, fresh);
  if (auto st = store_->put(next); !st) {
    log::error("relay.store").kv("error", st.error().message);
    *cur = next;  // the API still tells the truth; the table catches up at the next change
  }
  log::info("relay.job").kv("id", next.id).kv("state", stateName(next.state)).kv("exit", next.exitCode);
}

void Relay::schedulerProblem(const std::string& problem) {
  if (problem == schedulerError_) return;
  if (!problem.empty() && schedulerError_.empty())
    log::warn("relay.backend").kv("error", problem).msg("cannot ask the scheduler; jobs are kept as they are");
  else if (problem.empty())
    log::info("relay.backend").msg("the scheduler answers again");
  schedulerError_ = problem;
}

void Relay::prune() {
  uint64_t t = now();
  uint64_t keepFor = c_.retention;
  auto expired = [t, keepFor](const Job& j) {
    return keepFor && isFinal(j.state) && (j.ended ? j.ended : j.submitted) + keepFor <= t;
  };
  size_t old = 0;
  for (const auto& [id, job] : store_->all()) old += expired(job);
  size_t live = store_->all().size();
  if (!old && store_->linesSinceCompaction() < std::max<size_t>(1000, 4 * live)) return;
  auto dropped = store_->compact([&](const Job& j) { return !expired(j); });
  if (!dropped) {
    log::error("relay.store").kv("error", dropped.error().message).msg("cannot compact the job table");
    return;
  }
  std::string dir = c_.stateDir + "/jobs/";
  for (const auto& id : *dropped) {
    std::error_code ec;
    std::filesystem::remove_all(dir + id, ec);
    for (const char* suffix : {".exit", ".pid", ".sbatch"}) std::filesystem::remove(dir + id + suffix, ec);
  }
  log::info("relay.store").kv("jobs", store_->all().size()).kv("dropped", dropped->size()).msg("job table compacted");
}

http::Response Relay::handleStats(const http::Request& req) {
  http::Response r;
  if (req.method == "GET" && req.path == "/v1/health") r = health();
  else if (req.method == "GET" && req.path == "/v1/stats") r = stats();
  else if (req.method == "GET" && req.path == "/metrics") r = metrics();
  else r = error(404, "no such endpoint: " + req.path + " (this listener serves GET /v1/health, /v1/stats and /metrics)");
  ++responses_[r.status];
  return r;
}

void Relay::handle(const http::Request& req, http::Responder respond) {
  http::Responder answer = [this, respond](http::Response r) {
    ++responses_[r.status];
    respond(std::move(r));
  };
  if (req.path == "/v1/health" && req.method == "GET") return answer(health());
  if (req.path == "/v1/stats" && req.method == "GET") return answer(stats());
  if (req.path == "/metrics" && req.method == "GET") return answer(metrics());
  if (req.path.rfind("/v1/jobs", 0) != 0) return answer(error(404, "no such endpoint: " + req.path));
  // Bearer token (RFC 6750 §2.1).
  const std::string* auth = req.header("authorization");
  if (!auth || auth->rfind("Bearer ", 0) != 0)
    return answer(unauthorized("missing bearer token (Authorization: Bearer ...)", false));
  auto claims = verifyToken(key_, auth->substr(7), now());
  if (!claims) return answer(unauthorized(claims.error().message, true));
  const std::string& user = claims->user;
  if (!c_.users.count(user)) return answer(error(403, "user \"" + user + "\" has no account at this center"));
  std::string rest = req.path.substr(8);
  if (!rest.empty() && rest[0] != '/') return answer(error(404, "no such endpoint: " + req.path));
  if (rest.empty() || rest == "/") {
    if (req.method == "POST") return submit(req, user, answer);
    if (req.method == "GET") return answer(list(req, user));
    return answer(error(405, "use GET or POST on /v1/jobs"));
  }
  std::string id = rest.substr(1);
  std::string sub;
  if (auto slash = id.find('/'); slash != std::string::npos) {
    sub = id.substr(slash + 1);
    id = id.substr(0, slash);
  }
  if (sub == "output" && req.method == "GET") return answer(output(req, id, user));
  if (!sub.empty()) return answer(error(404, "no such endpoint: " + req.path));
  if (req.method == "GET") return answer(get(id, user));
  if (req.method == "DELETE") return cancel(id, user, answer);
  answer(error(405, "use GET or DELETE on /v1/jobs/{id}"));
}

void Relay::submit(const http::Request& req, const std::string& user, http::Responder respond) {
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) return respond(error(400, "request body is not JSON"));
  if (!j.is_object()) return respond(error(400, "request body must be a JSON object"));
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "name" && it.key() != "command" && it.key() != "script" && it.key() != "resources" &&
        it.key() != "environment" && it.key() != "files")
      return respond(error(400, "unknown field \"" + it.key() + "\""));
  Job job;
  job.user = user;
  job.account = c_.users.at(user);
  if (j.contains("name")) {
    if (!j["name"].is_string()) return respond(error(400, "\"name\" must be a string"));
    job.name = j["name"].get<std::string>();
  }
  if (j.contains("command")) {
    if (!j["command"].is_array() || j["command"].empty())
      return respond(error(400, "\"command\" must be a non-empty array of strings"));
    for (const auto& a : j["command"]) {
      if (!a.is_string()) return respond(error(400, "\"command\" must be a non-empty array of strings"));
      job.command.push_back(a.get<std::string>());
    }
  }
  if (j.contains("script")) {
    if (!j["script"].is_string()) return respond(error(400, "\"script\" must be a string"));
    job.script = j["script"].get<std::string>();
  }
  if (job.command.empty() == job.script.empty())
    return respond(error(400, "give exactly one of \"command\" and \"script\""));
  for (const char* field : {"environment", "files"}) {
    if (!j.contains(field)) continue;
    if (!j[field].is_object()) return respond(error(400, std::string("\"") + field + "\" must be an object of strings"));
    for (auto it = j[field].begin(); it != j[field].end(); ++it) {
      if (!it.value().is_string())
        return respond(error(400, std::string("\"") + field + "/" + it.key() + "\" must be a string"));
      (std::string(field) == "files" ? job.files : job.env)[it.key()] = it.value().get<std::string>();
    }
  }
  for (const auto& [k, v] : job.env) {
    if (k.empty() || k.find_first_of(std::string("=\0", 2)) != std::string::npos)
      return respond(error(400, "\"environment\": \"" + k + "\" is not a variable name (empty, or holds = or NUL)"));
    if (v.find('\0') != std::string::npos)
      return respond(error(400, "\"environment/" + k + "\" must not hold NUL"));
  }
  for (const auto& [name, content] : job.files)
    if (badFileName(name)) return respond(error(400, "files: bad file name \"" + name + "\""));
  if (j.contains("resources")) {
    const auto& r = j["resources"];
    if (!r.is_object()) return respond(error(400, "\"resources\" must be an object"));
    for (auto it = r.begin(); it != r.end(); ++it)
      if (it.key() != "cpus" && it.key() != "gpus" && it.key() != "memory" && it.key() != "time_limit")
        return respond(error(400, "unknown resource \"" + it.key() + "\" (cpus, gpus, memory, time_limit)"));
    auto count = [&](const char* k, uint32_t& out) {
      if (!r.contains(k)) return true;
      if (!r[k].is_number_unsigned() || r[k].get<uint64_t>() > 0xFFFFFFFFULL) return false;
      out = static_cast<uint32_t>(r[k].get<uint64_t>());
      return true;
    };
    if (!count("cpus", job.cpus) || job.cpus == 0) return respond(error(400, "\"resources/cpus\" must be a positive integer"));
    if (!count("gpus", job.gpus)) return respond(error(400, "\"resources/gpus\" must be a non-negative integer"));
    if (!count("time_limit", job.timeLimit)) return respond(error(400, "\"resources/time_limit\" must be seconds"));
    if (r.contains("memory") && !parseBytes(r["memory"], job.memory))
      return respond(error(400, "\"resources/memory\" must be bytes or like \"16G\""));
  }
  // What this center cannot give is refused before anything starts.
  if (job.cpus > c_.maxCpus)
    return respond(error(422, "cpus " + std::to_string(job.cpus) + " exceeds this center's " + std::to_string(c_.maxCpus)));
  if (job.gpus > c_.maxGpus)
    return respond(error(422, "gpus " + std::to_string(job.gpus) + " exceeds this center's " + std::to_string(c_.maxGpus)));
  if (c_.maxMemory && job.memory > c_.maxMemory)
    return respond(error(422, "memory " + std::to_string(job.memory) + " bytes exceeds this center's " +
                                  std::to_string(c_.maxMemory)));
  if (job.timeLimit > c_.maxTime)
    return respond(error(422, "time_limit " + std::to_string(job.timeLimit) + " s exceeds this center's " +
                                  std::to_string(c_.maxTime)));
  if (!job.timeLimit) job.timeLimit = c_.maxTime;
  uint32_t open = 0;
  for (const auto& [id, other] : store_->all())
    if (other.user == user && !isFinal(other.state)) ++open;
  if (open >= c_.maxJobsPerUser)
    return respond(error(429, "user \"" + user + "\" already has " + std::to_string(open) + " open jobs"));
  char id[32];
  snprintf(id, sizeof id, "j%012llx", static_cast<unsigned long long>(++nextId_ & 0xFFFFFFFFFFFFULL));
  job.id = id;
  job.backend = backend_->name();
  job.submitted = now();
  // Write-ahead: the job is in the table before it exists anywhere else.
  if (auto st = store_->put(job); !st) return respond(error(500, "cannot record the job: " + st.error().message));
  submitting_.insert(job.id);
  auto work = std::make_shared<std::pair<Job, Status>>(job, Status{});
  offLoop(
      [this, work] {
        try {
          work->second = backend_->submit(work->first);
        } catch (const std::exception& e) {
          work->second = makeError(e.what());
        }
      },
      [this, work, respond] {
        const Job& done = work->first;
        submitting_.erase(done.id);
        Job* cur = store_->find(done.id);
        if (!cur) return respond(error(500, "job " + done.id + " vanished from the table"));
        Job next = *cur;
        if (!work->second) {
          next.state = JobState::kFailed;
          next.reason = work->second.error().message;
          next.ended = now();
          if (auto st = store_->put(next); !st) *cur = next;
          return respond(error(502, "the scheduler refused the job: " + work->second.error().message));
        }
        takeBackendView(next, done);
        if (auto st = store_->put(next); !st) return respond(error(500, "cannot record the job: " + st.error().message));
        ++submitted_;
        log::info("relay.job").kv("id", next.id).kv("user", next.user).kv("account", next.account)
            .kv("state", stateName(next.state));
        respond(json(201, next.toJson()));
        if (next.cancelRequested) {  // a DELETE came while the scheduler was still taking it
          Job copy = next;
          offLoop([this, copy]() mutable { (void)backend_->cancel(copy); }, [] {});
        }
      });
}

http::Response Relay::list(const http::Request& req, const std::string& user) {
  JobState filter{};
  bool filtered = false;
  if (auto p = req.query.find("state="); p != std::string::npos) {
    std::string s = req.query.substr(p + 6, req.query.find('&', p) - p - 6);
    if (!parseState(s, filter)) return error(400, "unknown state \"" + s + "\"");
    filtered = true;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [id, job] : store_->all())
    if (job.user == user && (!filtered || job.state == filter)) out.push_back(job.toJson());
  return json(200, {{"jobs", out}});
}

http::Response Relay::get(const std::string& id, const std::string& user) {
  Job* job = store_->find(id);
  // Another user's job does not exist, as far as this user can tell.
  if (!job || job->user != user) return error(404, "no job " + id);
  return json(200, job->toJson());
}

void Relay::cancel(const std::string& id, const std::string& user, http::Responder respond) {
  Job* job = store_->find(id);
  if (!job || job->user != user) return respond(error(404, "no job " + id));
  if (isFinal(job->state)) return respond(error(409, "job " + id + " already ended (" + stateName(job->state) + ")"));
  job->cancelRequested = true;
  if (auto st = store_->put(*job); !st) return respond(error(500, st.error().message));
  if (submitting_.count(id)) return respond(json(202, job->toJson()));  // cancelled once sbatch answers
  auto work = std::make_shared<std::pair<Job, Status>>(*job, Status{});
  offLoop(
      [this, work] {
        try {
          work->second = backend_->cancel(work->first);
          std::string problem;
          if (work->second) backend_->refresh(work->first, problem);
        } catch (const std::exception& e) {
          work->second = makeError(e.what());
        }
      },
      [this, work, respond] {
        if (!work->second) return respond(error(502, work->second.error().message));
        merge(work->first);
        Job* cur = store_->find(work->first.id);
        respond(cur ? json(202, cur->toJson()) : error(404, "no job " + work->first.id));
      });
}

http::Response Relay::output(const http::Request& req, const std::string& id, const std::string& user) {
  Job* job = store_->find(id);
  if (!job || job->user != user) return error(404, "no job " + id);
  std::string stream = "stdout";
  uint64_t offset = 0;
  std::string q = req.query;
  size_t pos = 0;
  while (pos < q.size()) {
    size_t amp = q.find('&', pos);
    std::string kv = q.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (kv.rfind("stream=", 0) == 0) stream = kv.substr(7);
    if (kv.rfind("offset=", 0) == 0) offset = std::strtoull(kv.c_str() + 7, nullptr, 10);
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  if (stream != "stdout" && stream != "stderr") return error(400, "stream must be stdout or stderr");
  std::string data;
  if (!job->workdir.empty()) {
    int fd = ::open(backend_->outputPath(*job, stream).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char buf[65536];
      ssize_t n = pread(fd, buf, sizeof buf, static_cast<off_t>(offset));
      if (n > 0) data.assign(buf, static_cast<size_t>(n));
      ::close(fd);
    }
  }
  http::Response r;
  r.contentType = "text/plain; charset=utf-8";
  r.body = data;
  r.headers.emplace_back("X-Next-Offset", std::to_string(offset + data.size()));
  r.headers.emplace_back("X-Job-State", stateName(job->state));
  return r;
}

http::Response Relay::health() {
  nlohmann::json j{{"status", "ok"}, {"backend", backend_->name()}};
  if (!schedulerError_.empty()) j["scheduler_error"] = schedulerError_;
  return json(200, j);
}

http::Response Relay::stats() {
  uint64_t queued = 0, running = 0;
  for (const auto& [id, job] : store_->all()) {
    if (job.state == JobState::kPending) ++queued;
    if (job.state == JobState::kRunning) ++running;
  }
  return json(200, {{"queued", queued}, {"running", running}, {"backend", backend_->name()}});
}

http::Response Relay::metrics() {
  std::map<std::string, uint64_t> byState;
  for (const auto& [id, job] : store_->all()) ++byState[stateName(job.state)];
  std::string out = "# HELP cdns_relay_jobs Jobs in the job table, by state.\n# TYPE cdns_relay_jobs gauge\n";
  for (const char* s : {"pending", "running", "completed", "failed", "cancelled", "timeout"})
    out += std::string("cdns_relay_jobs{state=\"") + s + "\"} " + std::to_string(byState[s]) + "\n";
  out += "# HELP cdns_relay_jobs_submitted_total Jobs accepted since start.\n# TYPE cdns_relay_jobs_submitted_total counter\n";
  out += "cdns_relay_jobs_submitted_total " + std::to_string(submitted_) + "\n";
  out += "# HELP cdns_relay_responses_total API responses by HTTP status.\n# TYPE cdns_relay_responses_total counter\n";
  for (const auto& [status, n] : responses_)
    out += "cdns_relay_responses_total{status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
  http::Response r;
  r.contentType = "text/plain; version=0.0.4; charset=utf-8";
  r.body = out;
  return r;
}

}  // namespace cdns::relay
