// Google Benchmark: one resolver decision (a four-stage chain: fits, fresh, load, price) over
// 10 to 10,000 candidate centers, with and without an explanation.
#include <benchmark/benchmark.h>

#include <string>

#include "resolver/index.h"
#include "resolver/policy.h"

using namespace cdns::resolver;

namespace {

std::vector<Center>& centers(size_t n) {
  static std::map<size_t, std::vector<Center>> cache;
  auto& v = cache[n];
  if (v.empty()) {
    v.resize(n);
    for (size_t i = 0; i < n; ++i) {
      Center& c = v[i];
      c.name = "c" + std::to_string(i);
      c.ts = 1795843200 - (i % 97);
      c.load = static_cast<double>((i * 37) % 100) / 100.0;
      c.queue = i % 13;
      c.cpuFree = 64 + (i * 11) % 1024;
      c.gpuFree = (i * 7) % 16;
      c.gpus.push_back({gpuModelKey("A100"), 0, 8, 7.0, "A100"});
      c.gpus.push_back({gpuModelKey("H200"), c.gpuFree, 16, 9.0 + static_cast<double>(i % 20), "H200"});
      c.gpuTotal = 24;
      c.cpuHour = 0.05 + static_cast<double>(i % 50) / 100.0;
      c.cpuTotal = 2048;
      c.id = static_cast<uint32_t>(i);
    }
  }
  return v;
}

void decide(benchmark::State& state, bool explain) {
  size_t n = static_cast<size_t>(state.range(0));
  auto& cs = centers(n);
  static Endpoint ep{"", "infer.example.", "", {}};
  std::vector<Candidate> cands;
  static std::map<size_t, std::vector<Hot>> hots;
  auto& hot = hots[n];
  if (hot.empty())
    for (const auto& c : cs) hot.push_back(Hot::of(c));
  for (size_t i = 0; i < cs.size(); ++i) cands.push_back(Candidate{&hot[i], &cs[i], &ep});
  PolicyRegistry reg;
  registerBuiltinPolicies(reg);
  auto chain = Chain::fromJson(nlohmann::json::parse(R"({"policies": [{"name": "fits"}, {"name": "fresh", "max_age": 60},
                                                                     {"name": "load"}, {"name": "price"}]})"),
                               reg);
  auto req = Requirements::parse({{"gpu", "H200:2"}});
  req->now = 1795843210;
  std::vector<Candidate> buffer;
  for (auto _ : state) {
    Explanation why;
    buffer.clear();  // filled as Index::candidates fills the answerer's buffer
    for (const auto& c : cands) buffer.push_back(c);
    auto d = (*chain)->decide(*req, buffer, explain ? &why : nullptr);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Decision(benchmark::State& s) { decide(s, false); }
void BM_DecisionExplained(benchmark::State& s) { decide(s, true); }

}  // namespace

BENCHMARK(BM_Decision)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK(BM_DecisionExplained)->Arg(10)->Arg(1000);
BENCHMARK_MAIN();
