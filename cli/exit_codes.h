// kiln's own exit codes. A guest's exit code passes through unchanged; kiln's
// own errors stay in 1..123 so that they never look like a shell's 124+
// (timeout, signals, command not found). Documented in README.md.
#pragma once

#include "kiln/error.h"

namespace kiln::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,          // anything not listed below
  kExitUsage = 2,            // bad command line: unknown flag, bad SIZE or DURATION
  kExitUnreadable = 3,       // a file cannot be read or written (ErrorKind::Io)
  kExitInvalidModule = 4,    // malformed, invalid or too large, or compiling it failed
  kExitLinkError = 5,        // an import is missing or mistyped; instantiation failed
  kExitBackendUnavailable = 6,  // the backend cannot be set up or run the module (ErrorKind::Unsupported)
  kExitTrap = 10,            // the guest trapped (unreachable, out of bounds, ...)
  kExitOutOfFuel = 11,
  kExitDeadline = 12,
  kExitTestsFailed = 1,      // kiln spectest: some command failed
  // The extension platform (kiln ep, deploy, exec, ...).
  kExitNotRun = 20,            // nothing enabled is bound to the extension point for the scope
  kExitInvalidInput = 21,      // the input is too large, not a JSON object, or fails the input schema
  kExitInvalidOutput = 22,     // the output is too large, not JSON, or fails the output schema
  kExitExtensionFailed = 23,   // the extension exited non-zero (its log says why)
  kExitNotFound = 24,          // no such extension point, extension or version
  kExitInvalidDefinition = 25, // an extension point definition or schema kiln refuses
  kExitContract = 26,          // the module breaks the extension point's contract
  kExitInvalidConfig = 27,     // the extension's config fails the config schema
  kExitAlreadyExists = 28,     // creating what exists (kiln ep create of an existing name)
};

// The exit code for an error of `kind`: the one place that maps them.
int exit_code_for(ErrorKind kind);

}  // namespace kiln::cli
