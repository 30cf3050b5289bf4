// The one mapping between WABT's value types and kiln's, shared by the
// inspector and both backends.
#pragma once

#include <optional>

#include "kiln/value.h"
#include "wabt/type.h"

namespace kiln::wasm {

// nullopt for the types kiln does not accept (GC and typed references).
std::optional<ValType> to_val_type(wabt::Type type);
wabt::Type to_wabt_type(ValType type);

}  // namespace kiln::wasm
