// Helpers shared by the tests: where the built guests are, reading files,
// running the kiln binary as a user would.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace kiln::test {

#ifdef KILN_SHOPIFY_FUNCTIONS_DIR
// Shopify's function-runner fixtures: $KILN_SHOPIFY_FUNCTIONS, else the
// build's default beside the source tree.
inline std::string shopify_functions_dir() {
  const char* env = std::getenv("KILN_SHOPIFY_FUNCTIONS");
  return env && *env ? env : KILN_SHOPIFY_FUNCTIONS_DIR;
}
#endif

// Path of a guest built from tests/guests/<stem>.{c,wat}.
std::string guest_path(const std::string& stem);
std::vector<uint8_t> read_file(const std::string& path);

struct ProcessResult {
  int exit_code = -1;     // -1 if killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// This process's environment with `env` ("NAME=value") added, replacing
// entries of the same names: what run_kiln_env gives its child.
std::vector<std::string> with_env(const std::vector<std::string>& env);

// The kiln binary's argv and envp, built before fork(): the parent may have
// other threads, and the child may only call async-signal-safe functions.
// Owns the strings the pointers point into.
struct KilnCommand {
  KilnCommand(const std::vector<std::string>& args, const std::vector<std::string>& env);
  KilnCommand(const KilnCommand&) = delete;
  std::string binary;
  std::vector<std::string> arg_strings, env_strings;
  std::vector<char*> argv, envp;
};

// Runs the kiln binary with `args`, feeding `stdin_data`; captures stdout/stderr.
ProcessResult run_kiln(const std::vector<std::string>& args, const std::string& stdin_data = "");

// The same, with `env` ("NAME=value" entries) added to (or replacing in)
// the child's environment.
ProcessResult run_kiln_env(const std::vector<std::string>& args, const std::vector<std::string>& env,
                           const std::string& stdin_data = "");

}  // namespace kiln::test
