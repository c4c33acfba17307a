// The relay's API and its bookkeeping.
#include "relay/relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "common/config.h"
#include "common/log.h"
#include "common/net.h"
#include "relay/token.h"

namespace cdns::relay {
namespace {

uint64_t now() { return static_cast<uint64_t>(time(nullptr)); }

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

// "16G", "512M", 1073741824 -> bytes (binary multiples).
bool parseBytes(const nlohmann::json& v, uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return true;
  }
  if (!v.is_string()) return false;
  std::string s = v.get<std::string>();
  char* end = nullptr;
  double n = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || n < 0) return false;
  std::string unit(end);
  uint64_t mult = 1;
  if (unit == "K" || unit == "KiB" || unit == "KB") mult = 1ULL << 10;
  else if (unit == "M" || unit == "MiB" || unit == "MB") mult = 1ULL << 20;
  else if (unit == "G" || unit == "GiB" || unit == "GB") mult = 1ULL << 30;
  else if (unit == "T" || unit == "TiB" || unit == "TB") mult = 1ULL << 40;
  else if (!unit.empty()) return false;
  out = static_cast<uint64_t>(n * static_cast<double>(mult));
  return true;
}

bool isLoopback(const std::string& hostPort) {
  auto a = net::parseHostPort(hostPort, 0);
  if (!a) return false;
  if (a->ss_family == AF_INET) return (ntohl(reinterpret_cast<sockaddr_in*>(&*a)->sin_addr.s_addr) >> 24) == 127;
  return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<sockaddr_in6*>(&*a)->sin6_addr);
}

}  // namespace

const char* const kConfigHelp = R"(configuration (JSON; relative file names are relative to the file):
  "listen":    "127.0.0.1:8443"          plain HTTP only on loopback; elsewhere "tls" is required
  "tls":       {"cert": "cert.pem", "key": "key.pem"}
  "key_file":  "relay.key"               base64 HMAC key for bearer tokens (required)
  "state_dir": "relay-state"             job table and one working directory per job
  "backend":   "local" | "slurm"         the scheduler (default local)
  "slurm":     {"partition": "debug"}
  "users":     {"alice": "alice", ...}   network user -> local account (Unix or Slurm user); others are refused
  "limits":    {"cpus": 4, "gpus": 0, "memory": "8G", "time_limit": 86400, "jobs_per_user": 100}
)";

Config loadConfig(const std::string& file) {
  nlohmann::json j = loadJsonFile(file);
  ConfigNode root(j, "");
  root.checkKnown({"listen", "tls", "key_file", "state_dir", "backend", "slurm", "users", "limits"});
  auto resolve = [&](const std::string& p) {
    if (p.empty() || p[0] == '/') return p;
    auto slash = file.rfind('/');
    return slash == std::string::npos ? p : file.substr(0, slash + 1) + p;
  };
  Config c;
  c.listen = root.str("listen", "127.0.0.1:8443");
  if (auto a = net::parseHostPort(c.listen); !a) root.fail("listen", a.error().message);
  if (root.has("tls")) {
    auto t = root.child("tls");
    t.checkKnown({"cert", "key"});
    c.tlsCert = resolve(t.str("cert"));
    c.tlsKey = resolve(t.str("key"));
  }
  if (c.tlsCert.empty() && !isLoopback(c.listen))
    root.fail("listen", "plain HTTP is allowed only on loopback; configure \"tls\" to listen on " + c.listen);
  c.keyFile = resolve(root.str("key_file"));
  c.stateDir = resolve(root.str("state_dir", "relay-state"));
  c.backend = root.str("backend", "local");
  if (c.backend != "local" && c.backend != "slurm") root.fail("backend", "expected \"local\" or \"slurm\"");
  if (root.has("slurm")) {
    auto s = root.child("slurm");
    s.checkKnown({"partition"});
    c.partition = s.str("partition", "");
  }
  auto users = root.child("users");
  if (!users.isObject() || users.size() == 0) users.fail("expected an object of network user -> local account");
  for (auto it = users.json().begin(); it != users.json().end(); ++it) {
    if (!it.value().is_string()) users.fail(it.key(), "expected a local account name");
    c.users[it.key()] = it.value().get<std::string>();
  }
  if (root.has("limits")) {
    auto l = root.child("limits");
    l.checkKnown({"cpus", "gpus", "memory", "time_limit", "jobs_per_user"});
    c.maxCpus = static_cast<uint32_t>(l.integer("cpus", 1, 1 << 20, 1));
    c.maxGpus = static_cast<uint32_t>(l.integer("gpus", 0, 1 << 16, 0));
    if (l.has("memory") && !parseBytes(l.json()["memory"], c.maxMemory)) l.fail("memory", "expected bytes or \"16G\"");
    c.maxTime = static_cast<uint32_t>(l.integer("time_limit", 1, 86400 * 365, 86400));
    c.maxJobsPerUser = static_cast<uint32_t>(l.integer("jobs_per_user", 1, 1000000, 100));
  }
  return c;
}

