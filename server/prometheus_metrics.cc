#include "server/prometheus_metrics.h"

#include <charconv>

namespace kiln::server {
namespace {

// The `le` label of each kLatencyBoundsNs, in seconds, as Go's and
// Python's clients print them.
constexpr std::array<const char*, execute::kLatencyBoundCount> kLeLabels = {
    "1e-06", "2.5e-06", "5e-06", "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025",
    "0.0005", "0.001",  "0.0025", "0.005", "0.01",   "0.025", "0.05",   "0.1",
    "0.25",   "0.5",    "1",      "2.5",   "5",      "10"};

// "not run" -> "not_run".
std::string code_name(const char* name) {
  std::string out(name);
  for (char& c : out) {
    if (c == ' ') c = '_';
  }
  return out;
}

void append_uint(std::string& out, uint64_t value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

void append_seconds(std::string& out, uint64_t ns) {
  char buffer[40];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, static_cast<double>(ns) / 1e9);
  out.append(buffer, end);
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;  // our own text: no backslash or newline to escape
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// name{k1="v1",k2="v2"} value
class Sample {
 public:
  Sample(std::string& out, std::string_view name) : out_(out) { out_ += name; }
  Sample& label(std::string_view key, std::string_view value) {
    out_ += first_ ? '{' : ',';
    first_ = false;
    out_ += key;
    out_ += "=\"";
    out_ += escape_label_value(value);
    out_ += '"';
    return *this;
  }
  void value(uint64_t v) {
    close();
    append_uint(out_, v);
    out_ += '\n';
  }
  void seconds(uint64_t ns) {
    close();
    append_seconds(out_, ns);
    out_ += '\n';
  }

 private:
  void close() { out_ += first_ ? " " : "} "; }
  std::string& out_;
  bool first_ = true;
};

void histogram(std::string& out, const std::string& ep, const char* stage, const execute::LatencyBuckets& buckets) {
  for (int i = 0; i < execute::kLatencyBoundCount; ++i) {
    Sample(out, "kiln_execute_stage_seconds_bucket")
        .label("extension_point", ep)
        .label("stage", stage)
        .label("le", kLeLabels[i])
        .value(buckets.le[i]);
  }
  Sample(out, "kiln_execute_stage_seconds_bucket")
      .label("extension_point", ep)
      .label("stage", stage)
      .label("le", "+Inf")
      .value(buckets.count);
  Sample(out, "kiln_execute_stage_seconds_sum").label("extension_point", ep).label("stage", stage).seconds(buckets.sum_ns);
  Sample(out, "kiln_execute_stage_seconds_count").label("extension_point", ep).label("stage", stage).value(buckets.count);
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_prometheus(const std::vector<execute::StageStats>& stats, const ServerGauges& gauges) {
  std::string out;
  out.reserve(4096 + stats.size() * 16384);

  header(out, "kiln_execute_stage_seconds", "histogram",
         "Time of each stage of the execute pipeline, per extension point; stage overhead is total minus run. "
         "Bucket counts come from log-linear buckets and under-count by at most one bucket (6.25%).");
  for (const execute::StageStats& s : stats) {
    for (int stage = 0; stage < execute::kStageCount; ++stage) {
      histogram(out, s.extension_point, execute::to_string(static_cast<execute::Stage>(stage)), s.stage_buckets[stage]);
    }
    histogram(out, s.extension_point, "overhead", s.overhead_buckets);
  }

  header(out, "kiln_executions_total", "counter", "Executions per extension point and outcome.");
  for (const execute::StageStats& s : stats) {
    for (int status = 0; status < execute::kExecStatusCount; ++status) {
      Sample(out, "kiln_executions_total")
          .label("extension_point", s.extension_point)
          .label("status", code_name(execute::to_string(static_cast<execute::ExecStatus>(status))))
          .value(s.by_status[status]);
    }
  }

  header(out, "kiln_errors_total", "counter", "Failed executions per extension point and kind of error.");
  for (const execute::StageStats& s : stats) {
    for (int kind = 1; kind < execute::kErrorKindSlots; ++kind) {
      Sample(out, "kiln_errors_total")
          .label("extension_point", s.extension_point)
          .label("kind", code_name(to_string(static_cast<ErrorKind>(kind))))
          .value(s.errors_by_kind[kind]);
    }
  }

  header(out, "kiln_pool_instances", "gauge", "Instances held by each instance pool, idle or leased.");
  for (const execute::PoolStats& p : gauges.pools) {
    std::string version = std::to_string(p.version);
    Sample(out, "kiln_pool_instances")
        .label("extension_point", p.extension_point)
        .label("extension", p.extension)
        .label("version", version)
        .label("state", "idle")
        .value(p.idle);
    Sample(out, "kiln_pool_instances")
        .label("extension_point", p.extension_point)
        .label("extension", p.extension)
        .label("version", version)
        .label("state", "leased")
        .value(p.leased);
  }
  for (const auto& [name, size] : gauges.pool_sizes) Sample(out, "kiln_pool_instances").label("pool", name).value(size);

  header(out, "kiln_in_flight_calls", "gauge", "Executions running now.");
  Sample(out, "kiln_in_flight_calls").value(gauges.in_flight);
  header(out, "kiln_queue_depth", "gauge", "Requests waiting for a worker.");
  Sample(out, "kiln_queue_depth").value(gauges.queue_depth);
  header(out, "kiln_open_connections", "gauge", "Client connections open.");
  Sample(out, "kiln_open_connections").value(gauges.connections);
  header(out, "kiln_scope_in_flight_calls", "gauge", "Executions running now, per scope that has any.");
  for (const auto& [scope, calls] : gauges.scope_in_flight) {
    Sample(out, "kiln_scope_in_flight_calls").label("scope", scope).value(calls);
  }
  return out;
}

std::string render_prometheus(const execute::Executor& executor, ServerGauges gauges) {
  gauges.pools = executor.pool_stats();
  return render_prometheus(executor.stats(), gauges);
}

}  // namespace kiln::server
