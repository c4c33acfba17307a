// The publisher's loop.
#include "publisher/publisher.h"

#include <arpa/inet.h>
#include <signal.h>

#include <cmath>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/dns.h"
#include "common/log.h"
#include "rrtypes/rdata.h"
#include "rrtypes/registry.h"
#include "rrtypes/zone_loader.h"

namespace cdns::publisher {
namespace {

uint64_t now() { return static_cast<uint64_t>(time(nullptr)); }

std::string addressRdata(const std::string& a, uint16_t& type) {
  uint8_t buf[16];
  if (inet_pton(AF_INET, a.c_str(), buf) == 1) {
    type = dns::kA;
    return std::string(reinterpret_cast<char*>(buf), 4);
  }
  inet_pton(AF_INET6, a.c_str(), buf);
  type = dns::kAAAA;
  return std::string(reinterpret_cast<char*>(buf), 16);
}

// Reads the calibrated TIER fields kept by --calibrate.
void loadTier(const std::string& file, State& s) {
  if (file.empty()) return;
  std::ifstream in(file);
  if (!in) return;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.value().is_string()) s.set("tier." + it.key(), it.value().get<std::string>());
}

}  // namespace

std::string Publisher::wire(const std::string& name) const { return dns::lowerName(*dns::nameFromText(name)); }

State Publisher::collect() {
  State s = c_.staticState;
  loadTier(c_.calibration.tierFile, s);
  for (auto& col : c_.collectors) {
    Status st = col->collect(s);
    bool wasFailing = failing_[col->name()];
    if (!st && !wasFailing) {
      log::warn("publisher.collect").kv("collector", col->name()).kv("error", st.error().message).msg("source unavailable; skipped");
    } else if (st && wasFailing) {
      log::info("publisher.collect").kv("collector", col->name()).msg("source is back");
    }
    failing_[col->name()] = !st;
  }
  for (const auto& o : o_.overrides) (void)applyOverride(s, o);
  return s;
}

std::vector<UpdateOp> Publisher::updateFor(const RecordSet& records, const std::vector<std::string>& types,
                                           bool withServices) const {
  std::vector<UpdateOp> ops;
  std::string owner = wire(c_.centerOwner());
  for (const auto& type : types) {
    const rrtypes::TypeDef* t = rrtypes::findType(type);
    ops.push_back(UpdateOp{UpdateOp::Kind::kDeleteRRset, owner, t->code, 0, ""});
    auto it = records.find(type);
    if (it == records.end()) continue;
    for (const auto& r : it->second)
      ops.push_back(UpdateOp{UpdateOp::Kind::kAdd, owner, t->code, c_.ttl, std::string(r.wire.begin(), r.wire.end())});
  }
  if (withServices) {
    for (const auto& svc : c_.services) {
      std::string endpoint = wire(svc.name + "." + c_.centerOwner());
      for (const auto& a : svc.addresses) {
        uint16_t type;
        std::string rd = addressRdata(a, type);
        ops.push_back(UpdateOp{UpdateOp::Kind::kAdd, endpoint, type, c_.ttl, rd});
      }
      ops.push_back(UpdateOp{UpdateOp::Kind::kAdd, wire(svc.name + ".svc." + c_.zone), dns::kPTR, c_.ttl, endpoint});
    }
    if (c_.relay) {
      std::string host = wire("relay." + c_.centerOwner());
      uint16_t type;
      std::string rd = addressRdata(c_.relay->address, type);
      ops.push_back(UpdateOp{UpdateOp::Kind::kAdd, host, type, c_.ttl, rd});
      std::string srv(6, '\0');  // priority 0, weight 0, port (RFC 2782)
      srv[4] = static_cast<char>(c_.relay->port >> 8);
      srv[5] = static_cast<char>(c_.relay->port & 0xFF);
      ops.push_back(UpdateOp{UpdateOp::Kind::kAdd, wire("_relay._tcp." + c_.centerOwner()), dns::kSRV, c_.ttl, srv + host});
    }
  }
  return ops;
}

