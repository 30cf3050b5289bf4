// Differential fuzzing of kiln's two backends (issue 11). For each seed,
// binaryen's translate-to-fuzz mode (`wasm-opt -ttf`) turns random bytes into
// a valid module; the module runs on the interpreter and on the aot backend
// under the same fuel, every export is called with the same arguments, and
// each call must end the same way on both: the same results, the same trap
// kind, the same fuel used and the same values logged through binaryen's
// `fuzzing-support` imports. A mismatch prints the seed, the export and both
// outcomes, keeps the module, and makes the exit code 1.
//
//   kiln_differential_fuzz --seeds 1000 --first-seed 1 --fuel 1000000
//
// Exit codes: 0 every call agreed; 1 a mismatch, or wasm-opt failed; 2 bad
// usage, or nothing could be compared; 77 no wasm-opt (Debian: binaryen),
// which ctest reports as a skip.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/files.h"
#include "kiln/engine.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"

extern char** environ;

namespace kiln::fuzz {
namespace {

namespace fs = std::filesystem;

constexpr int kExitMismatch = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSkip = 77;

// Binaryen's own harness calls this export before every other one: it resets
// the global that bounds loops and recursion, without which every call after
// the first long one would trap at once.
constexpr const char* kHangLimitInitializer = "hangLimitInitializer";

struct Options {
  uint64_t seeds = 100;
  uint64_t first_seed = 1;
  uint64_t fuel = 1'000'000;
  unsigned jobs = 1;
  std::string wasm_opt = "wasm-opt";
  std::string work_dir;   // generated modules; kept only for mismatches (or --keep)
  std::string cache_dir;  // the aot backend's artifacts
  bool keep = false;
  bool verbose = false;
  bool keep_nans = false;              // no binaryen --denan: see compare_float
  bool plant_fuel_difference = false;  // a check of the checker: must find mismatches
  bool temporary_work_dir = false;  // made by this run: removed at its end unless a module is kept in it
};

// ---- generating a module ----------------------------------------------------

// What the aot backend translates (backends/aot/c_translator.cc): the
// WebAssembly 2.0 features except reference types, whose binaryen 108 output
// is not valid to WABT 1.0.32 (typed function references leak into it:
// `ref.func` typed `(ref $t)`). SIMD, threads, tail calls, memory64, multi-
// memory, exceptions and GC stay off: the aot backend would hand those
// modules to the interpreter, and comparing the interpreter with itself
// proves nothing.
const std::vector<std::string> kFeatureFlags = {
    "--mvp-features",          "--enable-sign-ext",       "--enable-nontrapping-float-to-int",
    "--enable-bulk-memory",    "--enable-mutable-globals", "--enable-multivalue",
};

// `name` as run: itself when it holds a slash, else the first match on PATH.
std::optional<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

// Runs a command with its output discarded (wasm-opt warns on every run that
// it was given no passes); the exit status, or -1 when it did not run.
int run_quietly(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

struct GeneratedModule {
  std::string input_path;  // the random bytes binaryen read
  std::string wasm_path;
  std::vector<uint8_t> bytes;
};

// A few KiB of random input: binaryen makes a module of a few dozen
// functions from it, which the C compiler turns into an artifact in about
// half a second (the bulk of each seed's time).
Result<GeneratedModule> generate_module(uint64_t seed, std::mt19937_64& rng, const Options& options) {
  GeneratedModule generated;
  const std::string stem = (fs::path(options.work_dir) / ("seed-" + std::to_string(seed))).string();
  generated.input_path = stem + ".input";
  generated.wasm_path = stem + ".wasm";
  std::string input(std::uniform_int_distribution<size_t>(1024, 6144)(rng), '\0');
  for (char& byte : input) byte = static_cast<char>(rng());
  std::ofstream(generated.input_path, std::ios::binary) << input;
  std::vector<std::string> command = {options.wasm_opt, "-ttf", generated.input_path, "-o", generated.wasm_path};
  command.insert(command.end(), kFeatureFlags.begin(), kFeatureFlags.end());
  if (!options.keep_nans) command.push_back("--denan");
  if (int status = run_quietly(command); status != 0) {
    return make_error(ErrorKind::Internal, "wasm-opt -ttf failed (status " + std::to_string(status) + ") on " +
                                               generated.input_path);
  }
  auto bytes = base::read_file_bytes(generated.wasm_path);
  if (!bytes) return make_error(ErrorKind::Io, "cannot read " + generated.wasm_path);
  generated.bytes = std::move(*bytes);
  return generated;
}

// ---- the imports binaryen's modules expect ---------------------------------

// One call of a `fuzzing-support.log-*` import: which, and what it was given.
struct LogEntry {
  std::string import;
  std::vector<Value> values;
};
using Log = std::vector<LogEntry>;

Value zero_of(ValType type) {
  switch (type) {
    case ValType::I64: return Value::from_i64(0);
    case ValType::F32: return Value::from_f32_bits(0);
    case ValType::F64: return Value::from_f64_bits(0);
    default: return Value::from_i32(0);
  }
}

// Every imported function records its arguments in `log` and returns zeros.
// Binaryen 108 imports only fuzzing-support's log-i32/-i64/-f32/-f64, which
// return nothing; any other import is recorded the same way, so that a
// newer binaryen's imports are compared too instead of failing to link.
Linker logging_linker(const ModuleInfo& info, Log& log) {
  Linker linker;
  for (const ImportDesc& import : info.imports) {
    if (import.kind != ExternKind::Func) continue;  // instantiation fails on both: the module is skipped
    FuncType type = import.func_type;
    std::string name = import.module + "." + import.name;
    linker.define(import.module, import.name,
                  HostFunc{type, [&log, type, name](HostContext&, std::span<const Value> args, std::span<Value> results) {
                             log.push_back({name, {args.begin(), args.end()}});
                             for (size_t i = 0; i < results.size(); ++i) results[i] = zero_of(type.results[i]);
                             return HostResult::ok();
                           }});
  }
  return linker;
}

// ---- planning the calls -----------------------------------------------------

struct PlannedCall {
  std::string export_name;
  std::vector<Value> args;
  uint64_t fuel = 0;  // the budget on both backends
};

// Arguments drawn from the seed: edge values most of the time, random bits
// otherwise.
class ArgumentSource {
 public:
  explicit ArgumentSource(std::mt19937_64& rng) : rng_(rng) {}

  Value next(ValType type) {
    bool edge = rng_() % 4 != 0;
    switch (type) {
      case ValType::I32: return Value::from_i32(static_cast<int32_t>(edge ? pick(kIntEdges) : rng_()));
      case ValType::I64: return Value::from_i64(edge ? static_cast<int64_t>(pick(kIntEdges)) : static_cast<int64_t>(rng_()));
      case ValType::F32: return edge ? Value::from_f32(static_cast<float>(pick(kFloatEdges)))
                                     : Value::from_f32_bits(static_cast<uint32_t>(rng_()));
      case ValType::F64: return edge ? Value::from_f64(pick(kFloatEdges)) : Value::from_f64_bits(rng_());
      default: return zero_of(type);
    }
  }

 private:
  static constexpr uint64_t kIntEdges[] = {0, 1, 2, ~uint64_t{0}, 0x7fffffff, 0x80000000, 0xffffffff,
                                           0x7fffffffffffffff, 0x8000000000000000, 65536};
  static constexpr double kFloatEdges[] = {0.0, -0.0, 1.0, -1.0, 0.5, 1e30, -3e38, 4294967296.0,
                                           __builtin_inf(), -__builtin_inf(), __builtin_nan(""), 1e-310};

  template <class T, size_t N>
  T pick(const T (&values)[N]) { return values[rng_() % N]; }

  std::mt19937_64& rng_;
};

bool passable(ValType type) {
  return type == ValType::I32 || type == ValType::I64 || type == ValType::F32 || type == ValType::F64;
}

// Binaryen's hang limit keeps its modules' calls short (a few thousand
// units of fuel at most), so the full budget never runs out: one call in
// four gets a budget drawn log-uniformly from [1, fuel] instead, which ends
// calls at arbitrary points. Both backends must stop at the same
// instruction, with the same effects so far.
uint64_t fuel_for_call(uint64_t fuel, std::mt19937_64& rng) {
  if (rng() % 4 != 0 || fuel <= 1) return fuel;
  double exponent = std::uniform_real_distribution<double>(0, std::log2(static_cast<double>(fuel)))(rng);
  return std::clamp<uint64_t>(static_cast<uint64_t>(std::exp2(exponent)), 1, fuel);
}

// Every exported function in export order, hangLimitInitializer before each
// of the others. Exports taking a type kiln cannot pass here are skipped.
std::vector<PlannedCall> plan_calls(const ModuleInfo& info, uint64_t fuel, std::mt19937_64& rng, uint64_t& skipped) {
  const bool has_hang_limit = info.find_export(kHangLimitInitializer) != nullptr;
  ArgumentSource source(rng);
  std::vector<PlannedCall> plan;
  for (const ExportDesc& item : info.exports) {
    if (item.kind != ExternKind::Func || item.name == kHangLimitInitializer) continue;
    const auto& params = item.func_type.params;
    if (!std::all_of(params.begin(), params.end(), passable)) {
      ++skipped;
      continue;
    }
    if (has_hang_limit) plan.push_back({kHangLimitInitializer, {}, fuel});
    PlannedCall call{item.name, {}, fuel_for_call(fuel, rng)};
    for (ValType type : params) call.args.push_back(source.next(type));
    plan.push_back(std::move(call));
  }
  return plan;
}

// ---- running on one backend -------------------------------------------------

struct CallOutcome {
  CallResult result;
  Log log;  // what the call logged
};

// One backend's instance of the module, with the log its imports write.
// Calls after a trap run on the same instance, as binaryen's own harness
// does: a trap's partial effects (memory stored, globals set before it)
// must be the same on both backends, and later calls see them.
class BackendRun {
 public:
  explicit BackendRun(const Module& module) : store_(std::make_unique<Store>(module.engine())) {
    linker_ = logging_linker(module.info(), log_);
  }
  // The linker's host functions hold the address of log_.
  BackendRun(const BackendRun&) = delete;
  BackendRun& operator=(const BackendRun&) = delete;

  // Empty when instantiated; else what stopped it.
  std::optional<std::string> instantiate(const Module& module, uint64_t fuel) {
    store_->limits().fuel = fuel;
    store_->limits().max_memory_bytes = uint64_t{64} << 20;
    std::optional<Trap> trap;
    auto instance = store_->instantiate(module, linker_, &trap);
    if (instance.ok()) {
      instance_ = *instance;
      return std::nullopt;
    }
    if (trap) return std::string("trapped: ") + to_string(trap->kind);
    return std::string("failed: ") + to_string(instance.error().kind);
  }

  CallOutcome call(const PlannedCall& planned) {
    log_.clear();
    store_->limits().fuel = planned.fuel;
    CallOutcome outcome{instance_->call(planned.export_name, planned.args), {}};
    outcome.log = std::move(log_);
    log_.clear();
    return outcome;
  }

  std::span<const uint8_t> memory() const { return instance_->memory(); }

  // The values of the globals the module exports, in export order.
  std::vector<Value> exported_globals() const {
    std::vector<Value> values;
    for (const ExportDesc& item : instance_->module().info().exports) {
      if (item.kind != ExternKind::Global) continue;
      if (auto global = instance_->get_export(item.name)) values.push_back(store_->global_get(*global));
    }
    return values;
  }

 private:
  std::unique_ptr<Store> store_;
  Log log_;
  Linker linker_;
  std::optional<Instance> instance_;
};

// ---- comparing --------------------------------------------------------------

struct FloatLayout {
  uint64_t exponent, fraction, quiet;
};
constexpr FloatLayout kF32{0x7f800000, 0x007fffff, 0x00400000};
constexpr FloatLayout kF64{0x7ff0000000000000, 0x000fffffffffffff, 0x0008000000000000};

bool is_nan(uint64_t bits, FloatLayout layout) {
  return (bits & layout.exponent) == layout.exponent && (bits & layout.fraction) != 0;
}

enum class Agreement { Same, NanBitsDiffer, Differ };

// Float values agree bit for bit, or as NaNs the spec lets differ: an
// arithmetic instruction's NaN has a nondeterministic sign, and its payload
// is the canonical one only when every NaN it was given was canonical (else
// any quiet NaN). So two NaNs differing in sign or payload are both allowed,
// canonical or not. A quiet NaN on one side and a signalling one on the
// other is not: arithmetic never makes a signalling NaN, so it came through
// instructions that keep bits exactly (const, load, reinterpret, copysign),
// and one backend changed them.
// The backends do differ here: WABT's interpreter returns the canonical NaN
// where the C code keeps an operand's payload (f64.sub of two non-canonical
// NaNs), and such a NaN stored to memory (or reinterpreted as an integer)
// differs where no rule can excuse it. So modules are de-NaN'd by default
// (binaryen's --denan turns every NaN a float instruction makes into 0, as
// binaryen's own fuzzer does when it compares engines), and this rule only
// matters with --keep-nans.
Agreement compare_float(uint64_t a, uint64_t b, FloatLayout layout) {
  if (a == b) return Agreement::Same;
  if (!is_nan(a, layout) || !is_nan(b, layout)) return Agreement::Differ;
  bool a_quiet = (a & layout.quiet) != 0, b_quiet = (b & layout.quiet) != 0;
  return a_quiet == b_quiet ? Agreement::NanBitsDiffer : Agreement::Differ;
}

Agreement compare_value(const Value& a, const Value& b) {
  if (a.type != b.type) return Agreement::Differ;
  switch (a.type) {
    case ValType::I32: return a.i32 == b.i32 ? Agreement::Same : Agreement::Differ;
    case ValType::I64: return a.i64 == b.i64 ? Agreement::Same : Agreement::Differ;
    case ValType::F32: return compare_float(a.f32_bits, b.f32_bits, kF32);
    case ValType::F64: return compare_float(a.f64_bits, b.f64_bits, kF64);
    default: return a.ref == b.ref ? Agreement::Same : Agreement::Differ;
  }
}

// The worst agreement over two lists of values.
Agreement compare_values(const std::vector<Value>& a, const std::vector<Value>& b) {
  if (a.size() != b.size()) return Agreement::Differ;
  Agreement worst = Agreement::Same;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, compare_value(a[i], b[i]));
  return worst;
}

Agreement compare_logs(const Log& a, const Log& b) {
  if (a.size() != b.size()) return Agreement::Differ;
  Agreement worst = Agreement::Same;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].import != b[i].import) return Agreement::Differ;
    worst = std::max(worst, compare_values(a[i].values, b[i].values));
  }
  return worst;
}

