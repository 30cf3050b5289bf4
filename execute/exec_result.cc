#include "execute/exec_result.h"

namespace kiln::execute {

const char* to_string(ExecStatus status) {
  switch (status) {
    case ExecStatus::Ok: return "ok";
    case ExecStatus::NotRun: return "not run";
    case ExecStatus::InvalidInput: return "invalid input";
    case ExecStatus::InvalidOutput: return "invalid output";
    case ExecStatus::ExtensionFailed: return "extension failed";
    case ExecStatus::Trapped: return "trap";
    case ExecStatus::OutOfFuel: return "out of fuel";
    case ExecStatus::Deadline: return "deadline";
    case ExecStatus::Error: return "error";
  }
  return "unknown";
}

const char* to_string(Stage stage) {
  switch (stage) {
    case Stage::Lookup: return "lookup";
    case Stage::ValidateInput: return "validate_input";
    case Stage::Serialize: return "serialize";
    case Stage::Acquire: return "acquire";
    case Stage::Run: return "run";
    case Stage::ReadOutput: return "read_output";
    case Stage::ValidateOutput: return "validate_output";
    case Stage::Total: return "total";
  }
  return "unknown";
}

}  // namespace kiln::execute
