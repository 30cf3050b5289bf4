// What an artifact's module declares, as kiln needs it to link and call the
// artifact without WABT: imports (in import-section order), exports (in
// export order, matching the descriptor's), memory 0's limits, features.
// Written beside the artifact as JSON, with the artifact's own SHA-256.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/extern.h"
#include "kiln/result.h"
#include "kiln/value.h"

namespace kiln::backends::aot {

struct Limits {
  uint64_t initial = 0;
  std::optional<uint64_t> max;
};

struct ItemType {
  ExternKind kind = ExternKind::Func;
  FuncType func;          // Func
  ValType value = ValType::I32;  // Global value type, Table element type
  bool is_mutable = false;       // Global
  Limits limits;                 // Memory, Table
};

struct ImportInfo {
  std::string module;
  std::string name;
  ItemType type;
};

struct ExportInfo {
  std::string name;
  ItemType type;
};

struct ArtifactInfo {
  std::vector<ImportInfo> imports;
  std::vector<ExportInfo> exports;
  std::optional<Limits> memory;  // memory 0 when the module defines it
  std::vector<std::string> features;
  std::string artifact_sha256;   // of the .so, checked before every dlopen
  std::string compiler;          // identity line of the compiler that built it
};

std::string to_json(const ArtifactInfo& info);
Result<ArtifactInfo> artifact_info_from_json(const std::string& text);

}  // namespace kiln::backends::aot
