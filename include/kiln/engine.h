// Engine: configuration and the backend that runs modules. Create one per
// process (or per configuration) and share it; it is thread-safe and must
// outlive every Module and Store made from it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kiln/result.h"

namespace kiln {

namespace runtime { class Backend; }

enum class BackendKind { Interp, Aot };

const char* to_string(BackendKind kind);
// Parses "interp" or "aot".
Result<BackendKind> parse_backend_kind(std::string_view text);

struct EngineConfig {
  BackendKind backend = BackendKind::Interp;
  // Modules larger than this are refused before they are decoded.
  uint64_t max_module_bytes = uint64_t{16} << 20;
  // Where the aot backend keeps compiled artifacts. Empty: $KILN_CACHE_DIR,
  // else $XDG_CACHE_HOME/kiln, else ~/.cache/kiln.
  std::string cache_dir;
  // The aot backend runs modules WABT's C writer cannot translate (SIMD,
  // threads, tail calls, memory64, funcref values at the boundary) on the
  // interpreter; false makes loading them an error instead.
  bool aot_interp_fallback = true;
  // The multi-memory proposal: off, modules follow the WebAssembly 2.0 spec
  // (one memory); on, modules with several memories load, on the
  // interpreter.
  bool multi_memory = false;
  // libkiln.so only (it cannot compile in process): the `kiln` executable it
  // runs as `kiln compile` for a module it has no artifact for. Empty:
  // $KILN_COMPILE, else the kiln installed beside the library, else PATH.
  std::string compiler_command;
};

class Engine {
 public:
  static Result<Engine> create(EngineConfig config = {});

  const EngineConfig& config() const;
  runtime::Backend& backend() const;

 private:
  struct Impl;
  explicit Engine(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace kiln
