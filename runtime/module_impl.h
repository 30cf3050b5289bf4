// Module's state, shared by every copy of a Module and read by the Store
// when it instantiates.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/module.h"
#include "kiln/module_info.h"

namespace kiln {

struct Module::Impl {
  struct ImportKey {
    std::string module;
    std::string name;
  };

  std::optional<Engine> engine;  // the engine that compiled it (always set)
  std::string name;
  ModuleInfo info;                    // as the guest wrote it
  std::vector<ImportKey> link_order;  // imports of the instrumented module
  std::shared_ptr<const runtime::BackendModule> backend_module;
};

}  // namespace kiln
