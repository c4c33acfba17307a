// Prometheus text rendering of the authority's counters.
#include "authority/metrics.h"

#include "authority/updater.h"
#include "authority/zone.h"
#include "common/dns.h"

namespace cdns::authority {
namespace {

void line(std::string& out, const std::string& name, const std::string& labels, uint64_t v) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += " " + std::to_string(v) + "\n";
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

std::string renderMetrics(const std::vector<const WorkerStats*>& workers, const ControlStats& control,
                          const ZoneSet& zones, const UpdaterStats* updates) {
  auto sum = [&](auto pick) {
    uint64_t s = 0;
    for (const auto* w : workers) s += pick(*w);
    return s;
  };
  std::string out;
  header(out, "cdns_authority_queries_total", "counter", "Requests answered, by transport.");
  const char* transports[] = {"udp", "tcp", "tls"};
  for (int t = 0; t < 3; ++t)
    line(out, "cdns_authority_queries_total", std::string("transport=\"") + transports[t] + "\"",
         sum([&](const WorkerStats& w) { return w.queries[t].get(); }));
  header(out, "cdns_authority_queries_by_type_total", "counter", "Requests by query type.");
  for (size_t i = 0; i < kTypeSlots; ++i) {
    std::string type = i < std::size(kCountedTypes) ? dns::typeToText(kCountedTypes[i]) : "other";
    if (i < std::size(kCountedTypes) && kCountedTypes[i] >= 65280) {
      static const char* ours[] = {"SITE", "CAP", "PRICE", "ENERGY", "NETQ", "DATA", "TIER"};
      type = ours[kCountedTypes[i] - 65280];
    }
    line(out, "cdns_authority_queries_by_type_total", "type=\"" + type + "\"",
         sum([&](const WorkerStats& w) { return w.byType[i].get(); }));
  }
  header(out, "cdns_authority_responses_total", "counter", "Responses by rcode.");
  for (size_t i = 0; i < kRcodeSlots; ++i) {
    uint64_t v = sum([&](const WorkerStats& w) { return w.byRcode[i].get(); });
    if (v || i <= 5) line(out, "cdns_authority_responses_total", "rcode=\"" + dns::rcodeToText(static_cast<uint16_t>(i)) + "\"", v);
  }
  header(out, "cdns_authority_responses_truncated_total", "counter", "UDP responses sent with TC set.");
  line(out, "cdns_authority_responses_truncated_total", "", sum([](const WorkerStats& w) { return w.truncated.get(); }));
  header(out, "cdns_authority_requests_dropped_total", "counter", "Requests not answered (responses, runts).");
  line(out, "cdns_authority_requests_dropped_total", "", sum([](const WorkerStats& w) { return w.dropped.get(); }));
  header(out, "cdns_authority_tcp_connections_total", "counter", "TCP and TLS connections, by outcome.");
  line(out, "cdns_authority_tcp_connections_total", "outcome=\"accepted\"", sum([](const WorkerStats& w) { return w.tcpAccepted.get(); }));
  line(out, "cdns_authority_tcp_connections_total", "outcome=\"refused\"", sum([](const WorkerStats& w) { return w.tcpRefused.get(); }));
  line(out, "cdns_authority_tcp_connections_total", "outcome=\"idle_timeout\"", sum([](const WorkerStats& w) { return w.tcpTimedOut.get(); }));
  header(out, "cdns_authority_tcp_connections_open", "gauge", "TCP and TLS connections open now.");
  int64_t open = 0;
  for (const auto* w : workers) open += w->tcpOpen.load(std::memory_order_relaxed);
  line(out, "cdns_authority_tcp_connections_open", "", static_cast<uint64_t>(open < 0 ? 0 : open));
  header(out, "cdns_authority_transfers_total", "counter", "Zone transfers out, by outcome.");
  line(out, "cdns_authority_transfers_total", "outcome=\"served\"", sum([](const WorkerStats& w) { return w.transfers.get(); }));
  line(out, "cdns_authority_transfers_total", "outcome=\"refused\"", sum([](const WorkerStats& w) { return w.transfersRefused.get(); }));
  header(out, "cdns_authority_notify_total", "counter", "NOTIFY messages sent, by outcome.");
  line(out, "cdns_authority_notify_total", "outcome=\"sent\"", control.notifySent.get());
  line(out, "cdns_authority_notify_total", "outcome=\"acked\"", control.notifyAcked.get());
  line(out, "cdns_authority_notify_total", "outcome=\"failed\"", control.notifyFailed.get());
  header(out, "cdns_authority_reloads_total", "counter", "Configuration and zone reloads, by outcome.");
  line(out, "cdns_authority_reloads_total", "outcome=\"ok\"", control.reloads.get());
  line(out, "cdns_authority_reloads_total", "outcome=\"failed\"", control.reloadFailures.get());
  header(out, "cdns_authority_zone_serial", "gauge", "SOA serial of each zone served.");
  for (const auto& [origin, z] : zones.all())
    line(out, "cdns_authority_zone_serial", "zone=\"" + z->originText() + "\"", z->serial());
  header(out, "cdns_authority_zone_records", "gauge", "Records in each zone served.");
  for (const auto& [origin, z] : zones.all())
    line(out, "cdns_authority_zone_records", "zone=\"" + z->originText() + "\"", z->recordCount());
  if (updates) {
    header(out, "cdns_authority_updates_total", "counter", "Dynamic updates (RFC 2136), by outcome.");
    line(out, "cdns_authority_updates_total", "outcome=\"accepted\"", updates->accepted.get());
    line(out, "cdns_authority_updates_total", "outcome=\"unchanged\"", updates->unchanged.get());
    for (size_t i = 0; i < std::size(kRefusalNames); ++i)
      line(out, "cdns_authority_updates_total", std::string("outcome=\"refused\",reason=\"") + kRefusalNames[i] + "\"",
           updates->refused[i].get());
    line(out, "cdns_authority_updates_total", "outcome=\"refused\",reason=\"unsigned\"",
         sum([](const WorkerStats& w) { return w.updateUnsigned.get(); }));
    line(out, "cdns_authority_updates_total", "outcome=\"refused\",reason=\"tsig\"",
         sum([](const WorkerStats& w) { return w.updateBadTsig.get(); }));
    line(out, "cdns_authority_updates_total", "outcome=\"refused\",reason=\"not_dynamic\"",
         sum([](const WorkerStats& w) { return w.updateNotDynamic.get(); }));
    header(out, "cdns_authority_update_batches_total", "counter", "Journal commits (one fsync each).");
    line(out, "cdns_authority_update_batches_total", "", updates->batches.get());
    header(out, "cdns_authority_lease_expiries_total", "counter", "Records removed because their lease ran out.");
    line(out, "cdns_authority_lease_expiries_total", "", updates->leaseExpiries.get());
    header(out, "cdns_authority_journal_bytes", "gauge", "Bytes in the update journals.");
    line(out, "cdns_authority_journal_bytes", "", updates->journalBytes.load(std::memory_order_relaxed));
  }
  return out;
}

}  // namespace cdns::authority