Relay::Relay(Config config, std::vector<uint8_t> key) : c_(std::move(config)), key_(std::move(key)) {
  std::random_device rd;
  nextId_ = (static_cast<uint64_t>(rd()) << 20) ^ static_cast<uint64_t>(now());
}

Result<uint16_t> Relay::start(uv_loop_t* loop) {
  std::error_code ec;
  std::filesystem::create_directories(c_.stateDir + "/jobs", ec);
  if (ec) return makeError(c_.stateDir + ": " + ec.message());
  chmod((c_.stateDir + "/jobs").c_str(), 0755);
  auto store = JobStore::open(c_.stateDir + "/jobs.log");
  if (!store) return store.error();
  store_ = std::move(*store);
  backend_ = c_.backend == "slurm" ? makeSlurmBackend(c_.stateDir + "/jobs", c_.partition)
                                   : makeLocalBackend(c_.stateDir + "/jobs");
  // Every job accepted before a restart: its real state from the backend.
  size_t open = 0;
  for (auto& [id, job] : store_->all()) {
    if (isFinal(job.state)) continue;
    ++open;
    if (backend_->refresh(job)) (void)store_->put(job);
  }
  log::info("relay").kv("backend", backend_->name()).kv("jobs", store_->all().size()).kv("open", open)
      .msg("job table loaded");
  http::ServerOptions opts;
  opts.tlsCertFile = c_.tlsCert;
  opts.tlsKeyFile = c_.tlsKey;
  http_ = std::make_unique<http::Server>(loop, [this](const http::Request& r) { return handle(r); }, opts);
  auto port = http_->listen(c_.listen);
  if (!port) return port.error();
  uv_timer_init(loop, &timer_);
  timer_.data = this;
  timerOpen_ = true;
  uv_timer_start(&timer_, onTimer, 500, 500);
  return *port;
}

void Relay::stop() {
  if (http_) http_->close();
  if (timerOpen_) uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  timerOpen_ = false;
}

void Relay::onTimer(uv_timer_t* t) noexcept { static_cast<Relay*>(t->data)->poll(); }

void Relay::poll() {
  for (auto& [id, job] : store_->all())
    if (!isFinal(job.state) && backend_->refresh(job)) {
      Job copy = job;
      if (auto st = store_->put(copy); !st) log::error("relay.store").kv("error", st.error().message);
      log::info("relay.job").kv("id", id).kv("state", stateName(copy.state)).kv("exit", copy.exitCode);
    }
}

