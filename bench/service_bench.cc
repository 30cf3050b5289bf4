// kiln_service_bench: the discount example in process and out of process,
// in one run (issue 13, "How it is shown"), shaped like seed 000's Results
// table:
//   - in process: a LocalExecutor on the registry the service serves;
//   - the C++ client (RemoteExecutor) against a running `kiln serve`, over
//     loopback TCP keep-alive and over its Unix socket, with 1 client
//     thread (latency) and with N (throughput);
//   - wrk's figures, when the caller ran it first (--wrk-result: wrk's
//     output, whose "kiln-wrk:" line bench/wrk/execute.lua's done() printed).
// Every result must be Ok with the in-process output, and the input schema
// must never have been checked (the extension point's validate_input is 0:
// validation sampled off), or the run fails. Prints numbers; asserts no time.
//
// scripts/bench-service.sh sets up the registry and the server and runs this.
//
// Usage: kiln_service_bench --registry PATH --input FILE [--url http://HOST:PORT] [--unix PATH]
//                           [--runs N] [--seconds S] [--threads N] [--wrk-result FILE]
//                           [--extension-point EP] [--scope S]
// The execute token comes from $KILN_EXEC_TOKEN (never the command line).
#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/files.h"
#include "execute/local_executor.h"
#include "execute/remote_executor.h"

namespace {

using Clock = std::chrono::steady_clock;
using kiln::execute::ExecResult;
using kiln::execute::ExecStatus;
using kiln::execute::Executor;
using kiln::execute::Stage;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "kiln_service_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string read_file(const std::string& path) {
  auto text = kiln::base::read_file(path);
  if (!text) fail("cannot read " + path);
  return std::move(*text);
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::strchr(" \t\r\n", s.back())) s.pop_back();
  size_t start = s.find_first_not_of(" \t\r\n");
  return start == std::string::npos ? std::string() : s.substr(start);
}

// ---- figures ---------------------------------------------------------------

// p50 / p95 / p99 in nanoseconds; nullopt: not measured for this way.
struct Quantiles {
  double p50 = 0, p95 = 0, p99 = 0;
};
using Cell = std::optional<Quantiles>;

// Nearest rank on exact samples.
Quantiles quantiles(std::vector<uint64_t> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    size_t rank = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);
    return static_cast<double>(v[std::clamp<size_t>(rank, 1, v.size()) - 1]);
  };
  return {at(0.50), at(0.95), at(0.99)};
}

constexpr int kStages = kiln::execute::kStageCount;

// One way of running: a row of the table.
struct Row {
  std::string label;
  Cell network, execute, total;
  std::array<Cell, kStages> stages{};  // the executor's, where it reported them
  double per_second = 0;
  std::string note;
};

// Per-call samples of one measurement, merged over its threads.
struct Samples {
  std::vector<uint64_t> network, execute, total;
  std::array<std::vector<uint64_t>, kStages> stages;
  void add(const Samples& other) {
    auto append = [](std::vector<uint64_t>& to, const std::vector<uint64_t>& from) {
      to.insert(to.end(), from.begin(), from.end());
    };
    append(network, other.network);
    append(execute, other.execute);
    append(total, other.total);
    for (int i = 0; i < kStages; ++i) append(stages[i], other.stages[i]);
  }
};

struct Workload {
  std::string extension_point, scope, input;
  std::string expected_output;  // the in-process output, once known
  std::span<const uint8_t> bytes() const { return {reinterpret_cast<const uint8_t*>(input.data()), input.size()}; }
};

