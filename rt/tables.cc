// Funcref and externref tables as generated code allocates and grows them.
// Plain heap arrays: a table is allocated at instantiation, not per call.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "rt/trap.h"

namespace {

// V8's limit. Without it, table.grow on an unbounded table could make the
// host fill gigabytes (24 bytes per funcref) before realloc says no.
constexpr uint64_t kMaxTableElements = 10'000'000;

// calloc gives null elements: the null funcref and externref are all zeroes.
template <typename Table, typename Element>
void allocate_table(Table* table, uint32_t elements, uint32_t max_elements) {
  Element* data = nullptr;
  if (elements > 0) {
    if (elements > kMaxTableElements) kiln::rt::trap(kiln::rt::TrapCode::Allocation);
    data = static_cast<Element*>(std::calloc(elements, sizeof(Element)));
    if (data == nullptr) kiln::rt::trap(kiln::rt::TrapCode::Allocation);
  }
  *table = Table{data, max_elements, elements};
}

template <typename Table, typename Element>
uint32_t grow_table(Table* table, uint32_t delta, Element init) {
  uint32_t old_size = table->size;
  uint64_t new_size = uint64_t{old_size} + delta;
  if (new_size > table->max_size || new_size > kMaxTableElements) return UINT32_MAX;
  if (delta == 0) return old_size;
  auto* data = static_cast<Element*>(std::realloc(table->data, new_size * sizeof(Element)));
  if (data == nullptr) return UINT32_MAX;
  std::fill(data + old_size, data + new_size, init);
  table->data = data;
  table->size = static_cast<uint32_t>(new_size);
  return old_size;
}

template <typename Table>
void free_table(Table* table) {
  std::free(table->data);
  table->data = nullptr;
  table->size = 0;
}

}  // namespace

extern "C" {

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t* table, uint32_t elements, uint32_t max_elements) {
  allocate_table<wasm_rt_funcref_table_t, wasm_rt_funcref_t>(table, elements, max_elements);
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t* table) { free_table(table); }

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t* table, uint32_t delta, wasm_rt_funcref_t init) {
  return grow_table(table, delta, init);
}

void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t* table, uint32_t elements, uint32_t max_elements) {
  allocate_table<wasm_rt_externref_table_t, wasm_rt_externref_t>(table, elements, max_elements);
}

void wasm_rt_free_externref_table(wasm_rt_externref_table_t* table) { free_table(table); }

uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t* table, uint32_t delta, wasm_rt_externref_t init) {
  return grow_table(table, delta, init);
}

}  // extern "C"
