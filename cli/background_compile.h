// A compile into the artifact cache that runs after `kiln run` has gone:
// `kiln compile` on the module, in a session of its own (a Ctrl-C at the
// terminal does not reach it), at a lower priority, with its stdio on
// /dev/null so nothing of it mixes with the guest's output and a pipe
// reading `kiln run` sees EOF when the run ends, not when the compile does.
//
// One compile per module at a time: a lock file named by the module's
// SHA-256 in <cache>/aot-v1/compiling/, held while the compile runs and
// removed after it, so a loop of `kiln run`s starts one compile, not one per
// run. The cache itself stays whole whatever runs at once: every artifact
// and index entry is written aside and renamed into place
// (backends/aot/artifact_cache.h).
#pragma once

#include <string>

namespace kiln::cli {

// `cache_dir` as `kiln compile --cache-dir` ("" = the default location).
// Returns at once, without waiting for the compile; false when it could not
// be started (or `module_path` is no regular file the compile could read).
bool start_background_compile(const std::string& module_path, const std::string& module_sha256,
                              const std::string& cache_dir);

}  // namespace kiln::cli
