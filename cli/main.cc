// kiln: run, inspect and test WebAssembly modules.
#include <csignal>
#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"

int main(int argc, char** argv) {
  // A closed stdout (kiln run x.wasm | head) must reach the guest as EPIPE,
  // not kill kiln with a signal.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"kiln: a WebAssembly functions engine"};
  app.require_subcommand(1);
  int exit_code = kiln::cli::kExitOk;
  kiln::cli::add_run_command(app, exit_code);
  kiln::cli::add_inspect_command(app, exit_code);
  kiln::cli::add_spectest_command(app, exit_code);
  kiln::cli::add_bench_command(app, exit_code);
  kiln::cli::add_compile_command(app, exit_code);
  kiln::cli::add_ep_command(app, exit_code);
  kiln::cli::add_deploy_commands(app, exit_code);
  kiln::cli::add_exec_command(app, exit_code);
  kiln::cli::add_schema_command(app, exit_code);
  kiln::cli::add_serve_command(app, exit_code);
  kiln::cli::add_function_run_command(app, exit_code);
  kiln::cli::add_replay_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11's own codes run up to 120ish; kiln promises 2 for any usage error.
    app.exit(e);
    return e.get_exit_code() == 0 ? kiln::cli::kExitOk : kiln::cli::kExitUsage;
  }
  return exit_code;
}
