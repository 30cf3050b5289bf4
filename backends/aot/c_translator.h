// Translation of an (instrumented) wasm module to C: WABT's C writer called
// as a library, its output post-processed so traps have the interpreter's
// kinds, plus kiln's glue (artifact_glue.h). Compile side only.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "backends/aot/artifact_info.h"
#include "kiln/result.h"

namespace kiln::backends::aot {

// The C symbol prefix every artifact uses: artifacts are separate shared
// objects with hidden symbols, so they need no unique names.
inline constexpr const char* kModuleCName = "m";
inline constexpr const char* kHeaderName = "module.h";
// Every import is renamed to kImportModuleCName."i<index>" and every export
// to "e<index>" before the C writer sees them; these are their C symbols.
inline constexpr const char* kImportModuleCName = "imports";
std::string import_symbol(size_t index);
std::string export_symbol(size_t index);

struct Translation {
  std::string c_source;   // wasm2c output, post-processed
  std::string header;     // module.h
  std::string glue;       // glue.c (artifact_glue.h)
  ArtifactInfo info;      // without the artifact's hash
};

// Part of the artifact cache key and of the module index's folder: bump it
// whenever the C it writes, or the flags it is compiled with, change.
inline constexpr int kTranslatorVersion = 9;

// How the instrumenter's fuel metering is translated. The default is what
// kiln runs guests with.
struct TranslateOptions {
  // false: the charges and checks are dropped and the module runs
  // unmetered. Only for `kiln bench --breakdown` (c_compiler.h's
  // BuildVariant), which shows what each part of the AOT path costs.
  bool fuel = true;
};

// Modules the C writer cannot express (SIMD, threads, tail calls, memory64,
// several memories, v128 values crossing the boundary) fail with
// ErrorKind::Unsupported: the interpreter runs them. That error's message is
// the bare reason ("the module uses SIMD, which ..."), without the module's
// name, which is in `where.file`: callers record the reason and name the
// module their own way. Other failures (a memory above 65,535 pages, a C
// writer failure) have other kinds and name the module.
Result<Translation> translate_to_c(std::span<const uint8_t> wasm, std::string_view name,
                                   const TranslateOptions& options = {});

// WABT 1.0.32's C symbol mangling: "Z_" then letters, digits (but 'Z') and
// '_' as they are, anything else as Z<hex byte>.
std::string mangle_name(std::string_view name);

}  // namespace kiln::backends::aot
