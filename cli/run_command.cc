// kiln run: run a WASI command module under limits, streaming the process's
// own stdin/stdout/stderr, and exit with the guest's exit code. The default
// backend, auto, runs a module from the AOT cache when it is there and on
// the interpreter otherwise, compiling it meanwhile for the next run
// (cli/auto_backend.h, cli/background_compile.h).
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/sha256.h"
#include "base/startup_trace.h"
#include "base/units.h"
#include "cli/auto_backend.h"
#include "cli/background_compile.h"
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

struct RunOptions {
  std::string backend = "auto";
  std::string cache_dir;
  bool verbose = false;
  bool multi_memory = false;
  std::string fuel;
  std::string max_memory;
  std::string timeout;
  std::vector<std::string> env;
  std::string module_path;
  std::vector<std::string> args;
};

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "kiln: %s\n", message.c_str());
  return code;
}

Result<Limits> limits_from(const RunOptions& options) {
  Limits limits;
  if (!options.fuel.empty()) {
    char* end = nullptr;
    limits.fuel = std::strtoull(options.fuel.c_str(), &end, 10);
    if (*end != '\0' || options.fuel[0] == '-') return make_error(ErrorKind::InvalidArgument, "invalid fuel '" + options.fuel + "'");
  }
  if (!options.max_memory.empty()) {
    auto size = base::parse_size(options.max_memory);
    if (!size) return size.error();
    limits.max_memory_bytes = *size;
  }
  for (const std::string& entry : options.env) {
    if (entry.find('=') == std::string::npos || entry[0] == '=') {
      return make_error(ErrorKind::InvalidArgument, "invalid --env '" + entry + "' (expected KEY=VALUE)");
    }
  }
  if (!options.timeout.empty()) {
    auto timeout = base::parse_duration(options.timeout);
    if (!timeout) return timeout.error();
    limits.timeout = *timeout;
  }
  return limits;
}

// The backend this run uses, and whether to compile for the next one.
Result<AutoChoice> choose_backend(const RunOptions& options, const std::string& module_sha256) {
  if (options.backend == "auto") return choose_auto_backend(module_sha256, options.cache_dir, options.multi_memory);
  auto backend = parse_backend_kind(options.backend);  // checked by CLI11 already
  if (!backend) return backend.error();
  return AutoChoice{*backend, false, std::string(to_string(*backend)) + " (--backend " + options.backend + ")"};
}

// Runs _start and turns its outcome into kiln's exit code.
int run_start(Instance& instance, const std::string& module_path) {
  CallResult result = instance.call("_start", {});
  base::trace_startup("guest ran (_start)");
  switch (result.status) {
    case CallResult::Status::Returned: return kExitOk;
    case CallResult::Status::Exited:
      if (result.exit_code >= 0 && result.exit_code <= 255) return result.exit_code;
      return fail(kExitFailure, module_path + ": exit code " + std::to_string(result.exit_code) +
                                    " does not fit a process exit status");
    case CallResult::Status::Trapped:
      return fail(exit_code_for(error_kind(result.trap.kind)), module_path + ": " + result.trap.describe());
    case CallResult::Status::Failed: return fail(kExitFailure, result.error);
  }
  return kExitFailure;
}

