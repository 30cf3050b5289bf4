// The on-disk cache of compiled artifacts. An artifact is keyed by the
// SHA-256 of the (instrumented) module, the C compiler's identity and flags,
// the artifact ABI version, the translator version (c_translator.h) and
// kiln's runtime headers; it is a shared object
// `<key>.so` with `<key>.json` beside it (artifact_info.h), which holds the
// shared object's own SHA-256, checked before every dlopen. Both are written
// to a temporary directory, fsynced and renamed into place, the metadata
// last, so a reader (or a run after a kill -9 or a power cut) sees a
// complete artifact or none. A corrupted artifact is removed and rebuilt.
//
// Where: EngineConfig::cache_dir, else $KILN_CACHE_DIR, else
// $XDG_CACHE_HOME/kiln, else ~/.cache/kiln.
//
// Size: capped at `max_bytes` (the constructor's, else $KILN_CACHE_MAX_BYTES,
// bytes with an optional K, M or G suffix, else 1 GiB; 0 means no cap).
// Every build that adds an artifact then evicts the least recently used
// ones (a hit in find() counts as a use: it touches the metadata's mtime)
// until the cache fits again. Several processes share one cache: find() and
// a build hold a shared flock on the metadata until the caller drops the
// CachedArtifact (after dlopen), and eviction skips any artifact it cannot
// lock exclusively, so it never removes one that is being loaded. Eviction
// removes the metadata (the commit point) before the shared object.
#pragma once

#include <cstdint>
#include <memory>
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
  // A shared lock on the metadata: while held, no process evicts the
  // artifact. Keep it until the shared object is loaded.
  std::shared_ptr<void> pin;
};

class ArtifactCache {
 public:
  static constexpr uint64_t kDefaultMaxBytes = uint64_t{1} << 30;

  // `dir` empty: the default location. `max_bytes` nullopt: from the
  // environment (see above).
  explicit ArtifactCache(std::string dir = {}, std::optional<uint64_t> max_bytes = std::nullopt);

  static std::string default_dir();
  const std::string& dir() const { return dir_; }
  uint64_t max_bytes() const { return max_bytes_; }
  // $KILN_CACHE_MAX_BYTES, else kDefaultMaxBytes.
  static uint64_t default_max_bytes();

  // Needs the compiler's identity (one `$CC --version` per process).
  Result<std::string> key_for(std::span<const uint8_t> wasm) const;

  // The verified artifact for `key`, or nullopt when it is missing or its
  // hash does not match (then its files are removed).
  std::optional<CachedArtifact> find(const std::string& key) const;

  // find(), else translate, compile and store. Errors are one line.
  Result<CachedArtifact> get_or_build(std::span<const uint8_t> wasm, std::string_view name) const;

  // Evicts least recently used artifacts, never `keep` nor one another
  // process holds, until the cache is within max_bytes(). Returns how many
  // were removed. get_or_build() calls it after every build.
  size_t prune(const std::string& keep = {}) const;

 private:
  std::string dir_;
  uint64_t max_bytes_;
};

}  // namespace kiln::backends::aot
