// kiln spectest: run a WebAssembly spec test script converted by wast2json,
// print one line per failure and a last line "N passed, N failed".
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "base/units.h"
#include "kiln/engine.h"
#include "spectest/spec_runner.h"

namespace kiln::cli {

namespace {

struct SpectestOptions {
  std::string backend = "interp";
  std::string timeout = "60s";
  bool verbose = false;
  std::string script_path;
};

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "kiln spectest: %s\n", message.c_str());
  return code;
}

int run(const SpectestOptions& options) {
  auto backend = parse_backend_kind(options.backend);
  if (!backend) return fail(kExitUsage, backend.error().message);
  auto timeout = base::parse_duration(options.timeout);
  if (!timeout) return fail(kExitUsage, timeout.error().message);
  auto engine = Engine::create(EngineConfig{.backend = *backend});
  if (!engine) return fail(exit_code_for(engine.error().kind), engine.error().message);

  spectest::SpecOptions spec_options{.verbose = options.verbose, .call_timeout = *timeout};
  spectest::SpecSummary summary = spectest::run_spec_script(*engine, options.script_path, spec_options, std::cout);
  std::cout << summary.passed << " passed, " << summary.failed << " failed" << std::endl;
  return summary.failed == 0 ? kExitOk : kExitTestsFailed;
}

}  // namespace

void add_spectest_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<SpectestOptions>();
  CLI::App* cmd = app.add_subcommand("spectest", "Run a WebAssembly spec test script converted by wast2json");
  cmd->add_option("--backend", options->backend, "Execution backend: interp or aot")->default_val("interp");
  cmd->add_option("--timeout", options->timeout,
                  "Wall-clock limit per call (0s for none), so that a broken script cannot hang")
      ->default_val("60s");
  cmd->add_flag("-v,--verbose", options->verbose, "Report every command, not only the failures");
  cmd->add_option("script", options->script_path, "The script (.json written by wast2json)")->required();
  cmd->callback([options, &exit_code] { exit_code = run(*options); });
}

}  // namespace kiln::cli