int run(const RunOptions& options) {
  base::trace_startup("command line parsed");
  auto limits = limits_from(options);
  if (!limits) return fail(kExitUsage, limits.error().message);
  auto bytes = base::read_file_bytes(options.module_path);
  if (!bytes) return fail(exit_code_for(ErrorKind::Io), options.module_path + ": cannot read the file");
  const std::string sha256 = base::sha256_hex(*bytes);
  base::trace_startup("module read and hashed");
  auto choice = choose_backend(options, sha256);
  if (!choice) return fail(kExitUsage, choice.error().message);
  base::trace_startup("backend chosen");
  auto engine = Engine::create(
      EngineConfig{.backend = choice->backend, .cache_dir = options.cache_dir, .multi_memory = options.multi_memory});
  if (!engine) return fail(exit_code_for(engine.error().kind), engine.error().message);

  base::trace_startup("engine created");
  auto module = Module::compile(*engine, *bytes, options.module_path);
  if (!module) return fail(exit_code_for(module.error().kind), module.error().message);
  base::trace_startup("module loaded");
  // Only a module that loaded is worth compiling: an invalid one would fail
  // again in the background, unseen, on every run.
  if (choice->compile_in_background) {
    const bool started = start_background_compile(options.module_path, sha256, options.cache_dir);
    choice->why += started ? "; compiling it in the background for the next run"
                           : "; cannot compile it in the background (not a regular file, or fork failed)";
  }
  // Before the guest runs, so the line comes ahead of anything it prints.
  if (options.verbose) std::fprintf(stderr, "kiln: %s: %s\n", options.module_path.c_str(), choice->why.c_str());

  Linker linker;
  host::add_wasi(linker);
  Store store(*engine);
  store.limits() = *limits;
  host::WasiConfig wasi;
  wasi.stdio = host::WasiConfig::Stdio::Inherit;
  wasi.args.push_back(options.module_path);
  wasi.args.insert(wasi.args.end(), options.args.begin(), options.args.end());
  wasi.env = options.env;
  host::attach_wasi(store, std::make_shared<host::WasiContext>(std::move(wasi)));

  auto instance = store.instantiate(*module, linker);
  if (!instance) return fail(exit_code_for(instance.error().kind), instance.error().message);
  if (!module->info().find_export("_start")) {
    return fail(kExitLinkError, options.module_path + ": exports no _start function (not a WASI command)");
  }
  base::trace_startup("instantiated (WASI linked)");
  return run_start(*instance, options.module_path);
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run a WASI command module");
  cmd->add_option("--backend", options->backend,
                  "Execution backend: auto (from the AOT cache if compiled, else the interpreter while it compiles "
                  "in the background), interp (never compiles) or aot (compiles first if not cached)")
      ->default_val("auto")
      ->check(CLI::IsMember({"auto", "interp", "aot"}));
  cmd->add_option("--cache-dir", options->cache_dir,
                  "AOT artifact cache (default: $KILN_CACHE_DIR, $XDG_CACHE_HOME/kiln or ~/.cache/kiln)");
  cmd->add_flag("-v,--verbose", options->verbose, "Say on stderr which backend runs the module, and why");
  cmd->add_option("--fuel", options->fuel, "Fuel budget (about one unit per instruction); default unlimited");
  cmd->add_option("--max-memory", options->max_memory, "Cap on linear memory: bytes, K/M/G or KiB/MiB/GiB");
  cmd->add_option("--timeout", options->timeout, "Wall-clock limit: e.g. 500ms, 2s, 1m");
  cmd->add_flag("--enable-multi-memory", options->multi_memory,
                "Accept modules with several memories (the multi-memory proposal; interpreter only)");
  cmd->add_option("--env", options->env, "Environment variable KEY=VALUE for the guest (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("module", options->module_path, "The module (.wasm)")->required();
  cmd->add_option("args", options->args, "Arguments for the guest (after --)");
  cmd->footer(
      "With --backend auto, the first run of a module starts on the interpreter and leaves a detached\n"
      "`kiln compile` filling the cache; later runs of the same bytes load the AOT artifact at once.\n"
      "Modules the AOT backend cannot translate (SIMD, threads, ...) and hosts without a C compiler\n"
      "($CC, default cc) stay on the interpreter. The cache is --cache-dir, else $KILN_CACHE_DIR, else\n"
      "$XDG_CACHE_HOME/kiln, else ~/.cache/kiln; `kiln compile module.wasm` fills it ahead of time.");
  cmd->callback([options, &exit_code] { exit_code = run(*options); });
}

}  // namespace kiln::cli
