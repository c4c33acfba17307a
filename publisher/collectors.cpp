// The collectors: proc, gpu, slurm, power, relay, exec.
#include "publisher/collectors.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "common/config.h"
#include "common/log.h"
#include "common/net.h"
#include "rrtypes/registry.h"

namespace cdns::publisher {
namespace {

std::string readFile(const std::string& path, bool* ok = nullptr) {
  std::ifstream f(path);
  if (ok) *ok = static_cast<bool>(f);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) out.push_back(trim(cell));
  return out;
}

// "143771 MiB" -> 143771; "[N/A]" -> -1.
double number(const std::string& cell) {
  if (cell.find("N/A") != std::string::npos || cell.find("Not Supported") != std::string::npos) return -1;
  char* end = nullptr;
  double v = std::strtod(cell.c_str(), &end);
  return end == cell.c_str() ? -1 : v;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Parsers

Result<CpuTimes> parseProcStat(const std::string& text) {
  std::istringstream in(text);
  std::string label;
  in >> label;
  if (label != "cpu") return makeError("/proc/stat: no aggregate cpu line");
  std::vector<uint64_t> v;
  uint64_t x;
  while (v.size() < 10 && in >> x) v.push_back(x);
  if (v.size() < 4) return makeError("/proc/stat: cpu line too short");
  CpuTimes t;
  for (size_t i = 0; i < v.size() && i < 8; ++i) t.total += v[i];  // guest time is inside user
  uint64_t idle = v[3] + (v.size() > 4 ? v[4] : 0);                 // idle + iowait
  t.busy = t.total - idle;
  return t;
}

Result<std::pair<uint64_t, uint64_t>> parseMeminfo(const std::string& text) {
  std::istringstream in(text);
  std::string key;
  uint64_t value;
  std::string unit;
  uint64_t total = 0, avail = 0;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemTotal:") total = value * 1024;
    if (key == "MemAvailable:") avail = value * 1024;
  }
  if (!total) return makeError("/proc/meminfo: no MemTotal");
  return std::make_pair(avail, total);
}

Result<double> parseLoadavg(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0) return makeError("/proc/loadavg: unreadable");
  return v;
}

std::string gpuModel(const std::string& name) {
  std::string n = trim(name);
  if (n.rfind("NVIDIA ", 0) == 0) n = n.substr(7);
  for (auto& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '-';
  return n.empty() ? "GPU" : n;
}

Result<std::vector<Gpu>> parseNvidiaSmiCsv(const std::string& text) {
  // Default columns (our own query); a header line names them otherwise.
  std::vector<std::string> columns = {"name", "memory.total", "memory.used", "utilization.gpu", "power.draw"};
  std::vector<Gpu> out;
  std::istringstream in(text);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty()) continue;
    auto cells = splitCsv(line);
    if (first && !cells.empty() && (cells[0] == "index" || cells[0] == "name" || cells[0].find('[') != std::string::npos ||
                                    cells[0].rfind("name", 0) == 0)) {
      columns.clear();
      for (auto c : cells) columns.push_back(trim(c.substr(0, c.find(' '))));
      first = false;
      continue;
    }
    first = false;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < cells.size() && i < columns.size(); ++i) row[columns[i]] = cells[i];
    if (!row.count("name")) return makeError("nvidia-smi: a row has no name column");
    Gpu g;
    g.model = gpuModel(row["name"]);
    double total = row.count("memory.total") ? number(row["memory.total"]) : -1;
    double used = row.count("memory.used") ? number(row["memory.used"]) : 0;
    g.memTotalMiB = total > 0 ? static_cast<uint64_t>(total) : 0;
    g.memUsedMiB = used > 0 ? static_cast<uint64_t>(used) : 0;
    g.util = row.count("utilization.gpu") ? number(row["utilization.gpu"]) : -1;
    g.powerW = row.count("power.draw") ? number(row["power.draw"]) : -1;
    out.push_back(g);
  }
  return out;
}

Result<SlurmState> parseSlurm(const std::string& sinfo, const std::string& squeue) {
  SlurmState s;
  std::istringstream in(sinfo);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty()) continue;
    unsigned long long a, i, o, t, nodes;
    char state[64] = {};
    if (sscanf(line.c_str(), "%llu/%llu/%llu/%llu %llu %63s", &a, &i, &o, &t, &nodes, state) != 6)
      return makeError("sinfo: unexpected line \"" + line + "\"");
    s.cpusAlloc += a;
    s.cpusIdle += i;
    s.cpusTotal += t;
    s.nodesTotal += nodes;
    std::string st = state;
    while (!st.empty() && (st.back() == '*' || st.back() == '~' || st.back() == '#')) st.pop_back();
    if (st == "idle") s.nodesIdle += nodes;
  }
  std::istringstream q(squeue);
  while (std::getline(q, line)) {
    line = trim(line);
    if (line == "PENDING") ++s.pending;
    else if (line == "RUNNING" || line == "COMPLETING" || line == "CONFIGURING") ++s.running;
  }
  return s;
}

