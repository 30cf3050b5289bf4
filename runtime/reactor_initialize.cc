#include "runtime/reactor_initialize.h"

#include <string>

namespace kiln {

bool is_reactor_module(const Module& module) {
  const ExportDesc* init = module.info().find_export("_initialize");
  return init && init->kind == ExternKind::Func && init->func_type == FuncType{};
}

Result<void> run_initialize(const Module& module, const Instance& instance, std::optional<Trap>* trap) {
  if (!is_reactor_module(module)) return {};
  CallResult result = instance.call("_initialize", {});
  if (result.returned()) return {};
  if (result.trapped()) {
    if (trap) *trap = result.trap;
    return make_error(error_kind(result.trap.kind), module.name() + ": _initialize " + result.trap.describe());
  }
  if (result.exited()) {
    if (result.exit_code == 0) return {};
    if (trap) *trap = Trap{TrapKind::HostError, "exit " + std::to_string(result.exit_code)};
    return make_error(ErrorKind::Exit, module.name() + ": _initialize exited with code " + std::to_string(result.exit_code));
  }
  return make_error(ErrorKind::Internal, module.name() + ": _initialize: " + result.error);
}

}  // namespace kiln
