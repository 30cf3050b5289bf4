// The AOT backend: modules translated to C by WABT's C writer, compiled by
// the system C compiler into cached artifacts (artifact_cache.h), loaded with
// dlopen and run on kiln's own wasm runtime (rt/). Same instrumented module,
// same fuel, same trap kinds as the interpreter.
//
// Modules the C writer cannot translate (SIMD, threads, tail calls, memory64,
// several memories) run on the interpreter inside the same Store when
// `interp_fallback` is set (is_interp_fallback() tells); otherwise load()
// refuses them with a one-line reason. A fallback instance may import host
// functions and globals (mirrored into the interpreter and synchronised
// around each call: the fuel global stays exact), not memories or tables of
// AOT instances, nor AOT functions or globals that carry funcrefs (the two
// stores number funcref Values differently).
//
// funcref Values of an AOT store are indices into a per-store table of
// wasm2c funcrefs (function, type, instance), one entry per distinct funcref
// that reached the host, kNullRef for null: the same function of the same
// instance always reads back as the same Value, and a Value handed back in
// (an argument, a global, another instance of the same Store) is the very
// funcref that came out. A function an instance imported and then exposes
// as a funcref is that instance's import thunk, so it reads as a different
// Value than the exporter's own funcref for it.
#pragma once

#include <memory>
#include <string>

#include "backends/aot/artifact_cache.h"
#include "runtime/backend.h"

namespace kiln::backends {

// `cache_dir` empty: the default (artifact_cache.h). `interp` runs the
// modules the C writer cannot translate when `interp_fallback` is set; it
// is handed in so that the backend itself needs no WABT: the full library
// passes the interpreter, libkiln.so a stand-in that refuses every module
// (library/front_runtime.cc).
std::unique_ptr<runtime::Backend> make_aot_backend(std::string cache_dir, bool interp_fallback,
                                                   std::unique_ptr<runtime::Backend> interp);

// Loads an artifact already in the cache (found by key, e.g. through the
// module index) as a module of the aot backend. Needs no WABT.
Result<std::shared_ptr<const runtime::BackendModule>> load_cached_artifact(aot::CachedArtifact artifact,
                                                                           std::string_view name);

// True when the aot backend loaded `module` onto the interpreter.
bool is_interp_fallback(const runtime::BackendModule& module);

}  // namespace kiln::backends