Result<std::vector<std::pair<std::string, std::string>>> parseKeyValues(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0) return makeError("line " + std::to_string(n) + ": expected key=value");
    out.emplace_back(trim(line.substr(0, eq)), trim(line.substr(eq + 1)));
  }
  return out;
}

Result<std::string> runCommand(const std::string& command, int timeoutMs, int* status) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return makeError("pipe: " + std::string(std::strerror(errno)));
  pid_t pid = fork();
  if (pid < 0) return makeError("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    dup2(fds[1], 1);
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  bool timedOut = false;
  while (true) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) {
      timedOut = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, left) <= 0) continue;
    char buf[4096];
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (1 << 20)) break;
  }
  close(fds[0]);
  if (timedOut) kill(-pid, SIGKILL);
  int st = 0;
  waitpid(pid, &st, 0);
  if (timedOut) return makeError("\"" + command + "\" timed out after " + std::to_string(timeoutMs) + " ms");
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  if (status) *status = code;
  if (code == 127) return makeError("\"" + command + "\": command not found");
  return out;
}

// ------------------------------------------------------------------------------------------------
// Collectors

namespace {

class ProcCollector : public Collector {
 public:
  ProcCollector(std::string root, std::string disk) : root_(std::move(root)), disk_(std::move(disk)) {}
  const std::string& name() const override { return name_; }
  Status collect(State& s) override {
    bool ok = false;
    std::string stat = readFile(root_ + "/stat", &ok);
    if (!ok) return makeError(root_ + "/stat: cannot read");
    auto t = parseProcStat(stat);
    if (!t) return t.error();
    uint64_t cores = 0;
    std::istringstream lines(stat);
    std::string line;
    while (std::getline(lines, line))
      if (line.rfind("cpu", 0) == 0 && line.size() > 3 && std::isdigit(static_cast<unsigned char>(line[3]))) ++cores;
    if (!cores) cores = 1;
    if (!prev_) {
      // First sample: measure over a short interval so the first publication is real.
      prev_ = *t;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      return collect(s);
    }
    double busy = t->total > prev_->total ? static_cast<double>(t->busy - prev_->busy) / static_cast<double>(t->total - prev_->total)
                                          : 0.0;
    prev_ = *t;
    busy = std::clamp(busy, 0.0, 1.0);
    uint64_t freeCores = static_cast<uint64_t>(std::llround(static_cast<double>(cores) * (1.0 - busy)));
    s.set("cap.cpu", std::to_string(freeCores) + "/" + std::to_string(cores));
    if (auto load = parseLoadavg(readFile(root_ + "/loadavg"))) {
      double l = std::clamp(*load / static_cast<double>(cores), 0.0, 1.0);
      char buf[32];
      snprintf(buf, sizeof buf, "%.2f", l);
      s.set("cap.load", buf);
    }
    if (auto mem = parseMeminfo(readFile(root_ + "/meminfo")))
      s.set("cap.mem", std::to_string(mem->first) + "/" + std::to_string(mem->second));
    struct statvfs v;
    if (!disk_.empty() && statvfs(disk_.c_str(), &v) == 0)
      s.set("cap.disk", std::to_string(static_cast<uint64_t>(v.f_bavail) * v.f_frsize) + "/" +
                            std::to_string(static_cast<uint64_t>(v.f_blocks) * v.f_frsize));
    return {};
  }

 private:
  std::string name_ = "proc";
  std::string root_, disk_;
  std::optional<CpuTimes> prev_;
};

class GpuCollector : public Collector {
 public:
  GpuCollector(std::string command, double busyUtil, double busyMem, bool power)
      : command_(std::move(command)), busyUtil_(busyUtil), busyMem_(busyMem), power_(power) {}
  const std::string& name() const override { return name_; }
  Status collect(State& s) override {
    int st = 0;
    auto out = runCommand(command_, 5000, &st);
    if (!out) return out.error();
    if (st != 0) return makeError("\"" + command_ + "\" exited with status " + std::to_string(st));
    auto gpus = parseNvidiaSmiCsv(*out);
    if (!gpus) return gpus.error();
    if (gpus->empty()) return makeError("nvidia-smi listed no GPU");
    std::map<std::string, std::pair<uint64_t, uint64_t>> byModel;  // free, total
    double watts = 0;
    for (const auto& g : *gpus) {
      bool busy = g.util >= busyUtil_ ||
                  (g.memTotalMiB && 100.0 * static_cast<double>(g.memUsedMiB) / static_cast<double>(g.memTotalMiB) >= busyMem_);
      auto& m = byModel[g.model];
      m.second += 1;
      if (!busy) m.first += 1;
      if (g.powerW > 0) watts += g.powerW;
    }
    std::string list;
    for (const auto& [model, ft] : byModel)
      list += (list.empty() ? "" : ",") + model + ":" + std::to_string(ft.first) + "/" + std::to_string(ft.second);
    s.set("cap.gpu", list);
    if (power_ && watts > 0) s.set("energy.power", std::to_string(static_cast<uint64_t>(std::llround(watts))) + "W");
    return {};
  }

