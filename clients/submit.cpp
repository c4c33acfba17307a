// cdns-submit: resolver -> the chosen center's relay (SRV) -> submit -> follow to the end.
#include "clients/submit.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cdns/cdns.h"
#include "clients/relay_client.h"

namespace cdns::clients {
namespace {

constexpr const char* kUsage = R"(usage: cdns-submit --service NAME [requirements] [options] -- COMMAND [ARG...]
       cdns-submit --service NAME [requirements] [options] JOBFILE
       cdns-submit status|cancel|logs [options] CENTER/JOBID

Asks the cdns resolver for the best center for a job, finds that center's relay
(_relay._tcp.<center>.centers.<zone> SRV), submits the job there, prints its state changes
(standard error) and its output as it runs, and exits with the job's exit status.

requirements (sent to the resolver; cpus, gpus, memory and time also go to the relay):
  --service NAME       the service to ask for ("train"); required to submit
  --gpus N | MODEL:N   GPUs ("4", "H200:4")        --cpus N     CPUs
  --mem SIZE           memory ("16G")              --time SECONDS   time limit
  --policy CHAIN       the resolver's policy chain ("price")
  --center NAME        this center (the resolver's manual policy must be in the chain)
  --req KEY=VALUE      any other requirement (peer=gz1, data=imagenet-2012); repeatable
job:
  -- COMMAND ARG...    the command to run
  JOBFILE              a JSON job as the relay takes it ({"name", "command" | "script",
                       "resources", "environment", "files"}), plus optional "service" and
                       "requirements" ({"policy": "price"}); flags override the file
  --name NAME          the job's name (default: the command's first word)
  --env KEY=VALUE      an environment variable of the job; repeatable
where:
  --resolver ADDR[:PORT]  the cdns resolver (default: $CDNS_RESOLVER, else the system's)
  --zone ZONE          the compute zone ("gba.example"; default: $CDNS_ZONE)
  --relay URL          skip DNS: use this relay ("http://127.0.0.1:8080")
  --relay-scheme S     auto (default: https; plain http only for a relay on a loopback
                       address that answers plain HTTP), https, or http
  --token TOKEN        the relay's bearer token (default: $CDNS_TOKEN)
  --ca FILE            CA certificates (PEM) for the relay's HTTPS
  --insecure           do not verify the relay's certificate
  --timeout SECONDS    per DNS try and per HTTP request (default 3 and 10)
output:
  --explain            print why the resolver chose that center (standard error)
  --detach             print CENTER/JOBID and return once the job is accepted
  --quiet              no state lines, only the job's output
  --json               status: the relay's job object as JSON
  --stderr             logs: the job's standard error instead of its standard output
  --follow             logs: keep reading until the job ends
  -h, --help           this text

subcommands (take the CENTER/JOBID that --detach prints; a bare JOBID with --relay):
  status   the job's state, exit status and times (exit status 0; 68 no such job)
  cancel   cancel it (0; 77 when it has already ended)
  logs     its output so far (or --follow it)

Exit status: the job's own when it ended with one; 124 it reached its time limit; 125 it ended
without one (killed); 130 it was cancelled; 64 bad arguments; 68 no such service, nothing fits,
no relay published, no such job; 69 the resolver or relay did not answer; 76 an answer that
cannot be used; 77 the resolver or the relay refused (token, limits, REFUSED).
)";

std::atomic<int> gInterrupts{0};

struct Args {
  std::string cmd = "submit";
  std::string service, policy, center, gpus, cpus, mem, time, name;
  std::vector<std::pair<std::string, std::string>> extra, env;
  std::vector<std::string> command;
  std::string jobFile, jobId;
  std::string resolver, zone, relayUrl, scheme = "auto", token, ca;
  bool insecure = false, explain = false, detach = false, quiet = false, json = false, stderrStream = false, follow = false;
  int timeoutS = 0;
};

int dnsExit(const client::Error& e) {
  switch (e.kind) {
    case client::Error::Kind::kBadArgument: return kExitUsage;
    case client::Error::Kind::kTimeout:
    case client::Error::Kind::kUnreachable: return kExitUnavailable;
    case client::Error::Kind::kRefused: return kExitRefused;
    case client::Error::Kind::kNotFound:
    case client::Error::Kind::kNoFit: return kExitNoCenter;
    case client::Error::Kind::kBadAnswer: return kExitProtocol;
  }
  return kExitProtocol;
}

int httpExit(int status) {
  if (status == 404) return kExitNoCenter;
  if (status >= 400 && status < 500) return kExitRefused;
  return kExitProtocol;
}

std::string errorText(const HttpReply& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  std::string b = r.body.substr(0, 200);
  while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
  return b;
}

// The running context: where the relay is and how to talk to it.
struct Session {
  const Args& a;
  std::ostream& out;
  std::ostream& err;
  std::unique_ptr<RelayClient> relay;
  std::string center;

