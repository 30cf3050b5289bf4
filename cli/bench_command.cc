// kiln bench: runs the benchmark programs (bench/programs/*.c, built twice:
// X.native with gcc -O2 and X.wasm for wasm32-wasi) natively and on kiln, and
// prints each program's times, their ratio and the geometric mean of the
// ratios. A report only: nothing is asserted about the numbers.
//
// Each program repeats a kernel for a number of rounds (its first argument,
// with a default of its own). What is timed is the rounds alone: the best
// run with the rounds, less the best run with 0 rounds. That takes off what
// is not the kernel: starting a process natively (several milliseconds on a
// small VM, as much as a short kernel), wasi-libc's start-up and the input
// set-up on both sides.
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "host/wasi.h"
#include "kiln/engine.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"

namespace kiln::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Args = std::vector<std::string>;

// Runs with 0 rounds are short; more of them make their best time steady.
constexpr int kMinBaselineRuns = 5;

struct BenchOptions {
  std::string backend = "interp";
  int repeat = 3;
  int rounds = 0;  // 0: each program's default
  std::string dir;
  std::vector<std::string> programs;  // empty: all of them
};

// One timed run: how long it took and what it printed.
struct Sample {
  double ms = 0;
  std::string output;
};

struct Row {
  std::string program;
  double native_ms = 0;
  double kiln_ms = 0;
  double load_ms = 0;
};

// What every program is measured with.
struct Bench {
  const Engine& engine;
  Linker linker;
  fs::path dir;
  int repeat = 1;
  Args args;  // the rounds, if given
};

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "kiln: %s\n", message.c_str());
  return code;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

fs::path default_dir() { return fs::read_symlink("/proc/self/exe").parent_path() / "bench"; }

// The programs built in `dir`: every X with both X.wasm and X.native.
std::vector<std::string> programs_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path& path = entry.path();
    if (path.extension() == ".wasm" && fs::exists(fs::path(path).replace_extension(".native")))
      names.push_back(path.stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::vector<std::string>> select_programs(const BenchOptions& options, const fs::path& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) return make_error(dir.string() + ": no such benchmark directory");
  std::vector<std::string> available = programs_in(dir);
  if (options.programs.empty()) {
    if (available.empty()) return make_error(dir.string() + ": no benchmark programs (X.wasm with X.native)");
    return available;
  }
  for (const std::string& wanted : options.programs)
    if (std::find(available.begin(), available.end(), wanted) == available.end())
      return make_error(dir.string() + ": no benchmark program '" + wanted + "'");
  return options.programs;
}

// ---- native ------------------------------------------------------------------

std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t got;
  while ((got = read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(got));
  return out;
}

// Starts `path` with `args` and its stdout going to `out_fd`. posix_spawn
// does not copy kiln's page tables, as fork would. Returns 0 or an errno.
int spawn(const std::string& path, const Args& args, int out_fd, pid_t* pid) {
  Args words = {path};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  int error = posix_spawn(pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return error;
}

// Runs `binary` with its stdout captured, timed from spawn to exit.
Result<Sample> run_native_once(const fs::path& binary, const Args& args) {
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return make_error("pipe failed");
  Clock::time_point start = Clock::now();
  pid_t pid = 0;
  int error = spawn(binary.string(), args, out_pipe[1], &pid);
  close(out_pipe[1]);
  Sample sample;
  if (error == 0) sample.output = read_all(out_pipe[0]);
  close(out_pipe[0]);
  if (error != 0) return make_error(binary.string() + ": cannot run it: " + std::strerror(error));
  int status = 0;
  waitpid(pid, &status, 0);
  sample.ms = ms_since(start);
  if (WIFSIGNALED(status)) return make_error(binary.string() + " killed by signal " + std::to_string(WTERMSIG(status)));
  if (WEXITSTATUS(status) != 0)
    return make_error(binary.string() + " exited with " + std::to_string(WEXITSTATUS(status)));
  return sample;
}

// ---- kiln ----------------------------------------------------------------------

std::string describe_failure(const CallResult& result) {
  if (result.trapped()) return result.trap.describe();
  if (result.exited()) return "exited with code " + std::to_string(result.exit_code);
  return result.error;
}

// Instantiates in a fresh Store and times the _start call alone.
Result<Sample> run_on_kiln_once(const Bench& bench, const Module& module, const Args& args) {
  Store store(bench.engine);
  host::WasiConfig config{.args = {module.name()}};
  config.args.insert(config.args.end(), args.begin(), args.end());
  auto wasi = std::make_shared<host::WasiContext>(std::move(config));
  host::attach_wasi(store, wasi);
  auto instance = store.instantiate(module, bench.linker);
  if (!instance) return instance.error();
  Clock::time_point start = Clock::now();
  CallResult result = instance->call("_start", {});
  Sample sample{ms_since(start), std::string(wasi->stdout_data())};
  bool clean = result.returned() || (result.exited() && result.exit_code == 0);
  if (!clean) return make_error(module.name() + ": " + describe_failure(result));
  return sample;
}

// ---- one program -------------------------------------------------------------------

using Runner = std::function<Result<Sample>(const Args& args)>;

Result<Sample> best_of(const Runner& run, const Args& args, int runs) {
  Sample best{std::numeric_limits<double>::infinity(), ""};
  for (int i = 0; i < runs; ++i) {
    auto sample = run(args);
    if (!sample) return sample.error();
    if (sample->ms < best.ms) best = *sample;
  }
  return best;
}

// The time of the rounds alone, with what the full run printed.
Result<Sample> rounds_time(const Runner& run, const Bench& bench) {
  auto full = best_of(run, bench.args, bench.repeat);
  if (!full) return full;
  auto empty = best_of(run, {"0"}, std::max(bench.repeat, kMinBaselineRuns));
  if (!empty) return empty;
  return Sample{full->ms - empty->ms, full->output};
}

// A program's output quoted in a one-line error message.
std::string one_line(const std::string& output) {
  std::string text;
  for (char c : output) {
    if (c == '\n') text += "\\n";
    else text += c;
  }
  return text;
}

Result<Row> bench_program(const Bench& bench, const std::string& program) {
  Clock::time_point start = Clock::now();
  auto module = Module::from_file(bench.engine, (bench.dir / (program + ".wasm")).string());
  double load_ms = ms_since(start);
  if (!module) return module.error();
  fs::path binary = bench.dir / (program + ".native");
  auto native = rounds_time([&](const Args& args) { return run_native_once(binary, args); }, bench);
  if (!native) return native.error();
  auto on_kiln = rounds_time([&](const Args& args) { return run_on_kiln_once(bench, *module, args); }, bench);
  if (!on_kiln) return on_kiln.error();
  if (native->output != on_kiln->output)
    return make_error(program + ": outputs differ: native printed \"" + one_line(native->output) +
                      "\", kiln printed \"" + one_line(on_kiln->output) + "\"");
  if (native->ms <= 0 || on_kiln->ms <= 0)
    return make_error(program + ": too short to measure against its 0-round run; give it more --rounds");
  return Row{program, native->ms, on_kiln->ms, load_ms};
}

// ---- the report ----------------------------------------------------------------------

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
  }
  return "unknown CPU";
}

