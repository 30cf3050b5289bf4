// Fuel instrumentation: rewrites a module so that it meters its own work.
//
// Every straight-line run subtracts its instruction count from a fuel
// counter, kept in a local per function and written to an i64 global the
// module imports as kiln.__kiln_fuel (shared by every instance in a Store)
// wherever the host or another function may read it: at check points,
// before calls and before returns. At each check point (the entry of a
// function that calls or loops, the header of a loop a branch goes back to)
// the module tests the counter and, when it is negative, calls
// kiln.__kiln_fuel_exhausted (a host function: it refills the counter from
// the remaining budget, checks the deadline, or traps). Every loop iteration
// and call passes a check, so no guest runs unmetered. The rewritten module
// is what every backend runs: fuel used is a property of the module and its
// input, not of the backend. One unit of fuel is one WebAssembly
// instruction (docs/fuel.md).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/fuel_abi.h"
#include "kiln/result.h"

namespace wabt { struct Module; }

namespace kiln::wasm {

using fuel_abi::kFuelExhaustedName;
using fuel_abi::kFuelGlobalName;
using fuel_abi::kFuelImportModule;

// Rewrites `module` in place and returns the instrumented binary. The two
// imports are appended at the end of the import section, the global first,
// then the function, so each is the last import of its kind and the guest's
// own imports keep their indexes. Fails if the module already imports a
// kiln.__kiln_fuel* name. Expects a module from decode(): index references,
// nesting within DecodeOptions::max_nesting_depth (WABT's binary writer
// recurses once per level, ~150 bytes of stack each).
Result<std::vector<uint8_t>> instrument_fuel(wabt::Module& module);

}  // namespace kiln::wasm
