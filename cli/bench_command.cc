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
// set-up on both sides. Times are CPU time (the native process's user + system
// time, the calling thread's for kiln): the machines this runs on are small
// shared VMs, where wall time mostly measures the neighbours.
//
// --breakdown (aot) runs each program on several builds of the same module
// (c_compiler.h's BuildVariant): plain -O3 without fuel or conformance
// flags, + the conformance flags, + fuel (what kiln runs), and the default
// with explicit bounds checks instead of guard pages.
//
// --startup times whole processes instead: `kiln run` of a guest that prints
// one line (bench/startup/hello.c, its artifact already cached) against the
// same C compiled natively, the median of many runs.
#include <fcntl.h>
#include <sys/resource.h>
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

#include "backends/aot/c_compiler.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "kiln/wasi.h"
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
  bool breakdown = false;
  bool startup = false;
  int startup_runs = 30;
};

// One build of the modules in a --breakdown: the first three each add one
// thing to the one before; the last is the default with explicit bounds checks.
struct Variant {
  const char* name;
  backends::aot::BuildVariant build;
};

const Variant kBreakdown[] = {
    {"plain", {.fuel = false, .conformance = false}},
    {"+conform", {.fuel = false, .conformance = true}},
    {"+fuel", {}},
    {"bounds", {.guard_pages = false}},
};
constexpr size_t kVariants = std::size(kBreakdown);

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
  std::vector<double> variant_ms;  // --breakdown: by kBreakdown index
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

double thread_cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

