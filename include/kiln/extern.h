// An Extern is a function, table, memory or global owned by a Store: what an
// instance exports and what another instance may import. It is a handle,
// valid while its Store lives, and meaningful only in that Store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiln {

enum class ExternKind : uint8_t { Func, Table, Memory, Global };

const char* to_string(ExternKind kind);
// The inverse of to_string: "func" -> ExternKind::Func; nullopt otherwise.
std::optional<ExternKind> parse_extern_kind(std::string_view name);

struct Extern {
  ExternKind kind = ExternKind::Func;
  uint64_t handle = 0;  // backend-specific, see runtime/backend.h
};

}  // namespace kiln
