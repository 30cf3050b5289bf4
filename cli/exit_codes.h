// kiln's own exit codes. A guest's exit code passes through unchanged; kiln's
// own errors stay in 1..123 so that they never look like a shell's 124+
// (timeout, signals, command not found). Documented in README.md.
#pragma once

namespace kiln::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,          // anything not listed below
  kExitUsage = 2,            // bad command line: unknown flag, bad SIZE or DURATION
  kExitUnreadable = 3,       // the module file cannot be read
  kExitInvalidModule = 4,    // malformed, invalid, too large, or an unsupported feature
  kExitLinkError = 5,        // an import is missing or mistyped; instantiation failed
  kExitBackendUnavailable = 6,
  kExitTrap = 10,            // the guest trapped (unreachable, out of bounds, ...)
  kExitOutOfFuel = 11,
  kExitDeadline = 12,
  kExitTestsFailed = 1,      // kiln spectest: some command failed
};

}  // namespace kiln::cli