std::string Publisher::describe(const std::vector<UpdateOp>& ops) const {
  std::ostringstream out;
  out << "zone " << c_.zone << "\n";
  for (const auto& op : ops) {
    std::string name = dns::nameToText(op.owner);
    std::string type = rrtypes::findType(op.type) ? std::string(rrtypes::findType(op.type)->name) : dns::typeToText(op.type);
    if (op.kind == UpdateOp::Kind::kDeleteRRset) {
      out << "update delete " << name << " " << type << "\n";
      continue;
    }
    // Presentation form of the record through the same printer as the zone tools.
    std::string text = rrtypes::rrToText(op.owner, op.type, op.ttl, op.rdata);
    for (auto& ch : text)
      if (ch == '\t') ch = ' ';
    out << (op.kind == UpdateOp::Kind::kAdd ? "update add " : "update delete ") << text << "\n";
  }
  if (c_.leaseSeconds) out << "; lease " << c_.leaseSeconds << " s (RFC 9664)\n";
  out << "send\n";
  return out.str();
}

bool Publisher::publish(const std::vector<UpdateOp>& ops, const char* why) {
  if (o_.dryRun) {
    std::cout << describe(ops);
    return true;
  }
  SendOptions so{c_.primaries, c_.timeoutMs, c_.attempts, 200};
  std::optional<uint32_t> lease;
  if (c_.leaseSeconds) lease = c_.leaseSeconds;
  auto r = sendUpdate(wire(c_.zone), ops, lease, c_.key, so);
  if (!r) {
    log::error("publisher.send").kv("why", why).kv("error", r.error().message).msg("update not published");
    return false;
  }
  if (r->rcode != dns::kNoError) {
    log::error("publisher.send").kv("why", why).kv("primary", r->primary).kv("rcode", dns::rcodeToText(r->rcode))
        .msg("the authority refused the update");
    return false;
  }
  log::info("publisher.send").kv("why", why).kv("primary", r->primary).kv("records", ops.size())
      .kv("lease", r->lease ? std::to_string(*r->lease) : std::string("none"));
  return true;
}

void Publisher::withdraw() {
  std::string owner = wire(c_.centerOwner());
  std::vector<UpdateOp> ops;
  if (c_.withdraw == "zero") {
    // Keep the record, with nothing free: no new work comes, and totals stay visible.
    State s = lastState_;
    auto zeroFree = [&](const char* path) {
      auto v = s.get(path);
      if (!v) return;
      auto slash = v->find('/');
      if (slash != std::string::npos) s.set(path, "0/" + v->substr(slash + 1));
    };
    for (const char* p : {"cap.cpu", "cap.mem", "cap.nodes", "cap.disk"}) zeroFree(p);
    if (auto g = s.get("cap.gpu")) {
      std::string out, item;
      std::istringstream in(*g);
      while (std::getline(in, item, ',')) {
        auto colon = item.find(':'), slash = item.find('/');
        if (colon != std::string::npos && slash != std::string::npos)
          out += (out.empty() ? "" : ",") + item.substr(0, colon + 1) + "0" + item.substr(slash);
      }
      s.set("cap.gpu", out);
    }
    s.set("cap.load", "1");
    auto records = buildRecords(s, now());
    if (records) ops = updateFor(*records, {"CAP"}, false);
  } else {
    ops.push_back(UpdateOp{UpdateOp::Kind::kDeleteRRset, owner, 65281, 0, ""});
  }
  // Either way the services stop pointing here.
  for (const auto& svc : c_.services)
    ops.push_back(UpdateOp{UpdateOp::Kind::kDeleteRR, wire(svc.name + ".svc." + c_.zone), dns::kPTR, 0,
                           wire(svc.name + "." + c_.centerOwner())});
  c_.leaseSeconds = 0;  // a withdrawal holds no lease
  if (publish(ops, "withdraw")) log::info("publisher").kv("mode", c_.withdraw).msg("capacity withdrawn");
}