// The CPUs this process may run on, as nproc counts them.
int cpu_count() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  return CPU_COUNT(&set);
}

std::string today() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &local);
  return text;
}

void print_header(const BenchOptions& options) {
  std::string rounds = options.rounds ? std::to_string(options.rounds) + " rounds" : "default rounds";
  std::printf("kiln bench: %s backend, %s, best of %d; times are of the rounds alone (0-round run subtracted)\n",
              options.backend.c_str(), rounds.c_str(), options.repeat);
  std::printf("%-10s %12s %12s %10s %10s\n", "program", "native ms", "kiln ms", "ratio", "load ms");
  std::fflush(stdout);
}

void print_row(const Row& row) {
  std::printf("%-10s %12.2f %12.2f %9.1fx %10.2f\n", row.program.c_str(), row.native_ms, row.kiln_ms,
              row.kiln_ms / row.native_ms, row.load_ms);
  std::fflush(stdout);
}

void print_footer(const std::vector<Row>& rows) {
  if (!rows.empty()) {
    double log_sum = 0;
    for (const Row& row : rows) log_sum += std::log(row.kiln_ms / row.native_ms);
    std::printf("%-10s %12s %12s %9.1fx\n", "geomean", "", "", std::exp(log_sum / static_cast<double>(rows.size())));
  }
  std::printf("machine: %d CPUs, %s; %s\n", cpu_count(), cpu_model().c_str(), today().c_str());
}

int run_bench(const BenchOptions& options) {
  auto backend = parse_backend_kind(options.backend);
  if (!backend) return fail(kExitUsage, backend.error().message);
  auto engine = Engine::create(EngineConfig{.backend = *backend});
  if (!engine) return fail(kExitBackendUnavailable, engine.error().message);
  fs::path dir = options.dir.empty() ? default_dir() : fs::path(options.dir);
  auto programs = select_programs(options, dir);
  if (!programs) return fail(kExitUnreadable, programs.error().message);

  Bench bench{*engine, Linker{}, dir, options.repeat, {}};
  if (options.rounds) bench.args.push_back(std::to_string(options.rounds));
  host::add_wasi(bench.linker);
  print_header(options);
  std::vector<Row> rows;
  int exit_code = kExitOk;
  for (const std::string& program : *programs) {
    auto row = bench_program(bench, program);
    if (!row) {
      exit_code = fail(kExitFailure, row.error().message);
      continue;
    }
    print_row(*row);
    rows.push_back(*row);
  }
  print_footer(rows);
  return exit_code;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* bench = app.add_subcommand("bench", "Time the benchmark programs on kiln against native (gcc -O2)");
  bench->add_option("--backend", options->backend, "Backend to run on: interp or aot")->capture_default_str();
  bench->add_option("--repeat", options->repeat, "Runs of each program; the best time counts")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  bench->add_option("--rounds", options->rounds, "Rounds of each program's kernel (default: the program's own)")
      ->check(CLI::Range(1, 1000000));
  bench->add_option("--dir", options->dir, "Directory with X.wasm and X.native (default: bench/ next to kiln)");
  bench->add_option("--program", options->programs, "Run only this program (repeatable), e.g. fib");
  bench->callback([options, &exit_code] { exit_code = run_bench(*options); });
}

}  // namespace kiln::cli
