// kiln exec EP --scope S [--json] [--repeat N --stats] < input: executes
// what is bound to an extension point for a scope, through the in-process
// Executor — or, with --remote URL, a kiln service's (RemoteExecutor, the
// execute token from KILN_EXEC_TOKEN) — and prints the output, the whole
// result, or the stage table shaped like seed 000's latency breakdown.
// --format msgpack reads the input and writes the output as MessagePack
// (with --json the output is shown converted to JSON, the result saying
// "output_format": "msgpack"). With
// several extensions at the point (combine chain or all), those skipped
// are named on stderr; --json lists every one.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/files.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/platform_common.h"
#include "execute/exec_result_json.h"
#include "execute/guest_format.h"
#include "execute/local_executor.h"
#include "execute/remote_executor.h"
#include "execute/replay_bundle.h"
#include "registry/registry.h"

namespace kiln::cli {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

struct ExecOptions {
  std::string registry;
  std::string remote;  // a kiln service's URL: http://HOST:PORT or unix:/PATH
  std::string ep;
  std::string scope;
  std::string input_path;
  std::string format = "json";  // the caller's: the input's and the output's
  bool json = false;
  bool stats = false;
  bool usage = false;  // print what the call used of each limit
  int64_t repeat = 1;
  std::string save_replay;  // a replay bundle of the (last) call goes here
};

int exit_code_of(const execute::ExecResult& result) {
  switch (result.status) {
    case execute::ExecStatus::Ok: return kExitOk;
    case execute::ExecStatus::NotRun: return kExitNotRun;
    case execute::ExecStatus::InvalidInput: return kExitInvalidInput;
    case execute::ExecStatus::InvalidOutput: return kExitInvalidOutput;
    case execute::ExecStatus::ExtensionFailed: return kExitExtensionFailed;
    case execute::ExecStatus::Trapped: return kExitTrap;
    case execute::ExecStatus::OutOfFuel: return kExitOutOfFuel;
    case execute::ExecStatus::Deadline: return kExitDeadline;
    case execute::ExecStatus::Error: return result.error ? exit_code_for(result.error->kind) : kExitFailure;
  }
  return kExitFailure;
}

void write_number(Writer& w, const char* key, uint64_t value) {
  w.Key(key);
  w.Uint64(value);
}

void write_string(Writer& w, const char* key, const char* value) {
  w.Key(key);
  w.String(value);
}

struct Quantiles {
  uint64_t p50, p95, p99, max;
};

// Exact quantiles of the values (sorted in place): nearest rank.
Quantiles quantiles(std::vector<uint64_t>& values) {
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    size_t rank = static_cast<size_t>(q * static_cast<double>(values.size()) + 0.999999);
    return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
  };
  return {at(0.50), at(0.95), at(0.99), values.back()};
}

std::string micros(uint64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", static_cast<double>(ns) / 1000.0);
  return text;
}

// What the runs used of each limit: fuel, peak memory, the guest's run
// time. The limit is the last run's (fuel scales with the input's size,
// and every run here has the same input).
struct LimitRow {
  const char* name;
  const char* unit;
  std::vector<uint64_t> used;
  uint64_t limit = 0;
};

std::vector<LimitRow> limit_rows(const std::vector<execute::ExecResult>& results) {
  std::vector<LimitRow> rows = {{"fuel", "instructions", {}, 0}, {"memory", "bytes", {}, 0}, {"time", "ns", {}, 0}};
  for (const auto& r : results) {
    rows[0].used.push_back(r.fuel_used);
    rows[1].used.push_back(r.memory_peak_bytes);
    rows[2].used.push_back(static_cast<uint64_t>(r.run_time.count()));
    rows[0].limit = r.fuel_limit;
    rows[1].limit = r.memory_limit_bytes;
    rows[2].limit = static_cast<uint64_t>(r.time_limit.count());
  }
  return rows;
}

std::string percent_of(uint64_t used, uint64_t limit) {
  if (limit == 0) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", 100.0 * static_cast<double>(used) / static_cast<double>(limit));
  return text;
}

