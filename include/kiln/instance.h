// Instance: a module instantiated in a Store. A small handle; the Store owns
// the instance's state, and the handle is valid while the Store lives.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kiln/call_result.h"
#include "kiln/extern.h"
#include "kiln/result.h"
#include "kiln/typed_func.h"
#include "kiln/value.h"

namespace kiln {

class Module;
class Store;

// A byte range in a guest's memory 0: what the host hands a guest function
// as (pointer, length) and reads back from it.
struct GuestSlice {
  uint32_t offset = 0;
  uint32_t length = 0;
};

class Instance {
 public:
  Instance(Store* store, uint32_t index) : store_(store), index_(index) {}

  std::optional<Extern> get_export(std::string_view name) const;
  // Calls an exported function under the Store's limits.
  CallResult call(std::string_view export_name, std::span<const Value> args) const;

  // An exported function with its type checked against Signature once
  // (typed_func.h). Fails naming the export and both types on a mismatch.
  template <class Signature>
  Result<TypedFunc<Signature>> typed(std::string_view export_name) const {
    auto func = typed_export(export_name, TypedFunc<Signature>::func_type());
    if (!func) return func.error();
    return TypedFunc<Signature>(store_, *func);
  }

  // ---- host access to memory 0 --------------------------------------------
  // The instance's memory 0 (exported or not); empty if it has none. Valid
  // until the guest next runs (memory.grow may move it).
  std::span<uint8_t> memory() const;
  // Bounds-checked views and copies. Errors say which range and how large
  // the memory is; nothing is written when the range does not fit.
  Result<std::span<uint8_t>> memory_range(GuestSlice slice) const;
  Result<void> write_memory(uint32_t offset, std::span<const uint8_t> bytes) const;
  // Allocates `size` bytes in guest memory with the allocator the guest
  // exports: `allocator` names it, or the first found of
  // kiln_alloc(size) -> ptr, cabi_realloc(0, 0, align, size) -> ptr and
  // malloc(size) -> ptr. Runs under the Store's limits. Fails when the guest
  // exports none, traps, or returns 0 or a range outside its memory.
  Result<GuestSlice> allocate(uint32_t size, uint32_t align = 1, std::string_view allocator = {}) const;
  // allocate() + write_memory(): the usual way to pass an input.
  Result<GuestSlice> write_input(std::span<const uint8_t> bytes, std::string_view allocator = {}) const;
  // For guests without an allocator: grows memory 0 by enough pages for
  // `size` bytes and gives the host the new range, which no guest data
  // occupies. Subject to the Store's memory limit.
  Result<GuestSlice> reserve_host_region(uint32_t size) const;

  const Module& module() const;
  Store& store() const { return *store_; }
  uint32_t index() const { return index_; }

 private:
  Result<Extern> typed_export(std::string_view name, const FuncType& type) const;

  Store* store_;
  uint32_t index_;
};

}  // namespace kiln