http::Response Relay::handle(const http::Request& req) {
  http::Response r = [&]() -> http::Response {
    if (req.path == "/v1/health" && req.method == "GET")
      return json(200, {{"status", "ok"}, {"backend", backend_->name()}});
    if (req.path == "/v1/stats" && req.method == "GET") return stats();
    if (req.path == "/metrics" && req.method == "GET") return metrics();
    if (req.path.rfind("/v1/jobs", 0) != 0) return error(404, "no such endpoint: " + req.path);
    // Bearer token (RFC 6750).
    const std::string* auth = req.header("authorization");
    if (!auth || auth->rfind("Bearer ", 0) != 0) return error(401, "missing bearer token (Authorization: Bearer ...)");
    auto claims = verifyToken(key_, auth->substr(7), now());
    if (!claims) return error(401, claims.error().message);
    if (!c_.users.count(claims->user)) return error(403, "user \"" + claims->user + "\" has no account at this center");
    std::string rest = req.path.substr(8);
    if (!rest.empty() && rest[0] != '/') return error(404, "no such endpoint: " + req.path);
    if (rest.empty() || rest == "/") {
      if (req.method == "POST") return submit(req, claims->user);
      if (req.method == "GET") return list(req, claims->user);
      return error(405, "use GET or POST on /v1/jobs");
    }
    std::string id = rest.substr(1);
    std::string sub;
    if (auto slash = id.find('/'); slash != std::string::npos) {
      sub = id.substr(slash + 1);
      id = id.substr(0, slash);
    }
    if (sub == "output" && req.method == "GET") return output(req, id, claims->user);
    if (!sub.empty()) return error(404, "no such endpoint: " + req.path);
    if (req.method == "GET") return get(id, claims->user);
    if (req.method == "DELETE") return cancel(id, claims->user);
    return error(405, "use GET or DELETE on /v1/jobs/{id}");
  }();
  ++responses_[r.status];
  return r;
}