void write_limits_json(Writer& w, std::vector<LimitRow>& rows) {
  w.Key("limits");
  w.StartObject();
  for (auto& row : rows) {
    Quantiles q = quantiles(row.used);
    w.Key(row.name);
    w.StartObject();
    write_string(w, "unit", row.unit);
    write_number(w, "p50", q.p50);
    write_number(w, "p95", q.p95);
    write_number(w, "max", q.max);
    write_number(w, "limit", row.limit);
    w.EndObject();
  }
  w.EndObject();
}

void print_limits_table(std::vector<LimitRow>& rows) {
  std::printf("\n%-26s %12s %12s %12s %14s %8s\n", "used of limit", "p50", "p95", "max", "limit", "max %");
  for (auto& row : rows) {
    Quantiles q = quantiles(row.used);
    std::string label = std::string(row.name) + " (" + row.unit + ")";
    std::printf("%-26s %12llu %12llu %12llu %14llu %8s\n", label.c_str(), static_cast<unsigned long long>(q.p50),
                static_cast<unsigned long long>(q.p95), static_cast<unsigned long long>(q.max),
                static_cast<unsigned long long>(row.limit), percent_of(q.max, row.limit).c_str());
  }
}

void print_stats(const ExecOptions& options, const std::vector<execute::ExecResult>& results, bool json) {
  // The stages, then overhead; with --remote, then the network (round
  // trip minus the service's total).
  const bool remote = !options.remote.empty();
  const int kOverheadRow = execute::kStageCount;
  const int kRows = execute::kStageCount + (remote ? 2 : 1);
  std::vector<std::vector<uint64_t>> values(kRows);
  for (const auto& r : results) {
    for (int s = 0; s < execute::kStageCount; ++s) values[s].push_back(static_cast<uint64_t>(r.stages[s].count()));
    values[kOverheadRow].push_back(static_cast<uint64_t>((r.stage(execute::Stage::Total) - r.stage(execute::Stage::Run)).count()));
    if (remote) values[kOverheadRow + 1].push_back(static_cast<uint64_t>(r.network_time.count()));
  }
  auto name_of = [&](int row) {
    return row < execute::kStageCount ? execute::to_string(static_cast<execute::Stage>(row))
                                      : row == kOverheadRow ? "overhead" : "network";
  };
  if (json) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    write_number(w, "runs", results.size());
    w.Key("stages");
    w.StartObject();
    for (int row = 0; row < kRows; ++row) {
      Quantiles q = quantiles(values[row]);
      w.Key(name_of(row));
      w.StartObject();
      write_number(w, "p50_ns", q.p50);
      write_number(w, "p95_ns", q.p95);
      write_number(w, "p99_ns", q.p99);
      write_number(w, "max_ns", q.max);
      w.EndObject();
    }
    w.EndObject();
    auto limits = limit_rows(results);
    write_limits_json(w, limits);
    w.EndObject();
    std::printf("%s\n", buffer.GetString());
    return;
  }
  std::printf("%s, scope %s: %zu runs, times in µs\n", options.ep.c_str(), options.scope.c_str(), results.size());
  std::printf("%-26s %10s %10s %10s %10s\n", "stage", "p50", "p95", "p99", "max");
  for (int row = 0; row < kRows; ++row) {
    Quantiles q = quantiles(values[row]);
    std::string label = name_of(row);
    if (row == static_cast<int>(execute::Stage::Run)) label += " (the guest)";
    if (row == kOverheadRow) label += " (total - run)";
    if (row == kOverheadRow + 1) label += " (rtt - total)";
    std::printf("%-26s %10s %10s %10s %10s\n", label.c_str(), micros(q.p50).c_str(), micros(q.p95).c_str(),
                micros(q.p99).c_str(), micros(q.max).c_str());
  }
  auto limits = limit_rows(results);
  print_limits_table(limits);
}

// combine chain or all: the extensions a call skipped (fail-open) would
// otherwise go unseen when the call as a whole is ok.
void report_skipped(const execute::ExecResult& result) {
  if (result.status != execute::ExecStatus::Ok) return;
  for (const execute::ExtensionRun& run : result.extensions) {
    if (run.status == execute::ExecStatus::Ok || !run.error) continue;
    std::fprintf(stderr, "kiln: skipped %s v%lld: %s: %s\n", run.extension.c_str(), static_cast<long long>(run.version),
                 execute::to_string(run.status), run.error->message.c_str());
  }
}

