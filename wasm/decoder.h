// Decoding and validation: bytes -> WABT IR, checked against the spec and
// the features kiln accepts. Compile side only (deploy time).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "kiln/module_info.h"
#include "kiln/result.h"

namespace wabt {
struct Module;
class Features;
}  // namespace wabt

namespace kiln::wasm {

struct DecodeOptions {
  uint64_t max_module_bytes = uint64_t{16} << 20;
};

// The WebAssembly features kiln decodes and validates: the 2.0 core
// features plus SIMD, threads/atomics, tail calls, memory64 and
// multi-memory (the interpreter runs all of them).
wabt::Features accepted_features();

struct DecodedModule {
  std::unique_ptr<wabt::Module> ir;
  ModuleInfo info;

  DecodedModule();
  DecodedModule(DecodedModule&&) noexcept;
  DecodedModule& operator=(DecodedModule&&) noexcept;
  ~DecodedModule();
};

// Decodes and validates. On failure, one line: "<name>: <problem> at offset
// 0x.. (function N)" naming the first error.
Result<DecodedModule> decode(std::span<const uint8_t> bytes, std::string_view name,
                             const DecodeOptions& options = {});

}  // namespace kiln::wasm