http::Response Relay::submit(const http::Request& req, const std::string& user) {
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) return error(400, "request body is not JSON");
  if (!j.is_object()) return error(400, "request body must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "name" && it.key() != "command" && it.key() != "script" && it.key() != "resources" &&
        it.key() != "environment" && it.key() != "files")
      return error(400, "unknown field \"" + it.key() + "\"");
  Job job;
  job.user = user;
  job.account = c_.users.at(user);
  if (j.contains("name")) {
    if (!j["name"].is_string()) return error(400, "\"name\" must be a string");
    job.name = j["name"].get<std::string>();
  }
  if (j.contains("command")) {
    if (!j["command"].is_array() || j["command"].empty()) return error(400, "\"command\" must be a non-empty array of strings");
    for (const auto& a : j["command"]) {
      if (!a.is_string()) return error(400, "\"command\" must be a non-empty array of strings");
      job.command.push_back(a.get<std::string>());
    }
  }
  if (j.contains("script")) {
    if (!j["script"].is_string()) return error(400, "\"script\" must be a string");
    job.script = j["script"].get<std::string>();
  }
  if (job.command.empty() == job.script.empty()) return error(400, "give exactly one of \"command\" and \"script\"");
  for (const char* field : {"environment", "files"}) {
    if (!j.contains(field)) continue;
    if (!j[field].is_object()) return error(400, std::string("\"") + field + "\" must be an object of strings");
    for (auto it = j[field].begin(); it != j[field].end(); ++it) {
      if (!it.value().is_string()) return error(400, std::string("\"") + field + "/" + it.key() + "\" must be a string");
      (std::string(field) == "files" ? job.files : job.env)[it.key()] = it.value().get<std::string>();
    }
  }
  if (j.contains("resources")) {
    const auto& r = j["resources"];
    if (!r.is_object()) return error(400, "\"resources\" must be an object");
    for (auto it = r.begin(); it != r.end(); ++it)
      if (it.key() != "cpus" && it.key() != "gpus" && it.key() != "memory" && it.key() != "time_limit")
        return error(400, "unknown resource \"" + it.key() + "\" (cpus, gpus, memory, time_limit)");
    auto count = [&](const char* k, uint32_t& out) {
      if (!r.contains(k)) return true;
      if (!r[k].is_number_unsigned() || r[k].get<uint64_t>() > 0xFFFFFFFFULL) return false;
      out = static_cast<uint32_t>(r[k].get<uint64_t>());
      return true;
    };
    if (!count("cpus", job.cpus) || job.cpus == 0) return error(400, "\"resources/cpus\" must be a positive integer");
    if (!count("gpus", job.gpus)) return error(400, "\"resources/gpus\" must be a non-negative integer");
    if (!count("time_limit", job.timeLimit)) return error(400, "\"resources/time_limit\" must be seconds");
    if (r.contains("memory") && !parseBytes(r["memory"], job.memory))
      return error(400, "\"resources/memory\" must be bytes or like \"16G\"");
  }
  // What this center cannot give is refused before anything starts.
  if (job.cpus > c_.maxCpus)
    return error(422, "cpus " + std::to_string(job.cpus) + " exceeds this center's " + std::to_string(c_.maxCpus));
  if (job.gpus > c_.maxGpus)
    return error(422, "gpus " + std::to_string(job.gpus) + " exceeds this center's " + std::to_string(c_.maxGpus));
  if (c_.maxMemory && job.memory > c_.maxMemory)
    return error(422, "memory " + std::to_string(job.memory) + " bytes exceeds this center's " + std::to_string(c_.maxMemory));
  if (job.timeLimit > c_.maxTime)
    return error(422, "time_limit " + std::to_string(job.timeLimit) + " s exceeds this center's " + std::to_string(c_.maxTime));
  if (!job.timeLimit) job.timeLimit = c_.maxTime;
  uint32_t open = 0;
  for (const auto& [id, other] : store_->all())
    if (other.user == user && !isFinal(other.state)) ++open;
  if (open >= c_.maxJobsPerUser) return error(429, "user \"" + user + "\" already has " + std::to_string(open) + " open jobs");
  char id[32];
  snprintf(id, sizeof id, "j%012llx", static_cast<unsigned long long>(++nextId_ & 0xFFFFFFFFFFFFULL));
  job.id = id;
  job.backend = backend_->name();
  job.submitted = now();
  // Write-ahead: the job is in the table before it exists anywhere else.
  if (auto st = store_->put(job); !st) return error(500, "cannot record the job: " + st.error().message);
  for (const auto& [name, content] : job.files)
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
      return error(400, "files: bad file name \"" + name + "\"");
  if (auto st = backend_->submit(job); !st) {
    job.state = JobState::kFailed;
    job.reason = st.error().message;
    job.ended = now();
    (void)store_->put(job);
    return error(502, "the scheduler refused the job: " + st.error().message);
  }
  if (auto st = store_->put(job); !st) return error(500, "cannot record the job: " + st.error().message);
  ++submitted_;
  log::info("relay.job").kv("id", job.id).kv("user", user).kv("account", job.account).kv("state", stateName(job.state));
  return json(201, job.toJson());
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

http::Response Relay::cancel(const std::string& id, const std::string& user) {
  Job* job = store_->find(id);
  if (!job || job->user != user) return error(404, "no job " + id);
  if (isFinal(job->state)) return error(409, "job " + id + " already ended (" + stateName(job->state) + ")");
  job->cancelRequested = true;
  if (auto st = store_->put(*job); !st) return error(500, st.error().message);
  if (auto st = backend_->cancel(*job); !st) return error(502, st.error().message);
  backend_->refresh(*job);
  (void)store_->put(*job);
  return json(202, job->toJson());
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
  int fd = ::open(backend_->outputPath(*job, stream).c_str(), O_RDONLY);
  std::string data;
  if (fd >= 0) {
    char buf[65536];
    ssize_t n = pread(fd, buf, sizeof buf, static_cast<off_t>(offset));
    if (n > 0) data.assign(buf, static_cast<size_t>(n));
    ::close(fd);
  }
  http::Response r;
  r.contentType = "text/plain; charset=utf-8";
  r.body = data;
  r.headers.emplace_back("X-Next-Offset", std::to_string(offset + data.size()));
  r.headers.emplace_back("X-Job-State", stateName(job->state));
  return r;
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
