// Shared by the aot_*_test.cc files: engines on the aot backend with a cache
// kept in the build directory (so later runs compile nothing), or a fresh one.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "kiln/engine.h"

namespace kiln::test {

inline std::string aot_test_cache_dir() { return KILN_AOT_TEST_CACHE; }

// A new empty cache directory under the system temp dir.
inline std::string fresh_cache_dir(const std::string& tag) {
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("kiln-aot-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline Engine make_engine(BackendKind backend, std::string cache_dir = aot_test_cache_dir(), bool fallback = true) {
  EngineConfig config;
  config.backend = backend;
  config.cache_dir = std::move(cache_dir);
  config.aot_interp_fallback = fallback;
  auto engine = Engine::create(config);
  if (!engine.ok()) throw std::runtime_error(engine.error().message);
  return std::move(engine).value();
}

}  // namespace kiln::test
