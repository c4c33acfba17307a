// Google Benchmark: one resolver decision (a four-stage chain: fits, fresh, load, price) over
// 10 to 10,000 candidate centers of a zone, three ways:
//   BM_Decision          the whole chain over every candidate, as for a request of a new kind;
//   BM_DecisionServed    as the server decides: from the plan for the request's kind, with
//                        reservations on (every pick held, as an answer holds it; every 512
//                        decisions all holds end, as when the hold time passes, and the plan
//                        catches up: that cost is in the figure);
//   BM_DecisionExplained the whole chain with an explanation (every verdict in words).
#include <benchmark/benchmark.h>

#include <map>
#include <string>

#include "authority/zone.h"
#include "resolver/index.h"
#include "resolver/plan.h"
#include "resolver/policy.h"
#include "resolver/reservations.h"
#include "rrtypes/zone_loader.h"

using namespace cdns;
using namespace cdns::resolver;

namespace {

constexpr uint64_t kNow = 1795843210;

// `n` centers offering "infer", with spread figures: free H200s 0..15 (an eighth cannot take 2),
// loads, queues, prices and ts differ; each also lists A100s (none free).
std::shared_ptr<const Index> indexOf(size_t n) {
  static std::map<size_t, std::shared_ptr<const Index>> cache;
  auto& idx = cache[n];
  if (idx) return idx;
  std::string z = "$ORIGIN bench.example.\n$TTL 300\n@ SOA ns1 hm 1 3600 600 604800 300\n@ NS ns1\nns1 A 127.0.0.1\n";
  for (size_t i = 0; i < n; ++i) {
    std::string c = "c" + std::to_string(i) + ".centers";
    std::string ts = std::to_string(kNow - 10 - i % 97);
    z += c + " CAP cpu=" + std::to_string(64 + (i * 11) % 1024) + "/2048 gpu=A100:0/8,H200:" + std::to_string((i * 7) % 16) +
         "/16 mem=1T/4T load=0." + std::to_string((i * 37) % 100 / 10) + std::to_string((i * 37) % 10) +
         " queue=" + std::to_string(i % 13) + " ts=" + ts + "\n";
    z += c + " PRICE currency=CNY cpu-hour=" + std::to_string(0.05 + static_cast<double>(i % 50) / 100.0).substr(0, 4) +
         " gpu-hour=A100:7,H200:" + std::to_string(9 + i % 20) + " ts=" + ts + "\n";
    z += "infer." + c + " A 10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + "\n";
    z += "infer.svc PTR infer." + c + "\n";
  }
  auto file = rrtypes::loadZoneText(z, "bench.zone", "bench.example.");
  if (!file) throw std::runtime_error(file.error().message);
  auto zone = authority::Zone::build("bench.example.", file->records, "bench.zone");
  if (!zone) throw std::runtime_error(zone.error().message);
  idx = Index::build(**zone);
  if (idx->candidates("infer").size() != n) throw std::runtime_error("the zone lost centers");
  return idx;
}

std::unique_ptr<Chain> chain() {
  PolicyRegistry reg;
  registerBuiltinPolicies(reg);
  auto c = Chain::fromJson(nlohmann::json::parse(R"({"policies": [{"name": "fits"}, {"name": "fresh", "max_age": 60},
                                                                 {"name": "load"}, {"name": "price"}]})"),
                           reg);
  return std::move(*c);
}

Requirements request() {
  auto req = Requirements::parse({{"gpu", "H200:2"}});
  req->now = kNow;
  return *req;
}

void whole(benchmark::State& state, bool explain) {
  auto index = indexOf(static_cast<size_t>(state.range(0)));
  auto c = chain();
  Requirements req = request();
  std::vector<Candidate> buffer;
  for (auto _ : state) {
    Explanation why;
    index->candidates("infer", buffer);  // as the answerer fills its buffer
    auto d = c->decide(req, buffer, explain ? &why : nullptr);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Decision(benchmark::State& s) { whole(s, false); }
void BM_DecisionExplained(benchmark::State& s) { whole(s, true); }

void BM_DecisionServed(benchmark::State& state) {
  auto index = indexOf(static_cast<size_t>(state.range(0)));
  auto c = chain();
  Requirements req = request();
  Reservations held;
  held.follow(*index);
  req.held = held.table();
  Plans plans;
  uint64_t count = 0, epoch = kNow;
  for (auto _ : state) {
    auto d = plans.decide(index, "infer", *c, req, &held, 0);
    if (!d) {
      state.SkipWithError(d.error().message.c_str());
      break;
    }
    held.hold(*d->center, req, kNow, 1);
    if (++count % 512 == 0) held.expire(epoch += 100, 30);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_Decision)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK(BM_DecisionServed)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK(BM_DecisionExplained)->Arg(10)->Arg(1000);
BENCHMARK_MAIN();
