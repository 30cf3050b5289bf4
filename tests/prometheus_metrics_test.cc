// GET /metrics' text (server/prometheus_metrics.h) from a real
// LocalExecutor: the numbers agree with the executions run, every
// histogram is cumulative, +Inf equals _count, label values are escaped.
// With KILN_METRICS_OUT set, ExpositionForTheParser writes its page there
// for the prometheus.parse ctest (tests/prometheus_parse_test.py), which
// reads it with python3-prometheus-client's parser.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "platform_test_support.h"
#include "server/prometheus_metrics.h"

namespace kiln::test {
namespace {

using execute::ExecStatus;
using execute::Stage;

// name{labels} -> value, in the order the page gives them.
struct Page {
  std::vector<std::pair<std::string, double>> samples;  // "name{labels}" as written
  std::vector<std::string> comments;

  double at(const std::string& key) const {
    for (const auto& [k, v] : samples) {
      if (k == key) return v;
    }
    ADD_FAILURE() << "no sample " << key;
    return -1;
  }
  bool has(const std::string& key) const {
    for (const auto& [k, v] : samples) {
      if (k == key) return true;
    }
    return false;
  }
};

Page parse(const std::string& text) {
  Page page;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    EXPECT_FALSE(line.empty());
    if (line.starts_with("#")) {
      page.comments.push_back(line);
      continue;
    }
    auto space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    page.samples.emplace_back(line.substr(0, space), std::stod(line.substr(space + 1)));
  }
  EXPECT_TRUE(text.ends_with("\n"));
  return page;
}

const char* kLe[] = {"1e-06", "2.5e-06", "5e-06", "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025",
                     "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                     "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"};

std::string stage_key(const std::string& series, const std::string& ep, const std::string& stage) {
  return "kiln_execute_stage_seconds_" + series + "{extension_point=\"" + ep + "\",stage=\"" + stage + "\"";
}

class PrometheusMetricsTest : public PlatformTest {
 protected:
  // Runs a mix on test.behave: 5 ok, 2 traps, 1 non-zero exit, 1 bad
  // input; and 2 on test.idle, where nothing is deployed (not run).
  void run_mix() {
    create_ep(behave_extension_point());
    create_ep(behave_extension_point("test.idle"));
    ASSERT_TRUE(deploy("platform_behave", "*"));
    std::vector<std::string> inputs = {"{}", "{}", "{}", "{}", "{}", R"({"mode":"trap"})", R"({"mode":"trap"})",
                                       R"({"mode":"exit3"})", "[]"};
    for (const std::string& input : inputs) {
      auto result = exec(input);
      ++by_status_[result.status];
      if (result.error) ++by_kind_[result.error->kind];
    }
    EXPECT_EQ(by_status_[ExecStatus::Ok], 5);
    EXPECT_EQ(by_status_[ExecStatus::Trapped], 2);
    EXPECT_EQ(by_status_[ExecStatus::ExtensionFailed], 1);
    EXPECT_EQ(by_status_[ExecStatus::InvalidInput], 1);
    for (int i = 0; i < 2; ++i) EXPECT_EQ(exec("{}", "shop-1", "test.idle").status, ExecStatus::NotRun);
  }

  std::string render() {
    server::ServerGauges gauges;
    gauges.in_flight = 3;
    gauges.queue_depth = 7;
    gauges.connections = 5;
    gauges.pool_sizes = {{"http \"workers\"", 4}};
    gauges.scope_in_flight = {{"shop-1", 2}};
    return server::render_prometheus(executor(), gauges);
  }

  std::map<ExecStatus, int> by_status_;
  std::map<ErrorKind, int> by_kind_;
};

TEST_F(PrometheusMetricsTest, CountsMatchTheExecutionsRun) {
  run_mix();
  std::string text = render();
  Page page = parse(text);

  // Executions by status, every status present (zeros too).
  for (int s = 0; s < execute::kExecStatusCount; ++s) {
    auto status = static_cast<ExecStatus>(s);
    std::string name = execute::to_string(status);
    std::replace(name.begin(), name.end(), ' ', '_');
    EXPECT_EQ(page.at("kiln_executions_total{extension_point=\"test.behave\",status=\"" + name + "\"}"),
              by_status_[status])
        << name;
  }
  EXPECT_EQ(page.at(R"(kiln_executions_total{extension_point="test.idle",status="not_run"})"), 2);
  EXPECT_EQ(page.at(R"(kiln_executions_total{extension_point="test.idle",status="ok"})"), 0);

  // Errors by kind.
  int errors = 0;
  for (int k = 1; k < execute::kErrorKindSlots; ++k) {
    auto kind = static_cast<ErrorKind>(k);
    std::string name = to_string(kind);
    std::replace(name.begin(), name.end(), ' ', '_');
    double value = page.at("kiln_errors_total{extension_point=\"test.behave\",kind=\"" + name + "\"}");
    EXPECT_EQ(value, by_kind_[kind]) << name;
    errors += static_cast<int>(value);
  }
  EXPECT_EQ(errors, 4);  // 2 traps, 1 exit, 1 bad input
  EXPECT_EQ(page.at(R"(kiln_errors_total{extension_point="test.behave",kind="trap"})"), 2);
  EXPECT_EQ(page.at(R"(kiln_errors_total{extension_point="test.behave",kind="invalid_input"})"), 1);

  // Every stage's histogram, and overhead: cumulative, +Inf == _count ==
  // the executions, a sum.
  std::vector<std::string> stages;
  for (int s = 0; s < execute::kStageCount; ++s) stages.push_back(execute::to_string(static_cast<Stage>(s)));
  stages.push_back("overhead");
  for (const auto& [ep, calls] : {std::pair<std::string, int>{"test.behave", 9}, {"test.idle", 2}}) {
    for (const std::string& stage : stages) {
      double previous = 0;
      for (const char* le : kLe) {
        double value = page.at(stage_key("bucket", ep, stage) + ",le=\"" + le + "\"}");
        EXPECT_GE(value, previous) << ep << " " << stage << " le=" << le;
        previous = value;
      }
      EXPECT_EQ(previous, calls) << ep << " " << stage;
      EXPECT_EQ(page.at(stage_key("count", ep, stage) + "}"), calls) << ep << " " << stage;
      EXPECT_GE(page.at(stage_key("sum", ep, stage) + "}"), 0) << ep << " " << stage;
      // Nothing here takes 10 s.
      EXPECT_EQ(page.at(stage_key("bucket", ep, stage) + ",le=\"10\"}"), calls) << ep << " " << stage;
    }
  }
  // The guest ran: total took time, and run's sum is part of total's.
  double total_sum = page.at(stage_key("sum", "test.behave", "total") + "}");
  double run_sum = page.at(stage_key("sum", "test.behave", "run") + "}");
  EXPECT_GT(total_sum, 0);
  EXPECT_GT(run_sum, 0);
  EXPECT_LE(run_sum, total_sum);
  EXPECT_LT(total_sum, 60);  // seconds, not nanoseconds

  // The same figures as stats() gives.
  auto stats = executor().stats();
  for (const auto& s : stats) {
    if (s.extension_point != "test.behave") continue;
    const auto& total = s.stage_buckets[static_cast<int>(Stage::Total)];
    EXPECT_EQ(total.count, 9u);
    EXPECT_EQ(total.count, s.stages[static_cast<int>(Stage::Total)].count);
    EXPECT_EQ(total.sum_ns, s.stages[static_cast<int>(Stage::Total)].sum_ns);
    EXPECT_EQ(s.errors_by_kind[static_cast<int>(ErrorKind::Trap)], 2u);
  }

  // Pools: test.behave's one module, nothing leased between calls.
  auto pools = executor().pool_stats();
  ASSERT_EQ(pools.size(), 1u);
  EXPECT_EQ(pools[0].extension_point, "test.behave");
  EXPECT_EQ(pools[0].extension, "ext");
  EXPECT_EQ(pools[0].version, 1);
  EXPECT_EQ(pools[0].leased, 0u);
  EXPECT_GE(pools[0].idle, 1u);
  EXPECT_EQ(page.at(R"(kiln_pool_instances{extension_point="test.behave",extension="ext",version="1",state="leased"})"),
            0);
  EXPECT_EQ(page.at(R"(kiln_pool_instances{extension_point="test.behave",extension="ext",version="1",state="idle"})"),
            static_cast<double>(pools[0].idle));
  EXPECT_EQ(page.at(R"(kiln_pool_instances{pool="http \"workers\""})"), 4);

  EXPECT_EQ(page.at("kiln_in_flight_calls"), 3);
  EXPECT_EQ(page.at("kiln_queue_depth"), 7);
  EXPECT_EQ(page.at("kiln_open_connections"), 5);
  EXPECT_EQ(page.at(R"(kiln_scope_in_flight_calls{scope="shop-1"})"), 2);

  // One HELP and one TYPE per family, before its samples.
  std::map<std::string, int> types;
  for (const std::string& comment : page.comments) {
    if (comment.starts_with("# TYPE ")) ++types[comment.substr(7)];
  }
  EXPECT_EQ(types["kiln_execute_stage_seconds histogram"], 1);
  EXPECT_EQ(types["kiln_executions_total counter"], 1);
  EXPECT_EQ(types["kiln_errors_total counter"], 1);
  EXPECT_EQ(types["kiln_pool_instances gauge"], 1);
  EXPECT_EQ(types["kiln_in_flight_calls gauge"], 1);
  EXPECT_EQ(types["kiln_queue_depth gauge"], 1);
  EXPECT_EQ(types["kiln_open_connections gauge"], 1);
  EXPECT_EQ(types["kiln_scope_in_flight_calls gauge"], 1);
  EXPECT_LT(text.find("# TYPE kiln_execute_stage_seconds histogram"), text.find("kiln_execute_stage_seconds_bucket"));
}

// The page the prometheus.parse ctest checks with Python's parser.
TEST_F(PrometheusMetricsTest, ExpositionForTheParser) {
  run_mix();
  std::string text = render();
  EXPECT_FALSE(text.empty());
  if (const char* out = std::getenv("KILN_METRICS_OUT")) {
    std::ofstream file(out, std::ios::binary);
    file << text;
    ASSERT_TRUE(file.good()) << out;
  }
}

TEST(PrometheusMetrics, LabelValuesAreEscaped) {
  EXPECT_EQ(server::escape_label_value("plain.name"), "plain.name");
  EXPECT_EQ(server::escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  execute::StageStats stats;
  stats.extension_point = "we\"ird\\ep\nname";
  stats.by_status[static_cast<int>(ExecStatus::Ok)] = 2;
  std::string text = server::render_prometheus(std::vector<execute::StageStats>{stats}, {});
  EXPECT_NE(text.find(R"(kiln_executions_total{extension_point="we\"ird\\ep\nname",status="ok"} 2)"),
            std::string::npos)
      << text;
  // No raw newline inside a sample line: every line is a comment or has a value.
  Page page = parse(text);
  EXPECT_FALSE(page.samples.empty());
  // Nothing deployed, no gauges: the gauges are still there, at zero.
  EXPECT_EQ(page.at("kiln_in_flight_calls"), 0);
  EXPECT_EQ(page.at("kiln_queue_depth"), 0);
}

// Fixed bounds from log-linear buckets: exact for the values that fall on
// both sides, and never more than one bucket (1/16) short.
TEST(PrometheusMetrics, LatencyBucketsFoldTheLogLinearBuckets) {
  execute::StageHistogram h;
  for (uint64_t ns : {500u, 1000u, 1001u, 2400u, 3000u}) h.record(ns);
  h.record(20'000'000'000u);  // 20 s: only in +Inf
  auto b = h.latency_buckets();
  EXPECT_EQ(b.le[0], 1u);  // 1 µs: 500 ns; 1000 ns shares a bucket reaching 1023 ns, so counts at 2.5 µs
  EXPECT_EQ(b.le[1], 4u);  // 2.5 µs: + 1000, 1001, 2400 (bucket up to 2431)
  EXPECT_EQ(b.le[2], 5u);  // 5 µs
  EXPECT_EQ(b.le[execute::kLatencyBoundCount - 1], 5u);  // 10 s
  EXPECT_EQ(b.count, 6u);
  EXPECT_EQ(b.sum_ns, 500u + 1000 + 1001 + 2400 + 3000 + 20'000'000'000u);

  execute::StageHistogram random;
  std::vector<uint64_t> values;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    // Log-uniform from 1 ns to ~30 s.
    uint64_t v = static_cast<uint64_t>(std::exp(std::uniform_real_distribution<double>(0, 24.1)(rng)));
    values.push_back(v);
    random.record(v);
  }
  auto r = random.latency_buckets();
  EXPECT_EQ(r.count, values.size());
  for (int i = 0; i < execute::kLatencyBoundCount; ++i) {
    uint64_t bound = execute::kLatencyBoundsNs[i];
    uint64_t exact = 0, surely = 0;
    for (uint64_t v : values) {
      exact += v <= bound ? 1 : 0;
      surely += v * 17 <= bound * 16 ? 1 : 0;  // a bucket's upper bound is under 17/16 of any value in it
    }
    EXPECT_LE(r.le[i], exact) << bound;
    EXPECT_GE(r.le[i], surely) << bound;
    if (i > 0) EXPECT_GE(r.le[i], r.le[i - 1]);
  }
}

}  // namespace
}  // namespace kiln::test
