// What a module declares: imports, exports, memories, tables, globals and the
// WebAssembly features it uses. Filled in at load time; `kiln inspect` prints it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/extern.h"
#include "kiln/value.h"

namespace kiln {

struct FeatureSet {
  bool simd = false;           // any v128 type or SIMD instruction
  bool threads = false;        // shared memory or atomic instructions
  bool tail_call = false;      // return_call / return_call_indirect
  bool memory64 = false;       // a 64-bit memory
  bool multi_memory = false;   // more than one memory
  bool bulk_memory = false;    // memory.copy/fill/init, data.drop, table.copy/init
  bool reference_types = false;// funcref/externref values, table.get/set/grow
  bool multi_value = false;    // a function or block type with several results
  bool sign_extension = false; // i32.extend8_s and friends
  bool saturating_float_to_int = false;  // i32.trunc_sat_f32_s and friends

  // Names of the features that are set, e.g. {"simd", "bulk-memory"}.
  std::vector<std::string> names() const;
};

struct Limits64 {
  uint64_t min = 0;
  std::optional<uint64_t> max;
};

struct MemoryDesc {
  Limits64 pages;
  bool shared = false;
  bool is64 = false;
  bool imported = false;
};

struct TableDesc {
  ValType element = ValType::FuncRef;
  Limits64 size;
  bool imported = false;
};

struct GlobalDesc {
  ValType type = ValType::I32;
  bool is_mutable = false;
  bool imported = false;
};

struct ImportDesc {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  std::string type;     // printable type, e.g. "(i32, i32) -> (i32)" or "memory 1..2"
  FuncType func_type;   // set when kind == Func
};

struct ExportDesc {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;   // index in the kind's index space
  std::string type;
  FuncType func_type;   // set when kind == Func
};

struct ModuleInfo {
  std::vector<ImportDesc> imports;
  std::vector<ExportDesc> exports;
  std::vector<MemoryDesc> memories;   // imported ones first, as in the index space
  std::vector<TableDesc> tables;
  std::vector<GlobalDesc> globals;
  FeatureSet features;
  uint32_t defined_functions = 0;
  uint64_t size_bytes = 0;
  bool has_start = false;

  const ExportDesc* find_export(std::string_view name) const;
};

}  // namespace kiln
