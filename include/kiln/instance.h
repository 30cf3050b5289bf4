// Instance: a module instantiated in a Store. A small handle; the Store owns
// the instance's state, and the handle is valid while the Store lives.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kiln/call_result.h"
#include "kiln/extern.h"
#include "kiln/value.h"

namespace kiln {

class Module;
class Store;

class Instance {
 public:
  Instance(Store* store, uint32_t index) : store_(store), index_(index) {}

  std::optional<Extern> get_export(std::string_view name) const;
  // Calls an exported function under the Store's limits.
  CallResult call(std::string_view export_name, std::span<const Value> args) const;
  // The instance's memory 0 (exported or not); empty if it has none.
  std::span<uint8_t> memory() const;
  const Module& module() const;
  Store& store() const { return *store_; }
  uint32_t index() const { return index_; }

 private:
  Store* store_;
  uint32_t index_;
};

}  // namespace kiln
