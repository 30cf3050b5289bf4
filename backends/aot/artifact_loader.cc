#include "backends/aot/artifact_loader.h"

#include <dlfcn.h>

#include <atomic>
#include <map>
#include <mutex>

namespace kiln::backends::aot {
namespace {

std::atomic<uint64_t>& live_count() {
  static std::atomic<uint64_t> count{0};
  return count;
}

}  // namespace

uint64_t loaded_artifact_count() { return live_count().load(std::memory_order_relaxed); }

Result<std::shared_ptr<const LoadedArtifact>> load_artifact(const std::string& so_path, const std::string& sha256,
                                                            const kiln_host_api_t& api) {
  // Loaded once per content while anything uses it: every module compiled
  // from it holds it, every instance holds its module, and the last one
  // gone unloads it (a redeployed extension's artifact leaves with its
  // last call). The map itself lives for the process.
  static auto* mutex = new std::mutex;
  static auto* loaded = new std::map<std::string, std::weak_ptr<const LoadedArtifact>>;
  std::lock_guard lock(*mutex);
  if (auto it = loaded->find(sha256); it != loaded->end()) {
    if (auto alive = it->second.lock()) return alive;
    loaded->erase(it);
  }

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
  std::shared_ptr<const LoadedArtifact> artifact(new LoadedArtifact{sha256, handle, descriptor},
                                                 [](const LoadedArtifact* gone) {
                                                   live_count().fetch_sub(1, std::memory_order_relaxed);
                                                   ::dlclose(gone->handle);
                                                   delete gone;
                                                 });
  live_count().fetch_add(1, std::memory_order_relaxed);
  (*loaded)[sha256] = artifact;
  return artifact;
}

}  // namespace kiln::backends::aot
