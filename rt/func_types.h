// The function-type registry: one id per distinct signature, process-wide.
// Generated code registers its types once per module (Z_*_init_module) and
// compares ids on call_indirect, so two modules, or a module and the host,
// agree on an id whenever their signatures are equal. Ids live as long as
// the process.
#pragma once

#include <cstdint>
#include <span>

#include "rt/wasm-rt.h"

namespace kiln::rt {

// Same params and results give the same id, from any thread. Ids start at 1
// (0 is the type of the null funcref). Takes a lock: not for the hot path.
uint32_t register_func_type(std::span<const wasm_rt_type_t> params, std::span<const wasm_rt_type_t> results);

}  // namespace kiln::rt
