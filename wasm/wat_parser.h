// WebAssembly text format -> binary, through WABT's text parser. Used by the
// spec runner for text modules (assert_malformed / assert_invalid) and by tests.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "kiln/result.h"

namespace kiln::wasm {

// Parses and encodes (without validating: a text module that parses but is
// invalid yields a binary that decode() rejects). Errors name line:column.
Result<std::vector<uint8_t>> wat_to_wasm(std::string_view text, std::string_view name);

}  // namespace kiln::wasm