// One line on stderr: what the call used of each limit, and which version
// answered. Printed on --usage, and whenever a limit stopped the call, so
// that "why did it run out?" has its numbers at hand.
void print_usage(const execute::ExecResult& r) {
  auto ms = [](std::chrono::nanoseconds t) { return std::chrono::duration<double, std::milli>(t).count(); };
  auto mib = [](uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); };
  std::fprintf(stderr, "kiln: used fuel %llu of %llu, memory %.2f of %.2f MiB, time %.3f of %.0f ms",
               static_cast<unsigned long long>(r.fuel_used), static_cast<unsigned long long>(r.fuel_limit),
               mib(r.memory_peak_bytes), mib(r.memory_limit_bytes), ms(r.run_time), ms(r.time_limit));
  if (!r.extension.empty()) {
    std::fprintf(stderr, "; %s v%lld%s", r.extension.c_str(), static_cast<long long>(r.version),
                 r.canary ? " (canary)" : "");
  }
  std::fputc('\n', stderr);
}

// Writes the bundle of `result` (a call recorded on `tape`) to the file
// --save-replay names.
Result<void> save_replay(const ExecOptions& options, const execute::ExecResult& result, std::string_view input,
                         const host::WasiTape& tape) {
  auto registry = registry::Registry::open(options.registry.empty() ? registry::Registry::default_path()
                                                                    : options.registry);
  if (!registry) return registry.error();
  auto bundle = execute::make_replay_bundle(**registry, result, input, tape, "requested");
  if (!bundle) return bundle.error();
  if (auto written = base::write_file_atomically(options.save_replay, execute::to_json(*bundle), 0600); !written) {
    return written.error();
  }
  std::fprintf(stderr, "kiln: replay bundle saved to %s (kiln replay %s)\n", options.save_replay.c_str(),
               options.save_replay.c_str());
  return {};
}

