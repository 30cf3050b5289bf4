// Loading artifacts: dlopen (RTLD_NOW | RTLD_LOCAL) a verified shared object,
// find its one descriptor, hand it kiln's host API and run its module init,
// once per process per artifact. Loaded artifacts stay loaded for the life of
// the process (instances and funcref tables may point into any of them).
#pragma once

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

}  // namespace kiln::backends::aot