// A call stopped by the native stack's depth rather than by the program:
// the backends' frames differ in size, so depth, fuel and effects may too.
bool exhausted_stack(const CallResult& result) {
  return result.trapped() && result.trap.kind == TrapKind::CallStackExhausted;
}

Agreement compare_outcomes(const CallOutcome& a, const CallOutcome& b) {
  const CallResult &x = a.result, &y = b.result;
  if (x.status != y.status) return Agreement::Differ;
  if (x.trapped() && x.trap.kind != y.trap.kind) return Agreement::Differ;
  if (x.exited() && x.exit_code != y.exit_code) return Agreement::Differ;
  if (x.fuel_used != y.fuel_used) return Agreement::Differ;
  return std::max(compare_values(x.values, y.values), compare_logs(a.log, b.log));
}

// Where two memories first differ, or nullopt when they are the same.
std::optional<size_t> first_difference(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return std::min(a.size(), b.size());
  auto [at, _] = std::mismatch(a.begin(), a.end(), b.begin());
  if (at == a.end()) return std::nullopt;
  return static_cast<size_t>(at - a.begin());
}

// Up to 8 bytes from `at`, and the memory's size.
std::string hex_bytes(std::span<const uint8_t> memory, size_t at) {
  std::string text;
  for (size_t i = at; i < memory.size() && i < at + 8; ++i) {
    char byte[4];
    std::snprintf(byte, sizeof byte, "%02x", memory[i]);
    text += byte;
  }
  return (text.empty() ? "(end)" : text) + " of " + std::to_string(memory.size()) + " bytes";
}