// One call, timed and checked: a wrong result ends the benchmark, since a
// fast failure is no figure.
void call_once(Executor& executor, const Workload& w, Samples& out, bool remote) {
  const auto start = Clock::now();
  ExecResult r = executor.execute(w.extension_point, w.scope, w.bytes());
  const auto elapsed = std::chrono::nanoseconds(Clock::now() - start).count();
  if (r.status != ExecStatus::Ok) {
    fail(std::string(remote ? "remote" : "in-process") + " execution: " + kiln::execute::to_string(r.status) +
         (r.error ? ": " + r.error->message : std::string()));
  }
  if (r.input_validated) fail("the input schema was checked: validation is meant to be sampled off (validate_input 0)");
  if (!w.expected_output.empty() && trimmed(r.output) != w.expected_output) {
    fail("the output differs from the in-process one:\n  got:      " + trimmed(r.output) +
         "\n  expected: " + w.expected_output);
  }
  out.total.push_back(static_cast<uint64_t>(elapsed));
  out.execute.push_back(static_cast<uint64_t>(r.stage(Stage::Total).count()));
  for (int i = 0; i < kStages; ++i) out.stages[i].push_back(static_cast<uint64_t>(r.stages[i].count()));
  if (remote) out.network.push_back(static_cast<uint64_t>(r.network_time.count()));
}

void warm_up(Executor& executor, const Workload& w, bool remote, int calls) {
  Samples ignored;
  for (int i = 0; i < calls; ++i) call_once(executor, w, ignored, remote);
}

Row row_of(std::string label, const Samples& s, double per_second) {
  Row row;
  row.label = std::move(label);
  if (!s.network.empty()) row.network = quantiles(s.network);
  row.execute = quantiles(s.execute);
  for (int i = 0; i < kStages; ++i) row.stages[i] = quantiles(s.stages[i]);
  row.total = quantiles(s.total);
  row.per_second = per_second;
  return row;
}

// `runs` calls one after the other: latency and single-thread throughput.
Row sequential(std::string label, Executor& executor, const Workload& w, bool remote, int runs) {
  warm_up(executor, w, remote, std::max(runs / 10, 100));
  Samples s;
  s.total.reserve(runs), s.execute.reserve(runs), s.network.reserve(runs);
  const auto start = Clock::now();
  for (int i = 0; i < runs; ++i) call_once(executor, w, s, remote);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return row_of(std::move(label), s, runs / seconds);
}

// `threads` client threads calling as fast as they can for `seconds`:
// throughput, and the latency each call saw under that load.
Row concurrent(std::string label, Executor& executor, const Workload& w, int threads, double seconds) {
  warm_up(executor, w, true, 200);
  std::vector<Samples> per_thread(threads);
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  const auto duration = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  Clock::time_point start, stop;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      while (Clock::now() < stop) call_once(executor, w, per_thread[t], true);
    });
  }
  start = Clock::now();
  stop = start + duration;
  go.store(true, std::memory_order_release);
  for (auto& thread : pool) thread.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  Samples all;
  for (const Samples& s : per_thread) all.add(s);
  return row_of(std::move(label), all, static_cast<double>(all.total.size()) / elapsed);
}

std::unique_ptr<Executor> remote_executor(const std::string& url, size_t pool_size) {
  kiln::execute::RemoteExecutorConfig config;
  config.url = url;
  if (const char* token = std::getenv("KILN_EXEC_TOKEN")) config.token = token;
  config.pool_size = pool_size;
  if (const char* spin = std::getenv("CLIENT_SPIN_US")) config.spin = std::chrono::microseconds(std::atoi(spin));
  // A benchmark under load on 2 shared cores: a slow call is a figure, not
  // a reason to degrade to NotRun.
  config.timeout = std::chrono::milliseconds(5000);
  auto executor = kiln::execute::RemoteExecutor::open(config);
  if (!executor) fail(executor.error().message);
  return std::move(*executor);
}

// ---- wrk's line ------------------------------------------------------------

// "kiln-wrk: requests=... p50_us=... ..." from bench/wrk/execute.lua's
// done(), in wrk's output; "kiln-wrk-command: wrk -t1 -c8 ..." names the row.
std::optional<Row> wrk_row(const std::string& path) {
  std::istringstream text(read_file(path));
  std::string command = "wrk";
  for (std::string line; std::getline(text, line);) {
    if (line.rfind("kiln-wrk-command:", 0) == 0) command = trimmed(line.substr(17));
    if (line.rfind("kiln-wrk:", 0) != 0) continue;
    std::map<std::string, std::string> kv;
    std::istringstream fields(line.substr(9));
    for (std::string field; fields >> field;) {
      auto eq = field.find('=');
      if (eq != std::string::npos) kv[field.substr(0, eq)] = field.substr(eq + 1);
    }
    auto number = [&](const char* key) { return kv.count(key) ? std::atof(kv[key].c_str()) : 0.0; };
    Row row;
    row.label = command + ", TCP";
    row.total = Quantiles{number("p50_us") * 1000, number("p95_us") * 1000, number("p99_us") * 1000};
    row.per_second = number("requests_per_s");
    row.note = kv["requests"] + " requests, " + kv["non_2xx"] + " not 2xx, " + kv["socket_errors"] + " socket errors";
    return row;
  }
  std::fprintf(stderr, "kiln_service_bench: warning: no kiln-wrk: line in %s\n", path.c_str());
  return std::nullopt;
}