  std::string shown(const std::string& id) const { return center.empty() ? id : center + "/" + id; }

  void note(const std::string& s) {
    if (!a.quiet) err << "cdns-submit: " << s << "\n";
  }

  client::Options dnsOptions() const {
    client::Options o;
    o.server = a.resolver;
    o.zone = a.zone;
    if (a.timeoutS > 0) o.timeoutMs = a.timeoutS * 1000;
    return o;
  }

  // The relay, from --relay or from the center's SRV record. Returns 0 or an exit status.
  int findRelay(const std::string& centerName) {
    center = centerName;
    RelayTarget t;
    if (!a.relayUrl.empty()) {
      auto p = RelayClient::parseUrl(a.relayUrl);
      if (!p) {
        err << "cdns-submit: " << p.error().message << "\n";
        return kExitUsage;
      }
      t = *p;
    } else {
      client::Client c(dnsOptions());
      auto r = c.findRelay(centerName);
      if (!r) {
        err << "cdns-submit: " << r.error().message << "\n";
        return dnsExit(r.error());
      }
      t.host = r->host;
      t.address = r->address;
      t.port = r->port;
      t.scheme = a.scheme;
    }
    t.caFile = a.ca;
    t.insecure = a.insecure;
    if (a.timeoutS > 0) t.timeoutS = a.timeoutS;
    relay = std::make_unique<RelayClient>(t);
    return 0;
  }

  // One API call; an unusable reply becomes an exit status with a message.
  int call(const std::string& method, const std::string& path, const std::string& body, HttpReply& reply,
           std::initializer_list<int> ok) {
    auto r = relay->request(method, path, a.token, body);
    if (!r) {
      err << "cdns-submit: relay " << (center.empty() ? "" : "of " + center + " (") << relay->url() << (center.empty() ? "" : ")")
          << ": " << r.error().message << "\n";
      return kExitUnavailable;
    }
    reply = *r;
    for (int s : ok)
      if (reply.status == s) return 0;
    err << "cdns-submit: relay " << relay->url() << " answered " << reply.status << ": " << errorText(reply) << "\n";
    return httpExit(reply.status);
  }

  // Reads a stream from `offset` on; writes what came to `to`. Returns 0 or an exit status.
  int drain(const std::string& id, const char* stream, uint64_t& offset, std::ostream& to) {
    HttpReply r;
    if (int rc = call("GET", "/v1/jobs/" + id + "/output?stream=" + stream + "&offset=" + std::to_string(offset), "", r, {200})) return rc;
    to << r.body << std::flush;
    std::string next = r.header("x-next-offset");
    offset = next.empty() ? offset + r.body.size() : std::strtoull(next.c_str(), nullptr, 10);
    return 0;
  }

