// A reactor — a module exporting `_initialize: () -> ()` — is initialized
// by calling that export once after instantiation (WASI's reactor
// convention). InstancePre and InstancePool both do it, the same way.
#pragma once

#include <optional>

#include "kiln/instance.h"
#include "kiln/module.h"
#include "kiln/result.h"
#include "kiln/trap.h"

namespace kiln {

bool is_reactor_module(const Module& module);

// Calls `_initialize` on `instance` of `module` when `module` is a reactor;
// nothing otherwise. A trap or a non-zero exit fails with a message naming
// the module, and sets `trap`.
Result<void> run_initialize(const Module& module, const Instance& instance, std::optional<Trap>* trap = nullptr);

}  // namespace kiln