// ---- printing --------------------------------------------------------------

std::string machine_line() {
  std::string cpu = "?", load;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu = trimmed(line.substr(line.find(':') + 1));
      break;
    }
  }
  std::ifstream loadavg("/proc/loadavg");
  std::getline(loadavg, load);
  std::istringstream fields(load);
  std::string one, five, fifteen;
  fields >> one >> five >> fifteen;
  struct utsname u;
  std::string kernel = uname(&u) == 0 ? std::string(u.sysname) + " " + u.release : "?";
  char date[32];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return cpu + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores, " + kernel + "; " + date +
         "; load average " + one + " " + five + " " + fifteen;
}

std::string cell_text(const Cell& c) {
  if (!c) return "-";
  char text[48];
  std::snprintf(text, sizeof text, "%.1f / %.1f / %.1f", c->p50 / 1000, c->p95 / 1000, c->p99 / 1000);
  return text;
}

void print_table(const std::vector<Row>& rows, const std::string& title) {
  const Row& base = rows.front();
  std::printf("\n%s\n", title.c_str());
  std::printf("%-40s | %-26s | %-26s | %-26s | %9s | %s\n", "way of running", "network", "execute", "total",
              "exec/s", "vs in-process: p95, exec/s");
  std::printf("%s\n", std::string(40 + 3 * 29 + 12 + 28, '-').c_str());
  for (const Row& row : rows) {
    char ratio[48] = "1.00x, 1.00x";
    if (&row != &base && row.total && base.total) {
      std::snprintf(ratio, sizeof ratio, "%.2fx, %.2fx", row.total->p95 / base.total->p95,
                    row.per_second / base.per_second);
    }
    std::printf("%-40s | %-26s | %-26s | %-26s | %9.0f | %s\n", row.label.c_str(), cell_text(row.network).c_str(),
                cell_text(row.execute).c_str(), cell_text(row.total).c_str(), row.per_second, ratio);
    if (!row.note.empty()) std::printf("%-40s   (%s)\n", "", row.note.c_str());
  }
}

// Where the execute time goes: the executor's stages, per way of running
// (the 1-thread rows: the others add queueing).
void print_stages(const std::vector<Row>& rows) {
  std::vector<const Row*> shown;
  for (const Row& row : rows) {
    if (row.stages[0] && row.label.find("threads") == std::string::npos) shown.push_back(&row);
  }
  std::printf("\nthe execute stages (µs, p50 / p95 / p99), as the executor measured them\n%-16s", "stage");
  for (const Row* row : shown) std::printf(" | %-38s", row->label.c_str());
  std::printf("\n");
  for (int i = 0; i < kStages; ++i) {
    std::printf("%-16s", kiln::execute::to_string(static_cast<Stage>(i)));
    for (const Row* row : shown) std::printf(" | %-38s", cell_text(row->stages[i]).c_str());
    std::printf("\n");
  }
}

struct Options {
  std::string registry, input_path, url, unix_socket, wrk_result;
  std::string extension_point = "checkout.product_discounts", scope = "shop-1";
  int runs = 20'000, threads = 4;
  double seconds = 3;
};

