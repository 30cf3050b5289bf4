// Conversions between kiln values/types and WABT interpreter values/types.
#pragma once

#include <optional>
#include <unordered_map>

#include "kiln/trap.h"
#include "kiln/value.h"
#include "wabt/interp/interp.h"

namespace kiln::backends::interp {

namespace wi = wabt::interp;

wabt::Type to_wabt(ValType type);
wi::FuncType to_wabt(const FuncType& type);

// References need the Store: externrefs the host made are Foreign objects.
class RefMapper {
 public:
  explicit RefMapper(wi::Store& store) : store_(store) {}
  Value to_kiln(wabt::Type type, const wi::Value& value);
  wi::Value to_wabt(const Value& value);

 private:
  wi::Store& store_;
  std::unordered_map<uint64_t, wi::Ref> externrefs_;  // host value -> its Foreign
};

// Classifies a WABT trap by its message.
TrapKind classify_trap(const std::string& message);

}  // namespace kiln::backends::interp
