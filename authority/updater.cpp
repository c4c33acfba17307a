// The single writer of the dynamic zones: updates, leases, journal, publication.
#include "authority/updater.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>

#include "authority/update.h"
#include "common/dns.h"
#include "common/log.h"
#include "common/msg_writer.h"
#include "rrtypes/zone_loader.h"

namespace cdns::authority {
namespace {

uint64_t now() { return static_cast<uint64_t>(time(nullptr)); }

std::string leaseKey(const Record& r) {
  return r.owner + '\0' + std::to_string(r.type) + '\0' + r.rdata;
}

size_t refusalSlot(const std::string& reason) {
  if (reason == "policy") return 0;
  if (reason == "prerequisite") return 1;
  if (reason == "notzone") return 2;
  if (reason == "journal") return 4;
  if (reason == "malformed" || reason.find("count") != std::string::npos || reason.find("type") != std::string::npos ||
      reason.find("class") != std::string::npos || reason.find("TTL") != std::string::npos ||
      reason.find("rdata") != std::string::npos || reason == "update" || reason == "zone name")
    return 3;
  return 5;
}

// A record as one master-file line (our types decoded).
std::string recordText(const Record& r) { return rrtypes::rrToText(r.owner, r.type, r.ttl, r.rdata); }

}  // namespace

struct Updater::Dynamic {
  ZoneConfig cfg;
  std::shared_ptr<const Zone> zone;
  std::unique_ptr<Journal> journal;
  std::map<std::string, std::pair<Record, uint64_t>> leases;  // leaseKey -> record, expiry
  uint64_t lastWriteback = 0;
  uint32_t writtenSerial = 0;
};

Updater::Updater(Shared& shared, std::function<void(const std::string&)> onChanged)
    : shared_(shared), onChanged_(std::move(onChanged)) {}

Updater::~Updater() { stop(); }

Result<std::shared_ptr<const ZoneSet>> Updater::init(const Config& config, std::shared_ptr<const ZoneSet> zones) {
  auto out = std::make_shared<ZoneSet>(*zones);
  for (const auto& zc : config.zones) {
    if (!zc.dynamic()) continue;
    auto origin = dns::lowerName(*dns::nameFromText(zc.name));
    auto d = std::make_unique<Dynamic>();
    d->cfg = zc;
    d->zone = zones->share(origin);
    auto j = Journal::open(zc.journalPath());
    if (!j) return j.error();
    d->journal = std::move(*j);
    auto entries = d->journal->readAll();
    if (!entries) return entries.error();
    uint32_t fileSerial = d->zone->serial();
    size_t applied = 0;
    bool connected = entries->empty();
    for (const auto& c : *entries) {
      d->journal->remember(c);
      // Lease state is replayed from every entry, also those already in the zone file: a lease
      // outlives the write-back of the records it covers.
      for (const auto& l : c.leases) {
        if (l.expiry) d->leases[leaseKey(l.record)] = {l.record, l.expiry};
        else d->leases.erase(leaseKey(l.record));
      }
      if (c.to == fileSerial) connected = true;
      if (c.from != d->zone->serial() || c.from == c.to) continue;
      d->zone = d->zone->apply(c.removed, c.added);
      connected = true;
      ++applied;
    }
    if (!connected) {
      const auto& last = entries->back();
      if (serialGreater(fileSerial, last.to)) {
        // The operator edited the file past the journal: start a new history from the file.
        log::warn("authority.journal").kv("zone", zc.name).kv("file_serial", fileSerial).kv("journal_serial", last.to)
            .msg("zone file is newer than the journal; starting a new journal");
        if (auto st = d->journal->rewrite({}); !st) return st.error();
      } else {
        return makeError(zc.journalPath() + ": journal (serials " + std::to_string(entries->front().from) + ".." +
                         std::to_string(last.to) + ") does not connect to " + zc.file + " (serial " +
                         std::to_string(fileSerial) + ")");
      }
    }
    d->writtenSerial = fileSerial;
    d->lastWriteback = now();
    log::info("authority.journal").kv("zone", zc.name).kv("replayed", applied).kv("serial", d->zone->serial())
        .kv("leases", d->leases.size()).kv("journal_bytes", d->journal->fileBytes());
    stats_.journalBytes.fetch_add(d->journal->fileBytes(), std::memory_order_relaxed);
    out->add(d->zone);
    zones_[origin] = std::move(d);
  }
  return std::shared_ptr<const ZoneSet>(std::move(out));
}

void Updater::start() {
  if (!zones_.empty()) thread_ = std::thread([this] { run(); });
}

void Updater::stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [o, d] : zones_) writeback(*d);
}

