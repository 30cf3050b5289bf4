// The AOT backend: modules translated to C by WABT's C writer, compiled by
// the system C compiler into cached artifacts (artifact_cache.h), loaded with
// dlopen and run on kiln's own wasm runtime (rt/). Same instrumented module,
// same fuel, same trap kinds as the interpreter.
//
// Modules the C writer cannot translate (SIMD, threads, tail calls, memory64,
// funcref values crossing the boundary) run on the interpreter inside the
// same Store when `interp_fallback` is set (is_interp_fallback() tells);
// otherwise load() refuses them with a one-line reason. A fallback instance
// may import host functions and globals (mirrored into the interpreter and
// synchronised around each call: the fuel global stays exact), not memories
// or tables of AOT instances.
#pragma once

#include <memory>
#include <string>

#include "runtime/backend.h"

namespace kiln::backends {

// `cache_dir` empty: the default (artifact_cache.h).
std::unique_ptr<runtime::Backend> make_aot_backend(std::string cache_dir = {}, bool interp_fallback = true);

// True when the aot backend loaded `module` onto the interpreter.
bool is_interp_fallback(const runtime::BackendModule& module);

}  // namespace kiln::backends