// What the module's state shows after a call: memory 0 and the exported
// globals. Binaryen's hashMemory export sees memory only when called; this
// names the call that changed it. Empty when both backends' state agrees.
std::string compare_state(const BackendRun& interp, const BackendRun& aot) {
  if (auto at = first_difference(interp.memory(), aot.memory())) {
    return "memory differs from byte " + std::to_string(*at) + ": interp " + hex_bytes(interp.memory(), *at) +
           ", aot " + hex_bytes(aot.memory(), *at);
  }
  if (compare_values(interp.exported_globals(), aot.exported_globals()) == Agreement::Differ) {
    return "exported globals differ";
  }
  return {};
}

std::string describe(const Log& log) {
  std::string text;
  for (const LogEntry& entry : log) {
    text += "\n      " + entry.import;
    for (const Value& value : entry.values) text += " " + to_string(value);
  }
  return text;
}

std::string describe(const CallOutcome& outcome) {
  const CallResult& result = outcome.result;
  std::string text;
  switch (result.status) {
    case CallResult::Status::Returned:
      text = "returned";
      for (const Value& value : result.values) text += " " + to_string(value);
      break;
    case CallResult::Status::Trapped: text = result.trap.describe(); break;
    case CallResult::Status::Exited: text = "exited " + std::to_string(result.exit_code); break;
    case CallResult::Status::Failed: text = "failed: " + result.error; break;
  }
  text += ", fuel used " + std::to_string(result.fuel_used) + ", " + std::to_string(outcome.log.size()) + " logged";
  return text + describe(outcome.log);
}

