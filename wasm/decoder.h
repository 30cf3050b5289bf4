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
  // Implementation limits on valid modules, so that a hostile one cannot
  // exhaust the host later: locals (parameters included) per function, as
  // in the JS API, and block nesting depth (WABT's writers recurse per level).
  uint32_t max_function_locals = 50000;
  uint32_t max_nesting_depth = 10000;
  // The multi-memory proposal. Off, as in the WebAssembly 2.0 spec: a
  // second memory is invalid ("multiple memories") and the memory index
  // byte of memory.size / memory.grow / loads and stores must be zero
  // ("zero byte expected"), so the spec testsuite passes as written. On,
  // such modules decode (and run on the interpreter).
  bool multi_memory = false;
};

// The WebAssembly features kiln can decode: the 2.0 core features plus
// SIMD, threads/atomics, tail calls, memory64 and multi-memory (the
// interpreter runs all of them). decode() drops multi-memory unless its
// options ask for it.
wabt::Features accepted_features();

struct DecodedModule {
  std::unique_ptr<wabt::Module> ir;
  ModuleInfo info;

  DecodedModule();
  DecodedModule(DecodedModule&&) noexcept;
  DecodedModule& operator=(DecodedModule&&) noexcept;
  ~DecodedModule();
};

// Decodes and validates. On failure, one line naming the first problem:
// "<name>: function N at offset 0x..: <problem>" ("function N " when the
// problem is inside a function body).
Result<DecodedModule> decode(std::span<const uint8_t> bytes, std::string_view name,
                             const DecodeOptions& options = {});

}  // namespace kiln::wasm
