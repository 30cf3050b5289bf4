// Loading artifacts: dlopen (RTLD_NOW | RTLD_LOCAL) a verified shared object,
// find its one descriptor, hand it kiln's host API and run its module init,
// once per artifact while it is in use. An artifact is unloaded when the
// last module made from it goes; instances hold their module, so no code
// or funcref of a live instance can point into an unloaded artifact.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backends/aot/artifact_abi.h"
#include "kiln/result.h"

namespace kiln::backends::aot {

struct LoadedArtifact {
  std::string sha256;
  void* handle = nullptr;
  const kiln_artifact_t* descriptor = nullptr;
};

// `sha256` is the artifact's verified hash: the same content is loaded once.
// `api` must live as long as the process.
Result<std::shared_ptr<const LoadedArtifact>> load_artifact(const std::string& so_path, const std::string& sha256,
                                                            const kiln_host_api_t& api);

// How many artifacts are loaded now (tests: a redeployed module's
// artifact is released once its last call returns).
uint64_t loaded_artifact_count();

}  // namespace kiln::backends::aot