int Publisher::run() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  uint64_t lastPublish = 0;
  log::info("publisher").kv("center", c_.center).kv("zone", c_.zone).kv("collectors", c_.collectors.size())
      .kv("interval", c_.intervalSeconds).kv("heartbeat", c_.heartbeatSeconds).kv("lease", c_.leaseSeconds);
  while (true) {
    State s = collect();
    uint64_t t = now();
    auto records = buildRecords(s, t);
    if (!records) {
      log::error("publisher").kv("error", records.error().message).msg("cannot build records; nothing published");
      if (o_.once || o_.dryRun) return 1;
    } else {
      bool heartbeat = !published_ || t - lastPublish >= c_.heartbeatSeconds;
      std::vector<std::string> types;
      if (heartbeat) {
        for (const auto& [type, list] : *records) types.push_back(type);
      } else {
        types = changedTypes(lastState_, s, c_.thresholds);
      }
      if (!types.empty()) {
        bool ok = publish(updateFor(*records, types, heartbeat), heartbeat ? (published_ ? "heartbeat" : "start") : "change");
        if (ok) {
          // What was published is the reference for the next comparison, field by field.
          for (const auto& type : types) {
            std::string prefix = type;
            for (auto& ch : prefix) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            prefix += '.';
            for (auto it = lastState_.fields.begin(); it != lastState_.fields.end();)
              it = it->first.rfind(prefix, 0) == 0 ? lastState_.fields.erase(it) : std::next(it);
            for (const auto& [k, v] : s.fields)
              if (k.rfind(prefix, 0) == 0) lastState_.fields[k] = v;
            if (type == "NETQ") lastState_.netq = s.netq;
            if (type == "DATA") lastState_.data = s.data;
          }
          published_ = true;
          if (heartbeat) lastPublish = t;
        }
        if (o_.once || o_.dryRun) return ok ? 0 : 1;
      } else if (o_.once || o_.dryRun) {
        return 0;
      }
    }
    timespec wait{static_cast<time_t>(c_.intervalSeconds),
                  static_cast<long>((c_.intervalSeconds - std::floor(c_.intervalSeconds)) * 1e9)};
    int sig = sigtimedwait(&set, nullptr, &wait);
    if (sig == SIGHUP) {
      log::info("publisher").msg("SIGHUP: publishing everything now");
      published_ = false;
    } else if (sig == SIGTERM || sig == SIGINT) {
      log::info("publisher").kv("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT").msg("stopping");
      withdraw();
      return 0;
    }
  }
}

int Publisher::calibrate() {
  const Calibration& cal = c_.calibration;
  if (cal.command.empty()) {
    std::cerr << "cdns-publish: --calibrate needs \"calibrate\" in the configuration\n";
    return 2;
  }
  log::info("publisher.calibrate").kv("command", cal.command).msg("running the benchmark");
  int st = 0;
  auto out = runCommand(cal.command, 3600 * 1000, &st);
  if (!out || st != 0) {
    std::cerr << "cdns-publish: calibrate: " << (out ? "exit status " + std::to_string(st) : out.error().message) << "\n";
    return 1;
  }
  // The figure: a JSON member, or a key=value line.
  std::optional<double> score;
  auto j = nlohmann::json::parse(*out, nullptr, false);
  if (j.is_object() && j.contains(cal.metric) && j[cal.metric].is_number()) score = j[cal.metric].get<double>();
  if (!score)
    if (auto kv = parseKeyValues(*out))
      for (const auto& [k, v] : *kv)
        if (k == cal.metric) score = std::strtod(v.c_str(), nullptr);
  if (!score) {
    std::cerr << "cdns-publish: calibrate: the benchmark printed no \"" << cal.metric << "\"\n";
    return 1;
  }
  std::vector<Grade> grades = cal.grades;
  std::sort(grades.begin(), grades.end(), [](const Grade& a, const Grade& b) { return a.min > b.min; });
  std::string cls;
  for (const auto& g : grades)
    if (*score >= g.min) {
      cls = g.cls;
      break;
    }
  if (cls.empty()) {
    std::cerr << "cdns-publish: calibrate: score " << *score << " is below every grade\n";
    return 1;
  }
  char scoreText[64];
  snprintf(scoreText, sizeof scoreText, "%.3f", std::floor(*score * 1000) / 1000);
  std::string sc = scoreText;
  while (sc.back() == '0') sc.pop_back();
  if (sc.back() == '.') sc.pop_back();
  nlohmann::json tier{{"class", cls}, {"score", sc}, {"bench", cal.bench}, {"unit", cal.unit}};
  if (!cal.tierFile.empty()) {
    std::ofstream f(cal.tierFile);
    f << tier.dump(2) << "\n";
  }
  State s;
  for (auto it = tier.begin(); it != tier.end(); ++it) s.set("tier." + it.key(), it.value().get<std::string>());
  auto records = buildRecords(s, now());
  if (!records) {
    std::cerr << "cdns-publish: calibrate: " << records.error().message << "\n";
    return 1;
  }
  std::cout << "TIER " << records->at("TIER")[0].rdata << "\n";
  return publish(updateFor(*records, {"TIER"}, false), "calibrate") ? 0 : 1;
}

}  // namespace cdns::publisher