 private:
  std::string name_ = "gpu";
  std::string command_;
  double busyUtil_, busyMem_;
  bool power_;
};

class SlurmCollector : public Collector {
 public:
  explicit SlurmCollector(std::string partition) : partition_(std::move(partition)) {}
  const std::string& name() const override { return name_; }
  Status collect(State& s) override {
    std::string p = partition_.empty() ? "" : " -p '" + partition_ + "'";
    int st = 0;
    auto sinfo = runCommand("sinfo -h -o '%C %D %t'" + p, 5000, &st);
    if (!sinfo) return sinfo.error();
    if (st != 0) return makeError("sinfo exited with status " + std::to_string(st));
    auto squeue = runCommand("squeue -h -o '%T'" + p, 5000, &st);
    if (!squeue) return squeue.error();
    if (st != 0) return makeError("squeue exited with status " + std::to_string(st));
    auto r = parseSlurm(*sinfo, *squeue);
    if (!r) return r.error();
    s.set("cap.cpu", std::to_string(r->cpusIdle) + "/" + std::to_string(r->cpusTotal));
    s.set("cap.nodes", std::to_string(r->nodesIdle) + "/" + std::to_string(r->nodesTotal));
    s.set("cap.queue", std::to_string(r->pending));
    s.set("cap.running", std::to_string(r->running));
    if (r->cpusTotal) {
      char buf[32];
      snprintf(buf, sizeof buf, "%.2f", static_cast<double>(r->cpusAlloc) / static_cast<double>(r->cpusTotal));
      s.set("cap.load", buf);
    }
    if (!partition_.empty()) s.set("cap.part", partition_);
    return {};
  }

 private:
  std::string name_ = "slurm";
  std::string partition_;
};

class PowerCollector : public Collector {
 public:
  PowerCollector(std::string root, uint64_t fallbackW) : root_(std::move(root)), fallback_(fallbackW) {}
  const std::string& name() const override { return name_; }
  Status collect(State& s) override {
    // RAPL package domains (intel-rapl:N, not their sub-zones intel-rapl:N:M).
    uint64_t energy = 0, range = 0;
    int domains = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(root_, ec)) {
      std::string n = e.path().filename().string();
      if (n.rfind("intel-rapl:", 0) != 0 || n.find(':', 11) != std::string::npos) continue;
      bool ok = false;
      std::string uj = readFile(e.path().string() + "/energy_uj", &ok);
      if (!ok || uj.empty()) continue;
      energy += std::strtoull(uj.c_str(), nullptr, 10);
      range += std::strtoull(readFile(e.path().string() + "/max_energy_range_uj").c_str(), nullptr, 10);
      ++domains;
    }
    auto now = std::chrono::steady_clock::now();
    if (domains == 0) {
      if (!fallback_) return makeError("no readable RAPL counters under " + root_ + " and no fallback_watts");
      s.set("energy.power", std::to_string(fallback_) + "W");
      return {};
    }
    if (prevTime_) {
      double dt = std::chrono::duration<double>(now - *prevTime_).count();
      uint64_t delta = energy >= prevEnergy_ ? energy - prevEnergy_ : energy + range - prevEnergy_;  // wrapped
      if (dt > 0) s.set("energy.power", std::to_string(static_cast<uint64_t>(std::llround(static_cast<double>(delta) / 1e6 / dt))) + "W");
    } else if (fallback_) {
      s.set("energy.power", std::to_string(fallback_) + "W");
    }
    prevTime_ = now;
    prevEnergy_ = energy;
    return {};
  }

 private:
  std::string name_ = "power";
  std::string root_;
  uint64_t fallback_;
  std::optional<std::chrono::steady_clock::time_point> prevTime_;
  uint64_t prevEnergy_ = 0;
};

