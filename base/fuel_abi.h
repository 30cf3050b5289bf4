// The names under which a fuel-instrumented module imports its fuel counter
// and its exhaustion handler: wasm/fuel_instrumenter.h writes them into the
// module, runtime/ binds them at instantiation (docs/fuel.md).
#pragma once

#include <string_view>

namespace kiln::fuel_abi {

inline constexpr std::string_view kFuelImportModule = "kiln";
inline constexpr std::string_view kFuelGlobalName = "__kiln_fuel";
inline constexpr std::string_view kFuelExhaustedName = "__kiln_fuel_exhausted";

// Where the instrumenter charges and writes the counter back. A new scheme
// meters the same module differently, so whatever remembers instrumented
// modules (the AOT module index) keys them by it too: bump it whenever
// the instrumented code changes.
inline constexpr int kMeteringVersion = 4;

}  // namespace kiln::fuel_abi