Options parse(int argc, char** argv) {
  Options o;
  const char* usage =
      "usage: kiln_service_bench --registry PATH --input FILE [--url http://HOST:PORT] [--unix PATH] [--runs N] "
      "[--seconds S] [--threads N] [--wrk-result FILE] [--extension-point EP] [--scope S]";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(arg + " needs a value (" + usage + ")");
      return argv[++i];
    };
    if (arg == "--registry") o.registry = value();
    else if (arg == "--input") o.input_path = value();
    else if (arg == "--url") o.url = value();
    else if (arg == "--unix") o.unix_socket = value();
    else if (arg == "--wrk-result") o.wrk_result = value();
    else if (arg == "--extension-point") o.extension_point = value();
    else if (arg == "--scope") o.scope = value();
    else if (arg == "--runs") o.runs = std::atoi(value().c_str());
    else if (arg == "--threads") o.threads = std::atoi(value().c_str());
    else if (arg == "--seconds") o.seconds = std::atof(value().c_str());
    else if (arg == "-h" || arg == "--help") {
      std::printf("%s\n", usage);
      std::exit(0);
    } else {
      fail("unknown argument " + arg + " (" + usage + ")");
    }
  }
  if (o.registry.empty() || o.input_path.empty()) fail(usage);
  if (o.runs < 100) fail("--runs must be at least 100");
  if (o.threads < 1 || o.seconds <= 0) fail("--threads and --seconds must be positive");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  Workload w{o.extension_point, o.scope, read_file(o.input_path), {}};
  std::vector<Row> rows;

  {
    kiln::execute::LocalExecutorConfig config;
    config.registry_path = o.registry;
    config.validate_input_override = 0;  // sampled off, as the served extension point's validate_input 0
    auto local = kiln::execute::LocalExecutor::open(config);
    if (!local) fail(local.error().message);
    w.expected_output = trimmed((*local)->execute(w.extension_point, w.scope, w.bytes()).output);
    rows.push_back(sequential("in-process (LocalExecutor)", **local, w, false, o.runs));
  }

  const std::string threads = std::to_string(o.threads);
  auto remote_rows = [&](const std::string& url, const std::string& via) {
    auto one = remote_executor(url, 1);
    rows.push_back(sequential("RemoteExecutor, " + via + ", 1 thread", *one, w, true, o.runs));
    auto many = remote_executor(url, static_cast<size_t>(o.threads));
    rows.push_back(concurrent("RemoteExecutor, " + via + ", " + threads + " threads", *many, w, o.threads, o.seconds));
  };
  if (!o.url.empty()) remote_rows(o.url, "TCP");
  if (!o.unix_socket.empty()) remote_rows("unix:" + o.unix_socket, "Unix socket");
  if (!o.wrk_result.empty()) {
    if (auto row = wrk_row(o.wrk_result)) rows.push_back(std::move(*row));
  }

  std::printf("kiln_service_bench: %s, scope %s, %s (%zu B), input validation sampled off (validate_input 0)\n",
              w.extension_point.c_str(), w.scope.c_str(), o.input_path.c_str(), w.input.size());
  std::printf("machine: %s\n", machine_line().c_str());
  std::printf("1-thread rows: %d calls in a row after a warm-up; %s-thread rows: %.1f s of calls from %s client "
              "threads\n",
              o.runs, threads.c_str(), o.seconds, threads.c_str());
  std::printf("network = round trip - the service's own total (ExecResult::network_time); execute = the "
              "executor's total (all stages); total = the call as the host sees it\n");
  print_table(rows, "Results (µs, p50 / p95 / p99), seed 000's table: 3-line checkout");
  print_stages(rows);

  // The targets, out of process over loopback TCP keep-alive.
  for (const Row& row : rows) {
    if (row.label.find("TCP") == std::string::npos || !row.total) continue;
    std::printf("target %-40s p95 %.1f µs (< 150: %s), %.0f executions/s (> 20000: %s)", row.label.c_str(),
                row.total->p95 / 1000, row.total->p95 < 150'000 ? "met" : "NOT met", row.per_second,
                row.per_second > 20'000 ? "met" : "NOT met");
    if (row.network) std::printf("; network alone p95 %.1f µs", row.network->p95 / 1000);
    std::printf("\n");
  }
  std::printf("seed 000 (ms, p50 / p95): in-process run 4.0 / 11.13, execute 2.88 / 9.33; out-of-process run "
              "6.49 / 8.60, network 3.56 / 5.2, execute 2.93 / 3.4\n");
  return 0;
}
