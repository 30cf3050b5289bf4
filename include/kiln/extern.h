// An Extern is a function, table, memory or global owned by a Store: what an
// instance exports and what another instance may import. It is a handle,
// valid while its Store lives, and meaningful only in that Store.
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

enum class ExternKind : uint8_t { Func, Table, Memory, Global };

const char* to_string(ExternKind kind);

struct Extern {
  ExternKind kind = ExternKind::Func;
  uint64_t handle = 0;  // backend-specific, see runtime/backend.h
};

}  // namespace kiln
