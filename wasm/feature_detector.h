// Finds which WebAssembly features a module uses by scanning its types,
// declarations and every instruction.
#pragma once

#include "kiln/module_info.h"

namespace wabt { struct Module; }

namespace kiln::wasm {

FeatureSet detect_features(const wabt::Module& module);

}  // namespace kiln::wasm
