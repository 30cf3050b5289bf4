// Reads a validated module's declarations into a ModuleInfo: imports,
// exports, memories, tables, globals and the features it uses.
#pragma once

#include "kiln/module_info.h"

namespace wabt { struct Module; }

namespace kiln::wasm {

ModuleInfo inspect(const wabt::Module& module, uint64_t size_bytes);

}  // namespace kiln::wasm