std::string describe(const PlannedCall& call) {
  std::string text = call.export_name + "(";
  for (size_t i = 0; i < call.args.size(); ++i) text += (i ? ", " : "") + to_string(call.args[i]);
  return text + ") with fuel " + std::to_string(call.fuel);
}

// ---- one seed -----------------------------------------------------------------

struct SeedReport {
  uint64_t seed = 0;
  bool compared = false;        // both backends ran the module
  std::string skipped_because;  // the module was not compared, and why
  std::string mismatch;         // empty when every call agreed
  std::string error;            // binaryen could not make the module: fails the run too
  std::string nan_note;         // the first call whose NaN results differed in bits only
  uint64_t calls = 0, calls_skipped = 0, traps = 0, out_of_fuel = 0, nan_bits_differed = 0;
  bool stack_exhausted = false;
};

class Fuzzer {
 public:
  Fuzzer(Options options, Engine interp, Engine aot)
      : options_(std::move(options)), interp_(std::move(interp)), aot_(std::move(aot)) {}

  SeedReport run_seed(uint64_t seed) const {
    SeedReport report;
    report.seed = seed;
    std::mt19937_64 rng(seed);
    auto generated = generate_module(seed, rng, options_);
    if (!generated) {
      report.error = generated.error().message;
      return report;
    }
    compare_module(*generated, rng, report);
    if (!report.mismatch.empty()) {
      report.mismatch += "\n  module kept: " + generated->wasm_path;
    } else if (!options_.keep) {
      fs::remove(generated->input_path);
      fs::remove(generated->wasm_path);
    }
    return report;
  }

