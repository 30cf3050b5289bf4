#include "kiln/error.h"

namespace kiln {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument: return "invalid argument";
    case ErrorKind::InvalidModule: return "invalid module";
    case ErrorKind::Link: return "link error";
    case ErrorKind::Trap: return "trap";
    case ErrorKind::OutOfFuel: return "out of fuel";
    case ErrorKind::Deadline: return "deadline";
    case ErrorKind::Exit: return "exit";
    case ErrorKind::PoolExhausted: return "pool exhausted";
    case ErrorKind::Io: return "io error";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::Internal: return "internal error";
    case ErrorKind::NotFound: return "not found";
    case ErrorKind::InvalidDefinition: return "invalid definition";
    case ErrorKind::Contract: return "contract violation";
    case ErrorKind::InvalidConfig: return "invalid config";
    case ErrorKind::InvalidInput: return "invalid input";
    case ErrorKind::InvalidOutput: return "invalid output";
    case ErrorKind::ExtensionFailed: return "extension failed";
    case ErrorKind::AlreadyExists: return "already exists";
  }
  return "unknown";
}

}  // namespace kiln
