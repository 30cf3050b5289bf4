#include "wasm/value_types.h"

namespace kiln::wasm {

std::optional<ValType> to_val_type(wabt::Type type) {
  switch (type) {
    case wabt::Type::I32: return ValType::I32;
    case wabt::Type::I64: return ValType::I64;
    case wabt::Type::F32: return ValType::F32;
    case wabt::Type::F64: return ValType::F64;
    case wabt::Type::V128: return ValType::V128;
    case wabt::Type::FuncRef: return ValType::FuncRef;
    case wabt::Type::ExternRef: return ValType::ExternRef;
    default: return std::nullopt;
  }
}

wabt::Type to_wabt_type(ValType type) {
  switch (type) {
    case ValType::I32: return wabt::Type::I32;
    case ValType::I64: return wabt::Type::I64;
    case ValType::F32: return wabt::Type::F32;
    case ValType::F64: return wabt::Type::F64;
    case ValType::V128: return wabt::Type::V128;
    case ValType::FuncRef: return wabt::Type::FuncRef;
    case ValType::ExternRef: return wabt::Type::ExternRef;
  }
  return wabt::Type::I32;
}

}  // namespace kiln::wasm
