#include "cli/exit_codes.h"

namespace kiln::cli {

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument: return kExitUsage;
    case ErrorKind::InvalidModule: return kExitInvalidModule;
    case ErrorKind::Link: return kExitLinkError;
    case ErrorKind::Trap: return kExitTrap;
    case ErrorKind::OutOfFuel: return kExitOutOfFuel;
    case ErrorKind::Deadline: return kExitDeadline;
    case ErrorKind::Exit: return kExitFailure;
    case ErrorKind::PoolExhausted: return kExitFailure;
    case ErrorKind::Io: return kExitUnreadable;
    case ErrorKind::Unsupported: return kExitBackendUnavailable;
    case ErrorKind::Internal: return kExitFailure;
    case ErrorKind::NotFound: return kExitNotFound;
    case ErrorKind::InvalidDefinition: return kExitInvalidDefinition;
    case ErrorKind::Contract: return kExitContract;
    case ErrorKind::InvalidConfig: return kExitInvalidConfig;
    case ErrorKind::InvalidInput: return kExitInvalidInput;
    case ErrorKind::InvalidOutput: return kExitInvalidOutput;
    case ErrorKind::ExtensionFailed: return kExitExtensionFailed;
    case ErrorKind::AlreadyExists: return kExitAlreadyExists;
  }
  return kExitFailure;
}

}  // namespace kiln::cli
