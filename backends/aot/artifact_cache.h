// The on-disk cache of compiled artifacts. An artifact is keyed by the
// SHA-256 of the (instrumented) module, the C compiler's identity and flags,
// the artifact ABI version and kiln's runtime headers; it is a shared object
// `<key>.so` with `<key>.json` beside it (artifact_info.h), which holds the
// shared object's own SHA-256, checked before every dlopen. Both are written
// to a temporary directory and renamed into place, the metadata last, so a
// reader sees a complete artifact or none. A corrupted artifact is removed
// and rebuilt.
//
// Where: EngineConfig::cache_dir, else $KILN_CACHE_DIR, else
// $XDG_CACHE_HOME/kiln, else ~/.cache/kiln.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "backends/aot/artifact_info.h"
#include "kiln/result.h"

namespace kiln::backends::aot {

struct CachedArtifact {
  std::string so_path;
  ArtifactInfo info;
  bool built = false;          // compiled by this call (a cache miss)
  double compile_seconds = 0;  // translate + compile, when built
};

class ArtifactCache {
 public:
  // `dir` empty: the default location.
  explicit ArtifactCache(std::string dir = {});

  static std::string default_dir();
  const std::string& dir() const { return dir_; }

  // Needs the compiler's identity (one `$CC --version` per process).
  Result<std::string> key_for(std::span<const uint8_t> wasm) const;

  // The verified artifact for `key`, or nullopt when it is missing or its
  // hash does not match (then its files are removed).
  std::optional<CachedArtifact> find(const std::string& key) const;

  // find(), else translate, compile and store. Errors are one line.
  Result<CachedArtifact> get_or_build(std::span<const uint8_t> wasm, std::string_view name) const;

 private:
  std::string dir_;
};

std::string sha256_hex(std::span<const uint8_t> bytes);
// Empty when the file cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace kiln::backends::aot
