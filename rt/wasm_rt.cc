// The rest of wasm-rt.h's C interface: thin forwarding to kiln::rt. (Tables
// are in tables.cc, exception handling in exceptions.cc.)
#include <cstdarg>
#include <vector>

#include "rt/func_types.h"
#include "rt/memory_pool.h"
#include "rt/signals.h"
#include "rt/trap.h"

using kiln::rt::BoundsCheck;
using kiln::rt::TrapCode;

extern "C" {

void wasm_rt_init(void) { kiln::rt::install_fault_handler(); }

bool wasm_rt_is_initialized(void) { return kiln::rt::fault_handler_installed(); }

// Func type ids must stay valid for every module still loaded, and the
// fault handler serves every thread: nothing here ends before the process.
void wasm_rt_free(void) {}

void wasm_rt_trap(wasm_rt_trap_t code) { kiln::rt::trap(static_cast<TrapCode>(code)); }

const char* wasm_rt_strerror(wasm_rt_trap_t trap) { return kiln::rt::trap_message(static_cast<TrapCode>(trap)); }

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  std::vector<wasm_rt_type_t> types(params + results);
  va_list args;
  va_start(args, results);
  // Enums are promoted to int through varargs.
  for (wasm_rt_type_t& type : types) type = static_cast<wasm_rt_type_t>(va_arg(args, int));
  va_end(args);
  return kiln_rt_register_func_type(params, results, types.data());
}

uint32_t kiln_rt_register_func_type(uint32_t params, uint32_t results, const wasm_rt_type_t* types) {
  return kiln::rt::register_func_type({types, params}, {types + params, results});
}

void kiln_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages, bool guard_pages) {
  BoundsCheck mode = guard_pages ? BoundsCheck::GuardPages : BoundsCheck::Explicit;
  if (!kiln::rt::allocate_memory(*memory, initial_pages, max_pages, mode)) kiln::rt::trap(TrapCode::Allocation);
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t pages) { return kiln::rt::grow_memory(*memory, pages); }

void wasm_rt_free_memory(wasm_rt_memory_t* memory) { kiln::rt::free_memory(*memory); }

}  // extern "C"