 private:
  void compare_module(const GeneratedModule& generated, std::mt19937_64& rng, SeedReport& report) const {
    const std::string name = fs::path(generated.wasm_path).filename().string();
    auto on_interp = Module::compile(interp_, generated.bytes, name);
    auto on_aot = Module::compile(aot_, generated.bytes, name);
    if (!on_interp || !on_aot) return judge_refusal(on_interp, on_aot, report);
    BackendRun interp(*on_interp), aot(*on_aot);
    auto interp_failed = interp.instantiate(*on_interp, options_.fuel);
    auto aot_failed = aot.instantiate(*on_aot, options_.fuel);
    if (interp_failed != aot_failed) {
      report.mismatch = "instantiation: interp " + interp_failed.value_or("ok") + ", aot " + aot_failed.value_or("ok");
      return;
    }
    if (interp_failed) {
      report.skipped_because = "instantiation " + *interp_failed + " on both backends";
      return;
    }
    report.compared = true;
    for (const PlannedCall& call : plan_calls(on_interp->info(), options_.fuel, rng, report.calls_skipped)) {
      if (!compare_call(call, interp, aot, report)) return;
    }
  }

  // Whether to go on with the module's next call.
  bool compare_call(const PlannedCall& call, BackendRun& interp, BackendRun& aot, SeedReport& report) const {
    CallOutcome expected = interp.call(call);
    PlannedCall aot_call = call;
    if (options_.plant_fuel_difference) aot_call.fuel = std::max<uint64_t>(aot_call.fuel / 2, 1);
    CallOutcome got = aot.call(aot_call);
    if (exhausted_stack(expected.result) || exhausted_stack(got.result)) {
      report.stack_exhausted = true;  // state may differ from here on: stop comparing this module
      return false;
    }
    ++report.calls;
    report.traps += expected.result.trapped();
    report.out_of_fuel += expected.result.trapped() && expected.result.trap.kind == TrapKind::OutOfFuel;
    Agreement agreement = compare_outcomes(expected, got);
    std::string both = "call " + describe(call) + "\n  interp: " + describe(expected) + "\n  aot:    " + describe(got);
    if (agreement == Agreement::NanBitsDiffer && report.nan_bits_differed++ == 0) report.nan_note = both;
    if (agreement == Agreement::Differ) {
      report.mismatch = both;
      return false;
    }
    if (std::string state = compare_state(interp, aot); !state.empty()) {
      report.mismatch = both + "\n  after the call: " + state;
      return false;
    }
    return true;
  }

