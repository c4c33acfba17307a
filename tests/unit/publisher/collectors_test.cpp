// Unit tests: every collector's parser against recorded real output, and the collectors
// themselves against recorded files and commands.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <uv.h>

#include "common/config.h"
#include "common/http_server.h"
#include "publisher/collectors.h"

using namespace cdns;
using namespace cdns::publisher;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
const std::string kData = CDNS_TEST_DATA "/publisher";
}  // namespace

TEST(Proc, ParsesRecordedProcFiles) {
  auto t = parseProcStat(slurp(kData + "/proc/stat"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_GT(t->total, t->busy);
  EXPECT_GT(t->busy, 0u);
  auto mem = parseMeminfo(slurp(kData + "/proc/meminfo"));
  ASSERT_TRUE(mem.ok());
  EXPECT_GT(mem->second, mem->first);
  EXPECT_GT(mem->second, 1ULL << 30);
  EXPECT_DOUBLE_EQ(*parseLoadavg(slurp(kData + "/proc/loadavg")), 2.09);
  EXPECT_FALSE(parseProcStat("intr 1 2 3").ok());
  EXPECT_FALSE(parseMeminfo("Cached: 5 kB\n").ok());
}

TEST(Proc, CollectorSetsCapacityFields) {
  auto c = makeCollector(nlohmann::json{{"type", "proc"}, {"proc_root", kData + "/proc"}, {"disk_path", "/"}}, "/collectors/0");
  State s;
  ASSERT_TRUE(c->collect(s).ok());
  EXPECT_EQ(s.get("cap.cpu").value_or(""), "2/2");  // the same sample twice: nothing busy in between
  EXPECT_EQ(s.get("cap.load").value_or(""), "1.00");  // 2.09 on 2 cores, clamped
  EXPECT_TRUE(s.get("cap.mem").has_value());
  EXPECT_TRUE(s.get("cap.disk").has_value());
  auto missing = makeCollector(nlohmann::json{{"type", "proc"}, {"proc_root", "/nonexistent"}}, "/collectors/0");
  auto st = missing->collect(s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("/nonexistent/stat: cannot read"), std::string::npos);
}

TEST(Gpu, ParsesTheRecordedH200OutputInEveryForm) {
  std::string dir = CDNS_SHARED_FIXTURES;
  if (!std::filesystem::exists(dir + "/nvidia-smi-query.csv")) GTEST_SKIP() << "shared H200 fixtures not present";
  auto withHeader = parseNvidiaSmiCsv(slurp(dir + "/nvidia-smi-query.csv"));
  ASSERT_TRUE(withHeader.ok()) << withHeader.error().message;
  ASSERT_EQ(withHeader->size(), 1u);
  EXPECT_EQ((*withHeader)[0].model, "H200");
  EXPECT_EQ((*withHeader)[0].memTotalMiB, 143771u);
  EXPECT_EQ((*withHeader)[0].memUsedMiB, 0u);
  EXPECT_DOUBLE_EQ((*withHeader)[0].util, 0);
  EXPECT_DOUBLE_EQ((*withHeader)[0].powerW, 129.90);
  auto after = parseNvidiaSmiCsv(slurp(dir + "/nvidia-smi-after.csv"));
  ASSERT_TRUE(after.ok());
  EXPECT_DOUBLE_EQ((*after)[0].util, 1);
  EXPECT_FALSE((*after)[0].memTotalMiB);  // that query has no memory.total column: unknown
}

TEST(Gpu, CollectorGroupsByModelAndCountsFreeGpus) {
  auto c = makeCollector(nlohmann::json{{"type", "gpu"}, {"command", "cat " + kData + "/nvidia-smi-8gpu.csv"}, {"power", true}},
                         "/collectors/0");
  State s;
  ASSERT_TRUE(c->collect(s).ok());
  // H200: one busy by utilization (97 %), one by memory (20000/143771 = 14 %); A100: one busy by memory.
  EXPECT_EQ(s.get("cap.gpu").value_or(""), "A100-SXM4-80GB:1/2,H200:2/4");
  EXPECT_EQ(s.get("energy.power").value_or(""), "1398W");  // [N/A] power is left out
  auto bad = makeCollector(nlohmann::json{{"type", "gpu"}, {"command", "exit 9"}}, "/collectors/0");
  auto st = bad->collect(s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("exited with status 9"), std::string::npos);
  auto none = makeCollector(nlohmann::json{{"type", "gpu"}, {"command", "nvidia-smi-that-is-not-there"}}, "/collectors/0");
  EXPECT_NE(none->collect(s).error().message.find("command not found"), std::string::npos);
  EXPECT_EQ(gpuModel("NVIDIA GeForce RTX 4090"), "GeForce-RTX-4090");
}

TEST(Slurm, ParsesRecordedSinfoAndSqueue) {
  auto r = parseSlurm(slurp(kData + "/sinfo.txt"), slurp(kData + "/squeue.txt"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->cpusTotal, 2u);
  EXPECT_EQ(r->cpusIdle + r->cpusAlloc, 2u);
  EXPECT_EQ(r->nodesTotal, 1u);
  EXPECT_GT(r->pending + r->running, 0u);
  EXPECT_FALSE(parseSlurm("garbage\n", "").ok());
  auto idle = parseSlurm("0/2/0/2 1 idle\n", "");
  EXPECT_EQ(idle->nodesIdle, 1u);
  EXPECT_EQ(idle->pending, 0u);
}

TEST(Power, RaplCountersBecomeWattsAndFallbackWhenUnreadable) {
  std::string root = ::testing::TempDir() + "/powercap";
  std::filesystem::remove_all(root);
  std::filesystem::copy(kData + "/powercap", root, std::filesystem::copy_options::recursive);
  auto c = makeCollector(nlohmann::json{{"type", "power"}, {"powercap_root", root}, {"fallback_watts", 5000}}, "/c/0");
  State s;
  ASSERT_TRUE(c->collect(s).ok());
  EXPECT_EQ(s.get("energy.power").value_or(""), "5000W");  // first sample: no rate yet
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  {
    std::ofstream f(root + "/intel-rapl:0/energy_uj");
    f << 123456789 + 60'000'000 << "\n";  // 60 J in ~0.5 s: ~120 W
  }
  ASSERT_TRUE(c->collect(s).ok());
  long w = std::stol(s.get("energy.power").value_or("0"));
  EXPECT_GT(w, 90);
  EXPECT_LT(w, 130);
  auto none = makeCollector(nlohmann::json{{"type", "power"}, {"powercap_root", "/nonexistent"}}, "/c/0");
  EXPECT_NE(none->collect(s).error().message.find("no readable RAPL counters"), std::string::npos);
  auto fallback = makeCollector(nlohmann::json{{"type", "power"}, {"powercap_root", "/nonexistent"}, {"fallback_watts", 820000}}, "/c/0");
  ASSERT_TRUE(fallback->collect(s).ok());
  EXPECT_EQ(s.get("energy.power").value_or(""), "820000W");
}

TEST(Exec, KeyValueLinesBecomeFields) {
  auto c = makeCollector(nlohmann::json{{"type", "exec"},
                                        {"command", "printf '# probe\\ncap.queue=7\\nenergy.carbon=390\\nbogus=1\\ncap.nokey=2\\n'"}},
                         "/c/0");
  State s;
  ASSERT_TRUE(c->collect(s).ok());
  EXPECT_EQ(s.get("cap.queue").value_or(""), "7");
  EXPECT_EQ(s.get("energy.carbon").value_or(""), "390");
  EXPECT_FALSE(s.get("bogus").has_value());
  EXPECT_FALSE(s.get("cap.nokey").has_value());
  auto slow = makeCollector(nlohmann::json{{"type", "exec"}, {"command", "sleep 5"}, {"timeout_ms", 200}}, "/c/0");
  EXPECT_NE(slow->collect(s).error().message.find("timed out after 200 ms"), std::string::npos);
  EXPECT_FALSE(parseKeyValues("no equals sign\n").ok());
}

TEST(Relay, QueueAndRunningFromTheRelayStats) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  http::Server server(&loop, [](const http::Request& r) {
    http::Response resp;
    resp.contentType = "application/json";
    resp.body = r.path == "/v1/stats" ? R"({"queued": 4, "running": 2})" : "{}";
    return resp;
  });
  auto port = server.listen("127.0.0.1:0");
  ASSERT_TRUE(port.ok());
  uv_async_t stop;
  uv_async_init(&loop, &stop, [](uv_async_t* a) {
    static_cast<http::Server*>(a->data)->close();
    uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
  });
  stop.data = &server;
  std::thread t([&] { uv_run(&loop, UV_RUN_DEFAULT); });
  auto c = makeCollector(nlohmann::json{{"type", "relay"}, {"url", "http://127.0.0.1:" + std::to_string(*port) + "/v1/stats"}}, "/c/0");
  State s;
  auto st = c->collect(s);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  EXPECT_EQ(s.get("cap.queue").value_or(""), "4");
  EXPECT_EQ(s.get("cap.running").value_or(""), "2");
  uv_async_send(&stop);
  t.join();
  uv_loop_close(&loop);
  auto down = makeCollector(nlohmann::json{{"type", "relay"}, {"url", "http://127.0.0.1:1/v1/stats"}}, "/c/0");
  EXPECT_FALSE(down->collect(s).ok());
}

TEST(Collectors, ConfigErrorsNameThePath) {
  try {
    makeCollector(nlohmann::json{{"type", "quantum"}}, "/collectors/2");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/collectors/2/type: unknown collector \"quantum\" (proc, gpu, slurm, power, relay, exec)");
  }
  try {
    makeCollector(nlohmann::json{{"type", "proc"}, {"dsk_path", "/"}}, "/collectors/0");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/collectors/0/dsk_path: unknown key");
  }
}