// GET http://HOST:PORT/PATH on loopback or a LAN, with a time limit; returns the body.
Result<std::string> httpGet(const std::string& url, int timeoutMs) {
  if (url.rfind("http://", 0) != 0) return makeError(url + ": only http:// is supported here");
  std::string rest = url.substr(7);
  auto slash = rest.find('/');
  std::string hostPort = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  auto addr = net::parseHostPort(hostPort, 80);
  if (!addr) return addr.error();
  int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&*addr), net::addrLen(*addr)) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return makeError(url + ": " + why);
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + hostPort + "\r\nConnection: close\r\n\r\n";
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return makeError(url + ": send failed");
  }
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0 && resp.size() < (1 << 20)) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  auto sp = resp.find(' ');
  int code = sp == std::string::npos ? 0 : std::atoi(resp.c_str() + sp + 1);
  auto body = resp.find("\r\n\r\n");
  if (code != 200 || body == std::string::npos) return makeError(url + ": HTTP status " + std::to_string(code));
  return resp.substr(body + 4);
}

class RelayCollector : public Collector {
 public:
  explicit RelayCollector(std::string url) : url_(std::move(url)) {}
  const std::string& name() const override { return name_; }
  Status collect(State& s) override {
    auto body = httpGet(url_, 2000);
    if (!body) return body.error();
    auto j = nlohmann::json::parse(*body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return makeError(url_ + ": not a JSON object");
    for (const auto& [key, field] : {std::pair{"queued", "cap.queue"}, std::pair{"running", "cap.running"}}) {
      if (!j.contains(key)) continue;
      if (!j[key].is_number_unsigned()) return makeError(url_ + ": \"" + key + "\" is not a count");
      s.set(field, std::to_string(j[key].get<uint64_t>()));
    }
    return {};
  }

 private:
  std::string name_ = "relay";
  std::string url_;
};

class ExecCollector : public Collector {
 public:
  ExecCollector(std::string command, int timeoutMs) : command_(std::move(command)), timeoutMs_(timeoutMs) {}
  const std::string& name() const override { return name_; }
  Status collect(State& s) override {
    int st = 0;
    auto out = runCommand(command_, timeoutMs_, &st);
    if (!out) return out.error();
    if (st != 0) return makeError("\"" + command_ + "\" exited with status " + std::to_string(st));
    auto kv = parseKeyValues(*out);
    if (!kv) return makeError("\"" + command_ + "\": " + kv.error().message);
    for (const auto& [path, value] : *kv) {
      auto dot = path.find('.');
      const rrtypes::TypeDef* t = dot == std::string::npos ? nullptr : rrtypes::findType(path.substr(0, dot));
      if (!t || !t->key(path.substr(dot + 1)) || t->name == "NETQ" || t->name == "DATA") {
        log::warn("publisher.exec").kv("command", command_).kv("key", path).msg("not a <type>.<key> field; ignored");
        continue;
      }
      s.set(path, value);
    }
    return {};
  }

 private:
  std::string name_ = "exec";
  std::string command_;
  int timeoutMs_;
};

}  // namespace

std::unique_ptr<Collector> makeCollector(const nlohmann::json& j, const std::string& path) {
  ConfigNode c(j, path);
  std::string type = c.str("type");
  if (type == "proc") {
    c.checkKnown({"type", "proc_root", "disk_path"});
    return std::make_unique<ProcCollector>(c.str("proc_root", "/proc"), c.str("disk_path", "/"));
  }
  if (type == "gpu") {
    c.checkKnown({"type", "command", "busy_util_percent", "busy_mem_percent", "power"});
    return std::make_unique<GpuCollector>(
        c.str("command",
              "nvidia-smi --query-gpu=name,memory.total,memory.used,utilization.gpu,power.draw --format=csv,noheader,nounits"),
        c.number("busy_util_percent", 0, 100, 10), c.number("busy_mem_percent", 0, 100, 10), c.boolean("power", false));
  }
  if (type == "slurm") {
    c.checkKnown({"type", "partition"});
    return std::make_unique<SlurmCollector>(c.str("partition", ""));
  }
  if (type == "power") {
    c.checkKnown({"type", "powercap_root", "fallback_watts"});
    return std::make_unique<PowerCollector>(c.str("powercap_root", "/sys/class/powercap"),
                                            static_cast<uint64_t>(c.integer("fallback_watts", 0, 1LL << 40, 0)));
  }
  if (type == "relay") {
    c.checkKnown({"type", "url"});
    return std::make_unique<RelayCollector>(c.str("url"));
  }
  if (type == "exec") {
    c.checkKnown({"type", "command", "timeout_ms"});
    return std::make_unique<ExecCollector>(c.str("command"), static_cast<int>(c.integer("timeout_ms", 10, 600000, 5000)));
  }
  c.fail("type", "unknown collector \"" + type + "\" (proc, gpu, slurm, power, relay, exec)");
}

}  // namespace cdns::publisher
