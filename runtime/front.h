// The "front" of the runtime layer: the two things kiln's two libraries do
// differently (DESIGN.md, "two halves", as Lucet split lucetc from
// lucet-runtime). runtime/ declares it and names no backend; the wiring
// folder above it, library/, implements it once per library, and each
// library links exactly one implementation:
//
//   library/front_full.cc     libkiln.a, the `kiln` CLI: runs the deploy
//                             pipeline (deploy/module_pipeline.h: decode,
//                             validate, fuel-instrument, AOT-compile, record
//                             in the module index) and offers the interpreter.
//   library/front_runtime.cc  libkiln.so (no WABT: Debian's libwabt.a is not
//                             PIC): the aot backend only; a module is found
//                             in the module index by the SHA-256 of its bytes,
//                             and on a miss `kiln compile` runs as a
//                             subprocess to fill the cache.
//
// Everything in runtime/ is shared and WABT-free.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "kiln/engine.h"
#include "kiln/module.h"
#include "kiln/result.h"
#include "runtime/backend.h"

namespace kiln::runtime {

// The backend Engine::create installs for `config`.
Result<std::unique_ptr<Backend>> make_backend(const EngineConfig& config);

// Module::compile's work: bytes -> a module loaded on the engine's backend.
Result<std::shared_ptr<Module::Impl>> make_module(const Engine& engine, std::span<const uint8_t> bytes,
                                                  std::string_view name);

// Which library this is: "full" (compile and run) or "runtime" (run only).
const char* front_name();

}  // namespace kiln::runtime
