// kiln run: run a WASI command module under limits, streaming the process's
// own stdin/stdout/stderr, and exit with the guest's exit code.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "base/units.h"
#include "kiln/wasi.h"
#include "kiln/engine.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"

namespace kiln::cli {

namespace {

struct RunOptions {
  std::string backend = "interp";
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

int run(const RunOptions& options) {
  auto limits = limits_from(options);
  if (!limits) return fail(kExitUsage, limits.error().message);
  auto backend = parse_backend_kind(options.backend);
  if (!backend) return fail(kExitUsage, backend.error().message);
  auto engine = Engine::create(EngineConfig{.backend = *backend, .multi_memory = options.multi_memory});
  if (!engine) return fail(exit_code_for(engine.error().kind), engine.error().message);

  auto module = Module::from_file(*engine, options.module_path);
  if (!module) return fail(exit_code_for(module.error().kind), module.error().message);

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
  CallResult result = instance->call("_start", {});
  switch (result.status) {
    case CallResult::Status::Returned: return kExitOk;
    case CallResult::Status::Exited:
      if (result.exit_code >= 0 && result.exit_code <= 255) return result.exit_code;
      return fail(kExitFailure, options.module_path + ": exit code " + std::to_string(result.exit_code) +
                                    " does not fit a process exit status");
    case CallResult::Status::Trapped:
      return fail(exit_code_for(error_kind(result.trap.kind)), options.module_path + ": " + result.trap.describe());
    case CallResult::Status::Failed: return fail(kExitFailure, result.error);
  }
  return kExitFailure;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run a WASI command module");
  cmd->add_option("--backend", options->backend, "Execution backend: interp or aot")->default_val("interp");
  cmd->add_option("--fuel", options->fuel, "Fuel budget (about one unit per instruction); default unlimited");
  cmd->add_option("--max-memory", options->max_memory, "Cap on linear memory: bytes, K/M/G or KiB/MiB/GiB");
  cmd->add_option("--timeout", options->timeout, "Wall-clock limit: e.g. 500ms, 2s, 1m");
  cmd->add_flag("--enable-multi-memory", options->multi_memory,
                "Accept modules with several memories (the multi-memory proposal; interpreter only)");
  cmd->add_option("--env", options->env, "Environment variable KEY=VALUE for the guest (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("module", options->module_path, "The module (.wasm)")->required();
  cmd->add_option("args", options->args, "Arguments for the guest (after --)");
  cmd->callback([options, &exit_code] { exit_code = run(*options); });
}

}  // namespace kiln::cli