void Updater::submit(std::unique_ptr<UpdateJob> job) {
  {
    std::lock_guard<std::mutex> g(mu_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void Updater::requestWriteback() {
  {
    std::lock_guard<std::mutex> g(mu_);
    writebackRequested_ = true;
  }
  cv_.notify_one();
}

void Updater::reload(const Config& config, std::shared_ptr<const ZoneSet> loaded) {
  {
    std::lock_guard<std::mutex> g(mu_);
    reload_ = std::make_unique<std::pair<Config, std::shared_ptr<const ZoneSet>>>(config, std::move(loaded));
  }
  cv_.notify_one();
}

std::vector<std::shared_ptr<const Changeset>> Updater::ixfrChain(std::string_view origin, uint32_t from, uint32_t to) {
  std::lock_guard<std::mutex> g(historyMu_);
  auto it = zones_.find(std::string(origin));
  if (it == zones_.end()) return {};
  return it->second->journal->chainFrom(from, to);
}

uint64_t Updater::nextLeaseExpiry() const {
  uint64_t next = 0;
  for (const auto& [o, d] : zones_)
    for (const auto& [k, v] : d->leases)
      if (!next || v.second < next) next = v.second;
  return next;
}

void Updater::run() {
  while (true) {
    std::vector<std::unique_ptr<UpdateJob>> jobs;
    bool writebackNow = false;
    std::unique_ptr<std::pair<Config, std::shared_ptr<const ZoneSet>>> reload;
    {
      std::unique_lock<std::mutex> lk(mu_);
      uint64_t next = nextLeaseExpiry();
      auto wake = std::chrono::system_clock::now() + std::chrono::seconds(1);
      if (next) wake = std::min(wake, std::chrono::system_clock::time_point(std::chrono::seconds(next)));
      cv_.wait_until(lk, wake, [&] { return stop_ || !queue_.empty() || writebackRequested_ || reload_; });
      if (stop_) {
        for (auto& j : queue_) jobs.push_back(std::move(j));
        queue_.clear();
      }
      // Group commit: everything queued now goes into one batch and one fsync per zone.
      while (!queue_.empty() && jobs.size() < 1024) {
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      writebackNow = writebackRequested_;
      writebackRequested_ = false;
      reload = std::move(reload_);
    }
    if (reload) {
      std::vector<std::string> changed;
      for (auto& [origin, d] : zones_) {
        auto fresh = reload->second->share(origin);
        if (fresh && serialGreater(fresh->serial(), d->zone->serial())) {
          log::info("authority.reload").kv("zone", d->cfg.name).kv("serial", fresh->serial())
              .msg("zone file is newer than the updated zone: taking the file, restarting the journal");
          d->zone = fresh;
          d->leases.clear();
          std::lock_guard<std::mutex> g(historyMu_);
          if (auto st = d->journal->rewrite({}); !st) log::error("authority.journal").kv("error", st.error().message);
          changed.push_back(origin);
        }
        for (const auto& zc : reload->first.zones)
          if (zc.name == d->cfg.name) {
            auto keep = d->cfg.journal;
            d->cfg = zc;
            d->cfg.journal = keep;
          }
      }
      publish(changed);
    }
    if (!jobs.empty() || nextLeaseExpiry()) processBatch(jobs);
    uint64_t t = now();
    for (auto& [o, d] : zones_)
      if (writebackNow || (d->cfg.writebackSeconds && t - d->lastWriteback >= d->cfg.writebackSeconds)) writeback(*d);
    if (stop_) {
      std::lock_guard<std::mutex> g(mu_);
      if (queue_.empty()) return;
    }
  }
}

bool Updater::expireLeases(uint64_t t, std::map<std::string, std::vector<Changeset>>& pending) {
  bool any = false;
  for (auto& [origin, d] : zones_) {
    std::vector<Record> removed;
    std::vector<LeaseEntry> cleared;
    for (auto it = d->leases.begin(); it != d->leases.end();) {
      if (it->second.second > t) {
        ++it;
        continue;
      }
      const Record& r = it->second.first;
      const Node* n = d->zone->find(r.owner);
      const RRset* s = n ? n->find(r.type) : nullptr;
      if (s && std::find(s->rdata.begin(), s->rdata.end(), r.rdata) != s->rdata.end())
        removed.push_back(Record{r.owner, r.type, s->ttl, r.rdata});
      cleared.push_back(LeaseEntry{r, 0});
      it = d->leases.erase(it);
    }
    if (cleared.empty()) continue;
    any = true;
    stats_.leaseExpiries.inc(cleared.size());
    Changeset c;
    c.from = d->zone->serial();
    c.time = t;
    c.leases = std::move(cleared);
    if (!removed.empty()) {
      const RRset& soa = d->zone->soa();
      Record oldSoa{origin, dns::kSOA, soa.ttl, soa.rdata[0]};
      uint32_t next = c.from + 1;
      if (next == 0) next = 1;
      Record newSoa = oldSoa;
      newSoa.rdata = dns::withSoaSerial(newSoa.rdata, next);
      removed.insert(removed.begin(), oldSoa);
      c.removed = removed;
      c.added = {newSoa};
      d->zone = d->zone->apply(c.removed, c.added);
      log::info("authority.lease").kv("zone", d->cfg.name).kv("expired", c.removed.size() - 1).kv("serial", next);
    }
    c.to = d->zone->serial();
    pending[origin].push_back(std::move(c));
  }
  return any;
}

void Updater::processBatch(std::vector<std::unique_ptr<UpdateJob>>& jobs) {
  struct Answer {
    uint16_t rcode;
    std::optional<uint32_t> lease;
    std::string origin;  // set when the job changed a zone (needs the journal to succeed)
  };
  std::vector<Answer> answers(jobs.size());
  std::map<std::string, std::vector<Changeset>> pending;
  std::map<std::string, std::shared_ptr<const Zone>> before;
  for (auto& [o, d] : zones_) before[o] = d->zone;
  uint64_t t = now();
  for (size_t i = 0; i < jobs.size(); ++i) {
    UpdateJob& job = *jobs[i];
    WireReader r(job.msg.data(), job.msg.size());
    r.skip(dns::kHeaderSize);
    uint8_t zname[dns::kMaxName];
    auto zlen = dns::readName(r, zname);
    Answer& a = answers[i];
    if (!zlen) {
      a.rcode = dns::kFormErr;
      stats_.refused[3].inc();
      continue;
    }
    dns::lowerName(zname, *zlen);
    auto it = zones_.find(std::string(reinterpret_cast<char*>(zname), *zlen));
    if (it == zones_.end()) {
      a.rcode = dns::kNotAuth;
      stats_.refused[5].inc();
      continue;
    }
    Dynamic& d = *it->second;
    UpdateRequest req{job.msg.data(), job.msg.size(), job.tsig.key ? job.tsig.key->name : ""};
    UpdateResult res = processUpdate(req, *d.zone, d.cfg.updateRules, d.cfg.lease);
    a.rcode = res.rcode;
    a.lease = res.lease;
    if (res.rcode != dns::kNoError) {
      stats_.refused[refusalSlot(res.reason)].inc();
      log::info("authority.update").kv("zone", d.cfg.name).kv("key", req.keyName).kv("rcode", dns::rcodeToText(res.rcode))
          .kv("reason", res.reason);
      continue;
    }
    Changeset c;
    c.from = d.zone->serial();
    c.time = t;
    // Leases: the records this update adds carry its lease; without one they hold no lease.
    for (const auto& rec : res.leased) {
      std::string k = leaseKey(rec);
      if (res.lease) {
        d.leases[k] = {rec, t + *res.lease};
        c.leases.push_back(LeaseEntry{rec, t + *res.lease});
      } else if (d.leases.erase(k)) {
        c.leases.push_back(LeaseEntry{rec, 0});
      }
    }
    for (const auto& rec : res.removed)
      if (rec.type != dns::kSOA && d.leases.erase(leaseKey(rec))) c.leases.push_back(LeaseEntry{rec, 0});
    if (res.removed.empty() && res.added.empty() && c.leases.empty()) {
      stats_.unchanged.inc();
      continue;
    }
    if (!res.removed.empty() || !res.added.empty()) {
      // SOA records first, as IXFR lays them out (RFC 1995 §4).
      std::stable_partition(res.removed.begin(), res.removed.end(), [](const Record& x) { return x.type == dns::kSOA; });
      std::stable_partition(res.added.begin(), res.added.end(), [](const Record& x) { return x.type == dns::kSOA; });
      d.zone = d.zone->apply(res.removed, res.added);
    }
    c.to = d.zone->serial();
    c.removed = std::move(res.removed);
    c.added = std::move(res.added);
    pending[it->first].push_back(std::move(c));
    a.origin = it->first;
    stats_.accepted.inc();
    log::debug("authority.update").kv("zone", d.cfg.name).kv("key", req.keyName).kv("serial", d.zone->serial());
  }
  expireLeases(t, pending);
  // One fsync per zone for the whole batch; nothing is answered before it is durable.
  std::vector<std::string> changed;
  std::map<std::string, bool> failed;
  for (auto& [origin, changes] : pending) {
    Dynamic& d = *zones_[origin];
    Status st;
    {
      std::lock_guard<std::mutex> g(historyMu_);
      st = d.journal->append(changes);
    }
    if (!st) {
      log::error("authority.journal").kv("zone", d.cfg.name).kv("error", st.error().message)
          .msg("journal write failed; the batch is refused");
      d.zone = before[origin];
      failed[origin] = true;
      continue;
    }
    changed.push_back(origin);
  }
  uint64_t total = 0;
  for (auto& [o, d] : zones_) total += d->journal->fileBytes();
  stats_.journalBytes.store(total, std::memory_order_relaxed);
  if (!changed.empty()) publish(changed);
  if (!pending.empty()) stats_.batches.inc();

  // Answer: header, zone section echoed, OPT (with the granted lease), TSIG.
  for (size_t i = 0; i < jobs.size(); ++i) {
    UpdateJob& job = *jobs[i];
    Answer& a = answers[i];
    if (!a.origin.empty() && failed.count(a.origin)) {
      a.rcode = dns::kServFail;
      stats_.refused[4].inc();
    }
    std::vector<uint8_t> out(512);
    dns::MessageWriter w(out.data(), out.size());
    uint8_t hdr[dns::kHeaderSize] = {};
    std::memcpy(hdr, job.msg.data(), 2);
    uint16_t flags = static_cast<uint16_t>(dns::kFlagQR | (dns::kOpUpdate << 11) | (a.rcode & 0xF));
    dns::put16(hdr + 2, flags);
    w.raw(hdr, sizeof hdr);
    WireReader r(job.msg.data(), job.msg.size());
    r.skip(dns::kHeaderSize);
    uint8_t zname[dns::kMaxName];
    auto zlen = dns::readName(r, zname);
    if (zlen && r.remaining() >= 4) {
      w.raw(zname, *zlen);
      w.raw(job.msg.data() + r.offset(), 4);
      dns::put16(out.data() + 4, 1);
    }
    if (job.ednsRequest) {
      uint8_t opt[19] = {0, 0, dns::kOPT, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
      size_t len = 11;
      if (a.lease && a.rcode == dns::kNoError) {
        dns::put16(opt + 9, 8);
        dns::put16(opt + 11, 2);  // RFC 9664 §4: the granted lease
        dns::put16(opt + 13, 4);
        dns::put32(opt + 15, *a.lease);
        len = 19;
      }
      w.raw(opt, len);
      dns::put16(out.data() + 10, 1);
    }
    out.resize(w.size());
    if (job.tsig.present) (void)tsig::signResponse(out, job.tsig, now());
    job.reply(std::move(out));
  }
}

void Updater::publish(const std::vector<std::string>& changed) {
  if (changed.empty()) return;
  shared_.store.modify([&](ZoneSet& set) {
    for (const auto& origin : changed) set.add(zones_[origin]->zone);
  });
  for (const auto& origin : changed) onChanged_(origin);
}

void Updater::writeback(Dynamic& d) {
  d.lastWriteback = now();
  if (d.zone->serial() == d.writtenSerial) return;
  std::string tmp = d.cfg.file + ".tmp";
  {
    std::ofstream out(tmp);
    out << "; " << d.cfg.name << " written by cdns-authority at serial " << d.zone->serial() << "\n";
    out << "$ORIGIN " << d.zone->originText() << "\n";
    for (const auto& r : d.zone->records()) out << recordText(r) << "\n";
    out.flush();
    if (!out) {
      log::error("authority.writeback").kv("file", tmp).msg("cannot write");
      return;
    }
  }
  int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd >= 0) {
    fsync(fd);
    ::close(fd);
  }
  if (std::rename(tmp.c_str(), d.cfg.file.c_str()) != 0) {
    log::error("authority.writeback").kv("file", d.cfg.file).kv("error", std::strerror(errno));
    return;
  }
  {
    std::string dir = d.cfg.file.find('/') == std::string::npos ? "." : d.cfg.file.substr(0, d.cfg.file.rfind('/'));
    int dfd = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
      fsync(dfd);  // the rename itself must be durable
      ::close(dfd);
    }
  }
  d.writtenSerial = d.zone->serial();
  // Keep only the IXFR history in the journal (older changes now live in the file), plus one
  // entry holding every live lease, so leases survive the history being trimmed.
  {
    std::lock_guard<std::mutex> g(historyMu_);
    auto keep = d.journal->historyCopy();
    Changeset leases;
    leases.from = leases.to = d.zone->serial();
    leases.time = now();
    for (const auto& [k, v] : d.leases) leases.leases.push_back(LeaseEntry{v.first, v.second});
    if (!leases.leases.empty()) keep.push_back(std::move(leases));
    if (auto st = d.journal->rewrite(keep); !st) log::error("authority.journal").kv("error", st.error().message);
  }
  log::info("authority.writeback").kv("zone", d.cfg.name).kv("serial", d.writtenSerial).kv("file", d.cfg.file);
}

}  // namespace cdns::authority
