#include "backends/aot/artifact_loader.h"

#include <dlfcn.h>

#include <map>
#include <mutex>

namespace kiln::backends::aot {

Result<std::shared_ptr<const LoadedArtifact>> load_artifact(const std::string& so_path, const std::string& sha256,
                                                            const kiln_host_api_t& api) {
  // Process-lifetime registry: never destroyed, artifacts never unloaded.
  static auto* mutex = new std::mutex;
  static auto* loaded = new std::map<std::string, std::shared_ptr<const LoadedArtifact>>;
  std::lock_guard lock(*mutex);
  if (auto it = loaded->find(sha256); it != loaded->end()) return it->second;

  void* handle = ::dlopen(so_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) return make_error(ErrorKind::Internal, so_path + ": cannot load the artifact: " + ::dlerror());
  auto* descriptor = static_cast<const kiln_artifact_t*>(::dlsym(handle, KILN_ARTIFACT_SYMBOL));
  if (!descriptor) {
    ::dlclose(handle);
    return make_error(ErrorKind::Internal, so_path + ": not a kiln artifact (no " KILN_ARTIFACT_SYMBOL ")");
  }
  if (descriptor->abi_version != KILN_ARTIFACT_ABI_VERSION) {
    ::dlclose(handle);
    return make_error(ErrorKind::Internal, so_path + ": artifact ABI " + std::to_string(descriptor->abi_version) + ", kiln speaks " +
                      std::to_string(KILN_ARTIFACT_ABI_VERSION));
  }
  descriptor->bind(&api);
  descriptor->init_module();
  auto artifact = std::make_shared<LoadedArtifact>(LoadedArtifact{sha256, handle, descriptor});
  loaded->emplace(sha256, artifact);
  return std::shared_ptr<const LoadedArtifact>(artifact);
}

}  // namespace kiln::backends::aot