  // A module either backend refuses as Unsupported is skipped (the aot
  // backend translates less than the interpreter runs); any other refusal
  // by one backend only, or for different reasons, is a mismatch.
  static void judge_refusal(const Result<Module>& interp, const Result<Module>& aot, SeedReport& report) {
    auto kind_of = [](const Result<Module>& module) { return module ? std::string("ok") : to_string(module.error().kind); };
    bool unsupported = (!interp && interp.error().kind == ErrorKind::Unsupported) ||
                       (!aot && aot.error().kind == ErrorKind::Unsupported);
    if (unsupported || kind_of(interp) == kind_of(aot)) {
      report.skipped_because = "refused (" + (!aot ? aot.error().message : interp.error().message) + ")";
      return;
    }
    report.mismatch = "module load: interp " + (interp ? "ok" : interp.error().message) + "; aot " +
                      (aot ? "ok" : aot.error().message);
  }

  Options options_;
  Engine interp_, aot_;
};

// ---- the whole run --------------------------------------------------------------

struct Totals {
  uint64_t modules = 0, modules_skipped = 0, stack_exhausted = 0, calls = 0, calls_skipped = 0, traps = 0,
           out_of_fuel = 0, nan_bits_differed = 0, mismatches = 0, errors = 0;

  void add(const SeedReport& report) {
    modules += report.compared;
    modules_skipped += !report.skipped_because.empty();
    stack_exhausted += report.stack_exhausted;
    calls += report.calls;
    calls_skipped += report.calls_skipped;
    traps += report.traps;
    out_of_fuel += report.out_of_fuel;
    nan_bits_differed += report.nan_bits_differed;
    mismatches += !report.mismatch.empty();
    errors += !report.error.empty();
  }
};

void print_report(const SeedReport& report, const Options& options) {
  if (!report.error.empty()) {
    std::printf("ERROR seed %llu: %s\n", static_cast<unsigned long long>(report.seed), report.error.c_str());
  } else if (!report.mismatch.empty()) {
    std::printf("MISMATCH seed %llu: %s\n", static_cast<unsigned long long>(report.seed), report.mismatch.c_str());
  } else if (options.verbose && !report.nan_note.empty()) {
    std::printf("seed %llu: NaN results differing in bits only (allowed): %s\n",
                static_cast<unsigned long long>(report.seed), report.nan_note.c_str());
  } else if (options.verbose && !report.skipped_because.empty()) {
    std::printf("seed %llu: skipped: %s\n", static_cast<unsigned long long>(report.seed), report.skipped_because.c_str());
  } else if (options.verbose) {
    std::printf("seed %llu: %llu calls agree\n", static_cast<unsigned long long>(report.seed),
                static_cast<unsigned long long>(report.calls));
  }
  std::fflush(stdout);
}

