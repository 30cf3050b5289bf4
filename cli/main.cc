// kiln: run, inspect and test WebAssembly modules.
#include <csignal>
#include <cstdio>
#include <initializer_list>
#include <string_view>

#include "base/startup_trace.h"

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace {

struct Command {
  std::initializer_list<std::string_view> names;  // the subcommands it adds
  void (*add)(CLI::App&, int&);
};

constexpr Command kCommands[] = {
    {{"run"}, kiln::cli::add_run_command},
    {{"inspect"}, kiln::cli::add_inspect_command},
    {{"spectest"}, kiln::cli::add_spectest_command},
    {{"bench"}, kiln::cli::add_bench_command},
    {{"compile"}, kiln::cli::add_compile_command},
    {{"ep"}, kiln::cli::add_ep_command},
    {{"deploy", "extensions", "rollback", "promote", "canary", "enable", "disable"}, kiln::cli::add_deploy_commands},
    {{"exec"}, kiln::cli::add_exec_command},
    {{"schema"}, kiln::cli::add_schema_command},
    {{"serve"}, kiln::cli::add_serve_command},
    {{"function-run"}, kiln::cli::add_function_run_command},
    {{"replay"}, kiln::cli::add_replay_command},
};

// Only the subcommand argv[1] names, when it names one: building every
// subcommand's options was 1.4M of the 3.4M instructions of a `kiln run` of
// hello. Anything else (--help, a typo, no subcommand) gets them all, so
// CLI11's listings and messages are unchanged; so is a subcommand's own
// --help and usage errors, which name no other subcommand.
void add_commands(CLI::App& app, int& exit_code, int argc, char** argv) {
  const std::string_view first = argc > 1 ? argv[1] : "";
  for (const Command& command : kCommands) {
    for (std::string_view name : command.names) {
      if (name == first) return command.add(app, exit_code);
    }
  }
  for (const Command& command : kCommands) command.add(app, exit_code);
}

}  // namespace

int main(int argc, char** argv) {
  kiln::base::trace_startup("main");
  // A closed stdout (kiln run x.wasm | head) must reach the guest as EPIPE,
  // not kill kiln with a signal.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"kiln: a WebAssembly functions engine"};
  app.require_subcommand(1);
  int exit_code = kiln::cli::kExitOk;
  add_commands(app, exit_code, argc, argv);
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