double cpu_ms(const rusage& usage) {
  auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
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
  if (!fs::is_directory(dir, error)) return make_error(ErrorKind::Io, dir.string() + ": no such benchmark directory");
  std::vector<std::string> available = programs_in(dir);
  if (options.programs.empty()) {
    if (available.empty()) return make_error(ErrorKind::Io, dir.string() + ": no benchmark programs (X.wasm with X.native)");
    return available;
  }
  for (const std::string& wanted : options.programs)
    if (std::find(available.begin(), available.end(), wanted) == available.end())
      return make_error(ErrorKind::Io, dir.string() + ": no benchmark program '" + wanted + "'");
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

// A whole process: its wall time from spawn to exit and its CPU time.
struct ProcessSample {
  double wall_ms = 0;
  double cpu_ms = 0;
  std::string output;
};

// Runs `binary` with its stdout captured.
Result<ProcessSample> run_process(const fs::path& binary, const Args& args) {
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return make_error(ErrorKind::Internal, "pipe failed");
  Clock::time_point start = Clock::now();
  pid_t pid = 0;
  int error = spawn(binary.string(), args, out_pipe[1], &pid);
  close(out_pipe[1]);
  ProcessSample sample;
  if (error == 0) sample.output = read_all(out_pipe[0]);
  close(out_pipe[0]);
  if (error != 0) return make_error(ErrorKind::Internal, binary.string() + ": cannot run it: " + std::strerror(error));
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  sample.wall_ms = ms_since(start);
  sample.cpu_ms = cpu_ms(usage);
  if (WIFSIGNALED(status)) return make_error(ErrorKind::Internal, binary.string() + " killed by signal " + std::to_string(WTERMSIG(status)));
  if (WEXITSTATUS(status) != 0)
    return make_error(ErrorKind::Internal, binary.string() + " exited with " + std::to_string(WEXITSTATUS(status)));
  return sample;
}

Result<Sample> run_native_once(const fs::path& binary, const Args& args) {
  auto run = run_process(binary, args);
  if (!run) return run.error();
  return Sample{run->cpu_ms, std::move(run->output)};
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
  double start = thread_cpu_ms();
  CallResult result = instance->call("_start", {});
  Sample sample{thread_cpu_ms() - start, std::string(wasi->stdout_data())};
  bool clean = result.returned() || (result.exited() && result.exit_code == 0);
  if (!clean) return make_error(ErrorKind::Internal, module.name() + ": " + describe_failure(result));
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

// The program's module built as `variant` (only --breakdown asks for
// anything but the default). The variant is process-wide, so it is put
// back before anything else loads a module.
Result<Module> load_variant(const Bench& bench, const std::string& program,
                            const backends::aot::BuildVariant& variant) {
  backends::aot::set_build_variant(variant);
  auto module = Module::from_file(bench.engine, (bench.dir / (program + ".wasm")).string());
  backends::aot::set_build_variant({});
  return module;
}

// Times the module's rounds on kiln and checks it printed what native did.
Result<double> kiln_rounds_ms(const Bench& bench, const Module& module, const std::string& program,
                              const Sample& native, const std::string& what) {
  auto on_kiln = rounds_time([&](const Args& args) { return run_on_kiln_once(bench, module, args); }, bench);
  if (!on_kiln) return on_kiln.error();
  if (native.output != on_kiln->output)
    return make_error(ErrorKind::Internal, program + ": outputs differ: native printed \"" + one_line(native.output) + "\", " + what +
                      " printed \"" + one_line(on_kiln->output) + "\"");
  if (on_kiln->ms <= 0)
    return make_error(ErrorKind::InvalidArgument, program + ": too short to measure against its 0-round run; give it more --rounds");
  return on_kiln->ms;
}

Result<Row> bench_program(const Bench& bench, const std::string& program, bool breakdown) {
  Clock::time_point start = Clock::now();
  auto module = Module::from_file(bench.engine, (bench.dir / (program + ".wasm")).string());
  double load_ms = ms_since(start);
  if (!module) return module.error();
  fs::path binary = bench.dir / (program + ".native");
  auto native = rounds_time([&](const Args& args) { return run_native_once(binary, args); }, bench);
  if (!native) return native.error();
  if (native->ms <= 0)
    return make_error(ErrorKind::InvalidArgument, program + ": too short to measure against its 0-round run; give it more --rounds");
  auto kiln_ms = kiln_rounds_ms(bench, *module, program, *native, "kiln");
  if (!kiln_ms) return kiln_ms.error();
  Row row{program, native->ms, *kiln_ms, load_ms, {}};
  if (!breakdown) return row;
  for (const Variant& variant : kBreakdown) {
    if (variant.build.is_default()) {
      row.variant_ms.push_back(row.kiln_ms);
      continue;
    }
    auto built = load_variant(bench, program, variant.build);
    if (!built) return built.error();
    auto ms = kiln_rounds_ms(bench, *built, program, *native, std::string("kiln (") + variant.name + ")");
    if (!ms) return ms.error();
    row.variant_ms.push_back(*ms);
  }
  return row;
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
  std::printf("kiln bench: %s backend, %s, best of %d; CPU times of the rounds alone (0-round run subtracted)\n",
              options.backend.c_str(), rounds.c_str(), options.repeat);
  std::printf("%-10s %12s %12s %10s %10s", "program", "native ms", "kiln ms", "ratio", "load ms");
  if (options.breakdown) {
    std::printf("  |");
    for (const Variant& variant : kBreakdown) std::printf(" %9s", variant.name);
  }
  std::printf("\n");
  std::fflush(stdout);
}

void print_row(const Row& row) {
  std::printf("%-10s %12.2f %12.2f %9.2fx %10.2f", row.program.c_str(), row.native_ms, row.kiln_ms,
              row.kiln_ms / row.native_ms, row.load_ms);
  if (!row.variant_ms.empty()) {
    std::printf("  |");
    for (double ms : row.variant_ms) std::printf(" %8.2fx", ms / row.native_ms);
  }
  std::printf("\n");
  std::fflush(stdout);
}

double geomean(const std::vector<Row>& rows, const std::function<double(const Row&)>& ms) {
  double log_sum = 0;
  for (const Row& row : rows) log_sum += std::log(ms(row) / row.native_ms);
  return std::exp(log_sum / static_cast<double>(rows.size()));
}

void print_machine() {
  std::printf("machine: %d CPUs, %s; %s\n", cpu_count(), cpu_model().c_str(), today().c_str());
}

void print_footer(const std::vector<Row>& rows, bool breakdown) {
  if (!rows.empty()) {
    std::printf("%-10s %12s %12s %9.2fx", "geomean", "", "", geomean(rows, [](const Row& r) { return r.kiln_ms; }));
    if (breakdown) {
      std::printf(" %10s  |", "");
      for (size_t i = 0; i < kVariants; ++i)
        std::printf(" %8.2fx", geomean(rows, [i](const Row& r) { return r.variant_ms[i]; }));
    }
    std::printf("\n");
  }
  if (breakdown) {
    std::printf("breakdown, ratios to native: plain = -O3 without fuel or conformance flags; +conform = with\n"
                "the conformance flags; +fuel = with fuel too (what kiln runs); bounds = +fuel with explicit\n"
                "bounds checks instead of guard pages\n");
  }
  print_machine();
}

// ---- start-up ------------------------------------------------------------------------

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

struct StartupTimes {
  double wall_ms = 0;  // medians
  double cpu_ms = 0;
};

// Median times of `runs` whole processes, after one run whose output is
// checked (and which warms the artifact cache and the page cache).
Result<StartupTimes> startup_times(const fs::path& binary, const Args& args, int runs, const std::string& expected,
                                   std::string* printed) {
  auto first = run_process(binary, args);
  if (!first) return first.error();
  *printed = first->output;
  if (!expected.empty() && first->output != expected)
    return make_error(ErrorKind::Internal, binary.string() + " printed \"" + one_line(first->output) + "\", native printed \"" +
                      one_line(expected) + "\"");
  std::vector<double> wall, cpu;
  for (int i = 0; i < runs; ++i) {
    auto run = run_process(binary, args);
    if (!run) return run.error();
    wall.push_back(run->wall_ms);
    cpu.push_back(run->cpu_ms);
  }
  return StartupTimes{median(wall), median(cpu)};
}

int run_startup(const BenchOptions& options, const fs::path& dir) {
  const fs::path hello = dir / "startup" / "hello";
  std::error_code error;
  if (!fs::exists(hello.string() + ".wasm", error) || !fs::exists(hello.string() + ".native", error))
    return fail(kExitUnreadable, hello.string() + ".wasm and .native: no start-up guest");
  std::string native_output, kiln_output;
  auto native = startup_times(hello.string() + ".native", {}, options.startup_runs, "", &native_output);
  if (!native) return fail(kExitFailure, native.error().message);
  const fs::path kiln = fs::read_symlink("/proc/self/exe");
  auto on_kiln = startup_times(kiln, {"run", "--backend", options.backend, hello.string() + ".wasm"},
                               options.startup_runs, native_output, &kiln_output);
  if (!on_kiln) return fail(kExitFailure, on_kiln.error().message);
  std::printf("kiln bench --startup: whole processes, median of %d runs (after one warm-up run)\n",
              options.startup_runs);
  std::printf("%-28s %12s %12s\n", "command", "wall ms", "cpu ms");
  std::printf("%-28s %12.2f %12.2f\n", "hello.native", native->wall_ms, native->cpu_ms);
  std::string command = "kiln run --backend " + options.backend;
  std::printf("%-28s %12.2f %12.2f\n", command.c_str(), on_kiln->wall_ms, on_kiln->cpu_ms);
  std::printf("%-28s %11.2fx %11.2fx\n", "ratio", on_kiln->wall_ms / native->wall_ms,
              on_kiln->cpu_ms / native->cpu_ms);
  print_machine();
  return kExitOk;
}

int run_bench(const BenchOptions& options) {
  auto backend = parse_backend_kind(options.backend);
  if (!backend) return fail(kExitUsage, backend.error().message);
  auto engine = Engine::create(EngineConfig{.backend = *backend});
  if (!engine) return fail(exit_code_for(engine.error().kind), engine.error().message);
  fs::path dir = options.dir.empty() ? default_dir() : fs::path(options.dir);
  if (options.startup) return run_startup(options, dir);
  if (options.breakdown && *backend != BackendKind::Aot) return fail(kExitUsage, "--breakdown is for --backend aot");
  auto programs = select_programs(options, dir);
  if (!programs) return fail(kExitUnreadable, programs.error().message);

  Bench bench{*engine, Linker{}, dir, options.repeat, {}};
  if (options.rounds) bench.args.push_back(std::to_string(options.rounds));
  host::add_wasi(bench.linker);
  print_header(options);
  std::vector<Row> rows;
  int exit_code = kExitOk;
  for (const std::string& program : *programs) {
    auto row = bench_program(bench, program, options.breakdown);
    if (!row) {
      exit_code = fail(kExitFailure, row.error().message);
      continue;
    }
    print_row(*row);
    rows.push_back(*row);
  }
  print_footer(rows, options.breakdown);
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
  bench->add_flag("--breakdown", options->breakdown,
                  "aot: also time builds without fuel and conformance flags, and with explicit bounds checks");
  bench->add_flag("--startup", options->startup,
                  "Time whole `kiln run` processes of a guest that prints one line, against native");
  bench->add_option("--startup-runs", options->startup_runs, "Processes timed by --startup; the median counts")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  bench->callback([options, &exit_code] { exit_code = run_bench(*options); });
}

}  // namespace kiln::cli