  // Follows a job to its end: state changes, output, then the exit status the job earned.
  int follow(const std::string& id, const std::string& firstState) {
    std::string state = firstState;
    uint64_t outOff = 0, errOff = 0;
    int cancelAt = 0;  // interrupts seen when the cancel went out
    while (true) {
      if (cancelAt && gInterrupts.load() > cancelAt) {  // interrupted again: stop waiting
        note("not waiting for job " + shown(id) + " to end");
        return kExitJobCancelled;
      }
      if (gInterrupts.load() > 0 && !cancelAt) {
        cancelAt = gInterrupts.load();
        note("interrupted: cancelling job " + shown(id));
        HttpReply r;
        call("DELETE", "/v1/jobs/" + id, "", r, {202, 409});
      }
      HttpReply r;
      if (int rc = call("GET", "/v1/jobs/" + id, "", r, {200})) return rc;
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (!j.is_object() || !j.contains("state")) {
        err << "cdns-submit: the relay's job is not JSON: " << r.body.substr(0, 200) << "\n";
        return kExitProtocol;
      }
      std::string now = j["state"].get<std::string>();
      // Output first, so that what the job printed comes before its end.
      if (int rc = drain(id, "stdout", outOff, out)) return rc;
      if (int rc = drain(id, "stderr", errOff, err)) return rc;
      if (now != state) {
        state = now;
        std::string line = "job " + shown(id) + " " + state;
        if (j.contains("where") && state == "running") line += " (" + j.value("where", "") + ")";
        if (j.value("exit_code", -1) >= 0 && state != "running" && state != "pending")
          line += ", exit status " + std::to_string(j.value("exit_code", -1));
        if (j.contains("reason")) line += " (" + j.value("reason", "") + ")";
        note(line);
      }
      if (state == "completed" || state == "failed" || state == "cancelled" || state == "timeout") {
        int code = j.value("exit_code", -1);
        if (state == "completed") return 0;
        if (state == "timeout") return kExitJobTimeout;
        if (state == "cancelled") return kExitJobCancelled;
        return code >= 0 ? code : kExitJobKilled;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
};

std::string timeText(uint64_t t) {
  if (!t) return "-";
  time_t tt = static_cast<time_t>(t);
  char b[32];
  strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt));
  return b;
}

int parseArgs(const std::vector<std::string>& args, Args& a, std::ostream& out, std::ostream& err, bool& helped) {
  size_t i = 0;
  if (!args.empty() && (args[0] == "status" || args[0] == "cancel" || args[0] == "logs")) a.cmd = args[i++];
  std::vector<std::string> bare;
  for (; i < args.size(); ++i) {
    const std::string& s = args[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= args.size()) {
        err << "cdns-submit: " << s << " needs a value (see --help)\n";
        return false;
      }
      into = args[++i];
      return true;
    };
    auto pair = [&](std::vector<std::pair<std::string, std::string>>& into) {
      std::string v;
      if (!value(v)) return false;
      auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        err << "cdns-submit: " << s << " \"" << v << "\": expected KEY=VALUE\n";
        return false;
      }
      into.emplace_back(v.substr(0, eq), v.substr(eq + 1));
      return true;
    };
    bool ok = true;
    if (s == "-h" || s == "--help") {
      out << kUsage;
      helped = true;
      return 0;
    } else if (s == "--") {
      a.command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    } else if (s == "--service") ok = value(a.service);
    else if (s == "--gpus") ok = value(a.gpus);
    else if (s == "--cpus") ok = value(a.cpus);
    else if (s == "--mem") ok = value(a.mem);
    else if (s == "--time") ok = value(a.time);
    else if (s == "--policy") ok = value(a.policy);
    else if (s == "--center") ok = value(a.center);
    else if (s == "--req") ok = pair(a.extra);
    else if (s == "--name") ok = value(a.name);
    else if (s == "--env") ok = pair(a.env);
    else if (s == "--resolver") ok = value(a.resolver);
    else if (s == "--zone") ok = value(a.zone);
    else if (s == "--relay") ok = value(a.relayUrl);
    else if (s == "--relay-scheme") ok = value(a.scheme);
    else if (s == "--token") ok = value(a.token);
    else if (s == "--ca") ok = value(a.ca);
    else if (s == "--insecure") a.insecure = true;
    else if (s == "--explain") a.explain = true;
    else if (s == "--detach") a.detach = true;
    else if (s == "--quiet" || s == "-q") a.quiet = true;
    else if (s == "--json") a.json = true;
    else if (s == "--stderr") a.stderrStream = true;
    else if (s == "--follow" || s == "-f") a.follow = true;
    else if (s == "--timeout") {
      std::string v;
      ok = value(v);
      if (ok) a.timeoutS = std::atoi(v.c_str());
      if (ok && (a.timeoutS < 1 || a.timeoutS > 3600)) {
        err << "cdns-submit: --timeout \"" << v << "\": expected seconds 1..3600\n";
        ok = false;
      }
    } else if (!s.empty() && s[0] == '-') {
      err << "cdns-submit: unknown option " << s << " (see --help)\n";
      return kExitUsage;
    } else bare.push_back(s);
    if (!ok) return kExitUsage;
  }
  if (a.scheme != "auto" && a.scheme != "https" && a.scheme != "http") {
    err << "cdns-submit: --relay-scheme \"" << a.scheme << "\": expected auto, https or http\n";
    return kExitUsage;
  }
  if (a.token.empty())
    if (const char* t = std::getenv("CDNS_TOKEN")) a.token = t;
  if (a.cmd != "submit") {
    if (bare.size() != 1) {
      err << "cdns-submit " << a.cmd << ": expected one job id (CENTER/JOBID)\n";
      return kExitUsage;
    }
    a.jobId = bare[0];
  } else {
    if (bare.size() > 1 || (bare.size() == 1 && !a.command.empty())) {
      err << "cdns-submit: give either a job file or -- COMMAND, not both (see --help)\n";
      return kExitUsage;
    }
    if (bare.size() == 1) a.jobFile = bare[0];
    if (a.jobFile.empty() && a.command.empty()) {
      err << "cdns-submit: nothing to run: give -- COMMAND or a job file (see --help)\n";
      return kExitUsage;
    }
  }
  if (a.token.empty()) {
    err << "cdns-submit: no token for the relay: give --token or set CDNS_TOKEN\n";
    return kExitUsage;
  }
  return 0;
}

// The job body for the relay and the requirements for the resolver, from the file and the flags.
int buildJob(Args& a, nlohmann::json& job, client::Requirements& req, std::ostream& err) {
  job = nlohmann::json::object();
  nlohmann::json fileReq = nlohmann::json::object();
  if (!a.jobFile.empty()) {
    std::ifstream in(a.jobFile);
    if (!in) {
      err << "cdns-submit: cannot read " << a.jobFile << "\n";
      return kExitUsage;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    job = nlohmann::json::parse(ss.str(), nullptr, false);
    if (job.is_discarded() || !job.is_object()) {
      err << "cdns-submit: " << a.jobFile << ": not a JSON object\n";
      return kExitUsage;
    }
    if (job.contains("service")) {
      if (a.service.empty() && job["service"].is_string()) a.service = job["service"].get<std::string>();
      job.erase("service");
    }
    if (job.contains("requirements")) {
      fileReq = job["requirements"];
      job.erase("requirements");
      if (!fileReq.is_object()) {
        err << "cdns-submit: " << a.jobFile << ": \"requirements\" must be an object of strings\n";
        return kExitUsage;
      }
    }
  } else {
    job["command"] = a.command;
  }
  if (a.service.empty()) {
    err << "cdns-submit: --service is required (the service to ask the resolver for)\n";
    return kExitUsage;
  }
  if (!a.name.empty()) job["name"] = a.name;
  else if (!job.contains("name") && !a.command.empty()) job["name"] = a.command[0].substr(a.command[0].rfind('/') + 1);
  for (const auto& [k, v] : a.env) job["environment"][k] = v;
  nlohmann::json& res = job["resources"];
  if (!res.is_object()) res = nlohmann::json::object();
  auto count = [&](const std::string& flag, const std::string& v, uint64_t& n) {
    char* end = nullptr;
    n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || *end) {
      err << "cdns-submit: " << flag << " \"" << v << "\": expected a count\n";
      return false;
    }
    return true;
  };
  std::string gpuReq;
  if (!a.gpus.empty()) {
    uint64_t n = 0;
    std::string countText = a.gpus.substr(a.gpus.find(':') == std::string::npos ? 0 : a.gpus.find(':') + 1);
    if (!count("--gpus", countText, n)) return kExitUsage;
    res["gpus"] = n;
    gpuReq = a.gpus;
  } else if (res.contains("gpus") && res["gpus"].is_number_unsigned() && res["gpus"].get<uint64_t>() > 0) {
    gpuReq = std::to_string(res["gpus"].get<uint64_t>());
  }
  std::string cpuReq;
  if (!a.cpus.empty()) {
    uint64_t n = 0;
    if (!count("--cpus", a.cpus, n) || n == 0) {
      if (n == 0 && !a.cpus.empty()) err << "cdns-submit: --cpus must be at least 1\n";
      return kExitUsage;
    }
    res["cpus"] = n;
    cpuReq = a.cpus;
  } else if (res.contains("cpus") && res["cpus"].is_number_unsigned()) {
    cpuReq = std::to_string(res["cpus"].get<uint64_t>());
  }
  std::string memReq;
  if (!a.mem.empty()) {
    res["memory"] = a.mem;
    memReq = a.mem;
  } else if (res.contains("memory") && res["memory"].is_string()) {
    memReq = res["memory"].get<std::string>();
  } else if (res.contains("memory") && res["memory"].is_number_unsigned() && res["memory"].get<uint64_t>() > 0) {
    memReq = std::to_string(res["memory"].get<uint64_t>());
  }
  if (!a.time.empty()) {
    uint64_t n = 0;
    if (!count("--time", a.time, n)) return kExitUsage;
    res["time_limit"] = n;
  }
  if (res.empty()) job.erase("resources");
  // Requirements: the file's, then the flags (a flag replaces the same key).
  std::map<std::string, std::string> kv;
  std::vector<std::string> order;
  auto put = [&](const std::string& k, const std::string& v) {
    if (v.empty()) return;
    if (!kv.count(k)) order.push_back(k);
    kv[k] = v;
  };
  for (const auto& [k, v] : fileReq.items()) put(k, v.is_string() ? v.get<std::string>() : v.dump());
  put("gpu", gpuReq);
  put("cpu", cpuReq);
  put("mem", memReq);
  put("policy", a.policy);
  put("center", a.center);
  for (const auto& [k, v] : a.extra) put(k, v);
  for (const auto& k : order) req.emplace_back(k, kv[k]);
  return 0;
}

int submit(Args& a, std::ostream& out, std::ostream& err) {
  nlohmann::json job;
  client::Requirements req;
  if (int rc = buildJob(a, job, req, err)) return rc;
  Session s{a, out, err, nullptr, ""};
  std::string centerName;
  if (a.relayUrl.empty()) {
    client::Client c(s.dnsOptions());
    auto r = c.resolve(a.service, req, a.explain);
    if (a.explain && r && r->explanation) err << client::explanationTable(r->explanation->json);
    if (!r) {
      std::string what = r.error().kind == client::Error::Kind::kNoFit ? "no center for " + a.service + ": " : "";
      err << "cdns-submit: " << what << r.error().message << "\n";
      return dnsExit(r.error());
    }
    if (!a.center.empty() && r->center != a.center) {
      err << "cdns-submit: asked for center " << a.center << " but the resolver chose " << r->center
          << " (its policy chain has no manual policy?); nothing submitted\n";
      return kExitNoCenter;
    }
    centerName = r->center;
    std::string addrs;
    for (const auto& ad : r->addresses) addrs += (addrs.empty() ? "" : " ") + ad;
    s.note(a.service + " -> " + centerName + " (" + r->endpoint + (addrs.empty() ? "" : " " + addrs) + ")");
  } else {
    centerName = a.center;  // may be empty: the relay given is not named by a center
  }
  if (int rc = s.findRelay(centerName)) return rc;
  auto full = [&](const std::string& id) { return centerName.empty() ? id : centerName + "/" + id; };
  HttpReply reply;
  if (int rc = s.call("POST", "/v1/jobs", job.dump(), reply, {201})) return rc;
  auto j = nlohmann::json::parse(reply.body, nullptr, false);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) {
    err << "cdns-submit: the relay accepted the job but its answer has no id: " << reply.body.substr(0, 200) << "\n";
    return kExitProtocol;
  }
  std::string id = j["id"].get<std::string>();
  s.note("job " + full(id) + " submitted to " + s.relay->url() + ", " + j.value("state", "?"));
  if (a.detach) {
    out << full(id) << "\n";
    return 0;
  }
  return s.follow(id, j.value("state", ""));
}

