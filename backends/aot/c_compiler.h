// Runs the system C compiler ($CC, default `cc`) on translated modules, as a
// child process under a CPU, address-space and wall-clock limit. Compile side
// only: the run side never starts a compiler.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/result.h"

namespace kiln::backends::aot {

// What the artifact cache builds. The default is what kiln runs, and the
// only thing it may run guests with. The other variants exist for
// `kiln bench --breakdown` alone, which sets one for the whole process to
// show what each part of the AOT path costs; they are part of the cache key.
struct BuildVariant {
  bool fuel = true;         // false: the fuel charges and checks are dropped
  bool conformance = true;  // false: none of the spec conformance flags
  // false: explicit bounds checks on every access instead of guard pages
  // (rt supports both; docs/aot.md has the measurements behind the default)
  bool guard_pages = true;

  bool is_default() const { return fuel && conformance && guard_pages; }
  std::string key() const;  // empty for the default
};
// Process-wide; read by ArtifactCache::get_or_build. Only `kiln bench` sets it.
void set_build_variant(BuildVariant variant);
BuildVariant build_variant();

struct CompilerLimits {
  std::chrono::seconds wall{120};
  uint32_t cpu_seconds = 120;
  uint64_t address_space_bytes = uint64_t{4} << 30;
};

struct Compiler {
  std::string command;               // $CC or "cc"
  std::string identity;              // first line of `$CC --version`
  std::vector<std::string> flags;    // optimisation and conformance flags
  std::vector<std::string> libraries;  // after the sources: libm, so the artifact loads into any host
  CompilerLimits limits;

  // The compiler named by $CC, identified once per process. Running
  // `$CC --version` costs a fork and exec (tens of ms), so the identity is
  // remembered in `memo_dir` (when not empty), keyed by the compiler
  // binary's resolved path, size, inode and mtime: a warm start runs no
  // process. Fails when the compiler cannot be run.
  static Result<Compiler> from_environment(const std::string& memo_dir = {});
  // Whether $CC (default `cc`) names an executable, found on $PATH as exec
  // would: a stat or two and no process, for a caller that only wants to
  // know whether compiling is worth starting.
  static bool found();

  // Compiles `sources` (in `dir`) into the shared object `output`, with
  // `include_dirs` first on the include path. Errors are one line: the
  // compiler's first error, or the limit that stopped it.
  static Result<std::string> probe_identity(const Compiler& compiler);
  // The flags for `variant`; the default is what kiln runs guests with.
  void configure_flags(const BuildVariant& variant = {});

  Result<void> compile_shared(const std::string& dir, const std::vector<std::string>& sources,
                              const std::vector<std::string>& include_dirs, const std::string& output) const;
};

// How many times a compiler process was started in this process (tests use
// it to show that a cached module compiles nothing).
uint64_t compiler_invocations();

}  // namespace kiln::backends::aot
