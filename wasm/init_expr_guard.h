// A first pass over a binary that checks its initializer expressions
// (global initializers, element and data segment offsets) before WABT builds
// its IR. WABT 1.0.32's IR reader asserts (aborting the host) on some
// initializers holding block instructions, and accepts initializers that
// lack their `end` opcode. Compile side only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <wabt/feature.h>

namespace kiln::wasm {

struct InitExprProblem {
  uint64_t offset = 0;
  std::string message;
};

// The first malformed or non-constant part of an initializer expression, or
// of the binary as a whole (the pass runs WABT's binary reader), if any.
std::optional<InitExprProblem> check_init_exprs(std::span<const uint8_t> bytes, const wabt::Features& features);

}  // namespace kiln::wasm