int jobCommand(Args& a, std::ostream& out, std::ostream& err) {
  std::string centerName, id = a.jobId;
  if (auto slash = a.jobId.find('/'); slash != std::string::npos) {
    centerName = a.jobId.substr(0, slash);
    id = a.jobId.substr(slash + 1);
  } else if (a.relayUrl.empty()) {
    err << "cdns-submit " << a.cmd << ": \"" << a.jobId << "\": expected CENTER/JOBID (or a JOBID with --relay)\n";
    return kExitUsage;
  }
  if (id.empty() || id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") != std::string::npos) {
    err << "cdns-submit " << a.cmd << ": \"" << id << "\" is not a job id\n";
    return kExitUsage;
  }
  Session s{a, out, err, nullptr, ""};
  if (int rc = s.findRelay(centerName)) return rc;
  std::string full = (centerName.empty() ? "" : centerName + "/") + id;
  HttpReply r;
  if (a.cmd == "cancel") {
    if (int rc = s.call("DELETE", "/v1/jobs/" + id, "", r, {202})) return rc;
    // 202: the scheduler has been asked; the job may still be running for a moment.
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    std::string state = j.is_object() ? j.value("state", "?") : "?";
    if (state == "cancelled") out << "job " << full << " cancelled\n";
    else out << "job " << full << " " << state << ", cancel requested\n";
    return 0;
  }
  if (a.cmd == "logs") {
    uint64_t off = 0;
    if (!a.follow) return s.drain(id, a.stderrStream ? "stderr" : "stdout", off, out);
    while (true) {
      if (int rc = s.call("GET", "/v1/jobs/" + id, "", r, {200})) return rc;
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      std::string state = j.is_object() ? j.value("state", "") : "";
      if (int rc = s.drain(id, a.stderrStream ? "stderr" : "stdout", off, out)) return rc;
      if (state != "pending" && state != "running") return 0;
      if (gInterrupts.load() > 0) return kExitJobCancelled;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  // status
  if (int rc = s.call("GET", "/v1/jobs/" + id, "", r, {200})) return rc;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object()) {
    err << "cdns-submit: the relay's job is not JSON: " << r.body.substr(0, 200) << "\n";
    return kExitProtocol;
  }
  if (a.json) {
    out << j.dump(2) << "\n";
    return 0;
  }
  std::string state = j.value("state", "?");
  int code = j.value("exit_code", -1);
  out << "job        " << full << "\n"
      << "name       " << j.value("name", "") << "\n"
      << "state      " << state << (code >= 0 && state != "running" ? ", exit status " + std::to_string(code) : "")
      << (j.contains("reason") ? " (" + j.value("reason", "") + ")" : "") << "\n"
      << "where      " << j.value("where", "")
      << (j.value("where", "").rfind(j.value("backend", ""), 0) == 0 ? "" : " (" + j.value("backend", "") + ")") << "\n"
      << "submitted  " << timeText(j.value("submitted", uint64_t{0})) << "\n"
      << "started    " << timeText(j.value("started", uint64_t{0})) << "\n"
      << "ended      " << timeText(j.value("ended", uint64_t{0})) << "\n";
  if (j.contains("resources")) out << "resources  " << j["resources"].dump() << "\n";
  return 0;
}

}  // namespace

int runSubmit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Args a;
  bool helped = false;
  if (int rc = parseArgs(args, a, out, err, helped); rc || helped) return rc;
  // Ctrl-C while following: cancel the job, then report how it ended.
  struct sigaction sa{};
  sa.sa_handler = [](int) { gInterrupts.fetch_add(1); };
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return a.cmd == "submit" ? submit(a, out, err) : jobCommand(a, out, err);
}

}  // namespace cdns::clients