int run_exec(const ExecOptions& options) {
  std::string input;
  if (options.input_path.empty() || options.input_path == "-") {
    input.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto text = read_text_file(options.input_path);
    if (!text) return report(text.error());
    input = std::move(*text);
  }
  std::unique_ptr<execute::Executor> executor;
  execute::LocalExecutor* in_process = nullptr;  // for recording a replay
  if (options.remote.empty()) {
    execute::LocalExecutorConfig config;
    config.registry_path = options.registry;
    auto local = execute::LocalExecutor::open(config);
    if (!local) return report(local.error());
    in_process = local->get();
    executor = std::move(*local);
  } else {
    execute::RemoteExecutorConfig config;
    config.url = options.remote;
    if (const char* token = std::getenv("KILN_EXEC_TOKEN")) config.token = token;
    auto remote = execute::RemoteExecutor::open(config);
    if (!remote) return report(remote.error());
    executor = std::move(*remote);
  }
  if (options.repeat < 1) {
    std::fprintf(stderr, "kiln: --repeat must be at least 1\n");
    return kExitUsage;
  }
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  std::vector<execute::ExecResult> results;
  results.reserve(static_cast<size_t>(options.stats ? options.repeat : 1));
  execute::ExecResult last;
  execute::CallOptions call_options;
  call_options.input_format = base::data_format_named(options.format).value_or(base::DataFormat::Json);
  call_options.output_format = call_options.input_format;
  for (int64_t i = 0; i < options.repeat; ++i) {
    if (in_process) {
      // each call's own tape; the last one's is kept
      if (!options.save_replay.empty()) call_options.tape = host::WasiTape::recording();
      last = in_process->execute(options.ep, options.scope, bytes, call_options);
    } else {
      last = static_cast<execute::RemoteExecutor&>(*executor).execute(options.ep, options.scope, bytes, call_options);
    }
    if (last.status != execute::ExecStatus::Ok && last.status != execute::ExecStatus::NotRun) break;
    if (options.stats) results.push_back(last);
  }
  if (call_options.tape) {
    // A bundle keeps its input as JSON: a MessagePack one is converted (replays run as JSON callers).
    std::string bundle_input = input;
    if (call_options.input_format == base::DataFormat::Msgpack) {
      auto json = execute::convert_value(input, base::DataFormat::Msgpack, base::DataFormat::Json,
                                         ErrorKind::InvalidInput, "input");
      if (json) bundle_input = std::move(*json);
    }
    if (auto saved = save_replay(options, last, bundle_input, *call_options.tape); !saved) return report(saved.error());
  }
  bool stopped_early = options.stats && static_cast<int64_t>(results.size()) < options.repeat;
  if (options.stats && !stopped_early) {
    print_stats(options, results, options.json);
    return exit_code_of(last);
  }
  if (options.json) {
    std::printf("%s\n", execute::to_json(last).c_str());
  } else if (last.status == execute::ExecStatus::Ok) {
    std::fwrite(last.output.data(), 1, last.output.size(), stdout);
    const bool text = last.output_format == base::DataFormat::Json;
    if (text && !last.output.empty() && last.output.back() != '\n' && isatty(STDOUT_FILENO)) std::fputc('\n', stdout);
  }
  if (!options.json) report_skipped(last);
  if (!last.log.empty() && !options.json) {
    std::fprintf(stderr, "%s%s", last.log.c_str(), last.log.back() == '\n' ? "" : "\n");
    if (last.log_truncated) std::fprintf(stderr, "kiln: (log cut at the extension point's limit)\n");
  }
  if (last.status == execute::ExecStatus::NotRun && last.error) {  // a remote service unreachable or overloaded
    std::fprintf(stderr, "kiln: not run: %s\n", last.error->message.c_str());
  } else if (last.status == execute::ExecStatus::NotRun) {
    std::fprintf(stderr, "kiln: not run: nothing enabled is bound to %s for scope %s\n", options.ep.c_str(),
                 options.scope.c_str());
  } else if (last.error && !options.json) {
    std::fprintf(stderr, "kiln: %s: %s\n", execute::to_string(last.status), last.error->message.c_str());
  }
  const bool stopped_by_limit =
      last.status == execute::ExecStatus::OutOfFuel || last.status == execute::ExecStatus::Deadline;
  if (!options.json && last.status != execute::ExecStatus::NotRun && (options.usage || stopped_by_limit)) {
    print_usage(last);
  }
  return exit_code_of(last);
}

}  // namespace

void add_exec_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ExecOptions>();
  CLI::App* exec = app.add_subcommand("exec", "Execute an extension point for a scope (input JSON on stdin)");
  exec->add_option("extension_point", options->ep, "the extension point")->required();
  exec->add_option("--scope", options->scope, "the scope to execute for")->required();
  exec->add_option("--input", options->input_path, "read the input from this file instead of stdin");
  exec->add_option("--format", options->format,
                   "the input's and the output's format: json (the default) or msgpack; with --json the output "
                   "is shown as JSON")
      ->check(CLI::IsMember({"json", "msgpack"}));
  exec->add_flag("--json", options->json, "print the whole result (or, with --stats, the stage table) as JSON");
  exec->add_option("--repeat", options->repeat, "run N times (with --stats: the stage table over them)");
  exec->add_flag("--stats", options->stats, "print per-stage p50/p95/p99/max instead of the output");
  exec->add_flag("--usage", options->usage,
                 "print what the call used of its fuel, memory and time limits, and which version answered, on "
                 "stderr (always printed when a limit stopped the call)");
  CLI::Option* remote = exec->add_option("--remote", options->remote,
                   "execute on a kiln service (http://HOST:PORT or unix:/PATH) instead of in process; "
                   "the execute token from $KILN_EXEC_TOKEN");
  add_registry_option(exec, options->registry);
  remote->excludes(exec->get_option("--registry"));
  exec->add_option("--save-replay", options->save_replay,
                   "record the call (its last run) and write a replay bundle here (docs/replay.md)")
      ->excludes(remote);
  exec->callback([options, &exit_code] { exit_code = run_exec(*options); });
}

}  // namespace kiln::cli
