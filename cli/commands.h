// The kiln subcommands. Each file in cli/ adds one subcommand to the app and
// sets `exit_code` when it runs; main() returns it.
#pragma once

#include <CLI/CLI.hpp>

namespace kiln::cli {

void add_run_command(CLI::App& app, int& exit_code);
void add_inspect_command(CLI::App& app, int& exit_code);
void add_spectest_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_compile_command(CLI::App& app, int& exit_code);
void add_ep_command(CLI::App& app, int& exit_code);
void add_deploy_commands(CLI::App& app, int& exit_code);  // deploy, extensions, rollback, enable, disable
void add_exec_command(CLI::App& app, int& exit_code);
void add_schema_command(CLI::App& app, int& exit_code);
void add_serve_command(CLI::App& app, int& exit_code);  // kiln serve (server/)
void add_function_run_command(CLI::App& app, int& exit_code);  // Shopify Functions, as function-runner
void add_replay_command(CLI::App& app, int& exit_code);        // kiln replay (docs/replay.md)

}  // namespace kiln::cli