// Runs every seed on `options.jobs` threads (Engines and Modules are
// shared between threads; each seed has Stores of its own).
Totals run_all(const Fuzzer& fuzzer, const Options& options) {
  Totals totals;
  std::mutex mutex;
  std::atomic<uint64_t> next{0};
  auto worker = [&] {
    for (uint64_t i = next++; i < options.seeds; i = next++) {
      SeedReport report = fuzzer.run_seed(options.first_seed + i);
      std::lock_guard lock(mutex);
      totals.add(report);
      print_report(report, options);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < options.jobs; ++i) threads.emplace_back(worker);
  worker();
  for (std::thread& thread : threads) thread.join();
  return totals;
}

void print_summary(const Totals& totals, const Options& options, double seconds) {
  auto n = [](uint64_t value) { return static_cast<unsigned long long>(value); };
  std::printf(
      "differential fuzz: seeds %llu..%llu, fuel %llu per call (1 in 4 less): %llu modules compared (%llu skipped, %llu stopped "
      "at stack exhaustion), %llu calls compared (%llu traps, %llu out of fuel; %llu exports skipped), "
      "%llu NaN results differing in bits only, %llu mismatches, %llu errors, %.1f s\n",
      n(options.first_seed), n(options.first_seed + options.seeds - 1), n(options.fuel), n(totals.modules),
      n(totals.modules_skipped), n(totals.stack_exhausted), n(totals.calls), n(totals.traps), n(totals.out_of_fuel),
      n(totals.calls_skipped), n(totals.nan_bits_differed), n(totals.mismatches), n(totals.errors), seconds);
}

Result<Engine> make_engine(BackendKind backend, const Options& options) {
  EngineConfig config;
  config.backend = backend;
  config.cache_dir = options.cache_dir;
  config.aot_interp_fallback = false;  // a module the aot backend cannot translate is refused, not run on the interpreter
  return Engine::create(config);
}

void parse_options(CLI::App& app, Options& options) {
  // The last of a repeated option wins: scripts/fuzz-differential.sh passes
  // defaults its caller's own arguments override.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--seeds", options.seeds, "how many seeds (modules) to run")->capture_default_str();
  app.add_option("--first-seed", options.first_seed, "the first seed")->capture_default_str();
  app.add_option("--fuel", options.fuel, "fuel budget of every call, on both backends")->capture_default_str();
  app.add_option("-j,--jobs", options.jobs, "seeds run at once")->capture_default_str()->check(CLI::Range(1u, 64u));
  app.add_option("--wasm-opt", options.wasm_opt, "binaryen's wasm-opt")->capture_default_str();
  app.add_option("--work-dir", options.work_dir, "where modules are written (default: a new temporary directory)");
  app.add_option("--cache-dir", options.cache_dir, "aot artifact cache (default: <work-dir>/aot-cache)");
  app.add_flag("--keep", options.keep, "keep every generated module, not only mismatching ones");
  app.add_flag("-v,--verbose", options.verbose, "a line per seed");
  app.add_flag("--keep-nans", options.keep_nans,
               "no --denan: NaN payloads the spec leaves open may differ in memory and be reported");
  app.add_flag("--plant-fuel-difference", options.plant_fuel_difference,
               "give the aot backend half the fuel of each call, to check that mismatches are caught");
}

// Fills in the directories' defaults and creates them.
void prepare_directories(Options& options) {
  if (options.work_dir.empty()) {
    options.work_dir = (fs::temp_directory_path() / ("kiln-differential-fuzz-" + std::to_string(::getpid()))).string();
    options.temporary_work_dir = true;
  }
  if (options.cache_dir.empty()) options.cache_dir = (fs::path(options.work_dir) / "aot-cache").string();
  fs::create_directories(options.work_dir);
  fs::create_directories(options.cache_dir);
}

int run(Options options) {
  auto wasm_opt = find_program(options.wasm_opt);
  if (!wasm_opt) {
    std::printf("differential fuzz skipped: %s not found (Debian package: binaryen)\n", options.wasm_opt.c_str());
    return kExitSkip;
  }
  options.wasm_opt = *wasm_opt;
  prepare_directories(options);
  auto interp = make_engine(BackendKind::Interp, options);
  auto aot = make_engine(BackendKind::Aot, options);
  if (!interp || !aot) {
    std::fprintf(stderr, "%s\n", (!interp ? interp : aot).error().message.c_str());
    return kExitUsage;
  }
  const auto start = std::chrono::steady_clock::now();
  Fuzzer fuzzer(options, std::move(*interp), std::move(*aot));
  Totals totals = run_all(fuzzer, options);
  print_summary(totals, options, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (totals.mismatches > 0 || totals.errors > 0) return kExitMismatch;
  if (options.temporary_work_dir && !options.keep) fs::remove_all(options.work_dir);
  if (totals.calls == 0) {
    std::printf("nothing was compared: every module was skipped\n");
    return kExitUsage;
  }
  return 0;
}

}  // namespace
}  // namespace kiln::fuzz

int main(int argc, char** argv) {
  CLI::App app{"Differential fuzzing: random modules from binaryen's wasm-opt -ttf, run on both backends"};
  kiln::fuzz::Options options;
  kiln::fuzz::parse_options(app, options);
  CLI11_PARSE(app, argc, argv);
  return kiln::fuzz::run(std::move(options));
}
