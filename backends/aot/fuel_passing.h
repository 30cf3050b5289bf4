// Fuel passed in registers between a module's own functions, for the C the
// AOT backend compiles.
//
// The instrumenter (wasm/fuel_instrumenter.h) keeps the counter in a local
// per function and writes it to the imported global before every call and
// return; a function reads the global at its entry and after each call. In
// a call-heavy guest those reads sit on the critical path: each one waits
// for the store just before it. This pass gives every defined function a
// twin that takes the counter as a last parameter and returns it as a last
// result, and makes direct calls go twin to twin, so the values travel in
// registers. The global is still written everywhere it was, with the same
// values: what a host function, a trap or the Store sees is unchanged, and
// fuel stays identical to the interpreter's. Only reads are removed, each
// replaced by the value it would have read.
//
// The original functions become wrappers (read the global, call the twin),
// so exports, tables, ref.func and the start function keep their indexes
// and types.
#pragma once

#include <wabt/ir.h>

namespace kiln::backends::aot {

// `fuel_global` is the counter's index in the global index space. Expects
// the instrumenter's output, with index references (as read from binary).
void pass_fuel_in_registers(wabt::Module& module, wabt::Index fuel_global);

}  // namespace kiln::backends::aot
