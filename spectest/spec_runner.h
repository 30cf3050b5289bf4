// The spec conformance runner behind `kiln spectest`: runs a script that
// wast2json (WABT 1.0.32) wrote from a .wast file, command by command, and
// checks each against the spec's intent.
//
// Every module of a script lives in one Store, so modules that import from
// a registered module share its memories, tables and globals. One test is
// one command other than `register` (a `register` that fails is counted as
// a failure too). A command that goes wrong in any way — a trap, a load
// error, a malformed command — is a failed test and the run carries on.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "kiln/engine.h"

namespace kiln::spectest {

struct SpecOptions {
  bool verbose = false;  // report every command, not only the failures
  // Wall-clock budget of each call and each instantiation, so that a broken
  // script cannot hang the run. Fuel is unlimited.
  std::chrono::nanoseconds call_timeout = std::chrono::seconds(60);
};

struct SpecSummary {
  uint64_t passed = 0;
  uint64_t failed = 0;
};

// Runs the script at `json_path`. Each failure is one line on `out`,
// "FILE:LINE: <command type>: expected ... but ...", where FILE is the .wast
// the script came from. A script that cannot be read counts as one failure.
SpecSummary run_spec_script(const Engine& engine, const std::string& json_path, const SpecOptions& options,
                            std::ostream& out);

}  // namespace kiln::spectest
