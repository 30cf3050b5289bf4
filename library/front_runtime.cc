// The run-time library's front (runtime/front.h): libkiln.so, built without
// WABT. It runs AOT artifacts only. A module is looked up in the module
// index by the SHA-256 of its bytes (backends/aot/module_index.h); on a miss
// `kiln compile` runs as a subprocess to decode, instrument and compile it
// into the same cache, and the result is looked up again.
#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "backends/aot/aot_backend.h"
#include "backends/aot/artifact_cache.h"
#include "backends/aot/c_translator.h"
#include "backends/aot/module_index.h"
#include "base/sha256.h"
#include "runtime/front.h"
#include "library/indexed_module.h"
#include "runtime/module_impl.h"

extern char** environ;

namespace kiln::backends::aot {

// artifact_cache.cc's in-process build path translates with WABT's C
// writer, which this library does not contain. Nothing here takes that path
// (modules reach the cache through `kiln compile`); this definition keeps
// the library free of undefined symbols and says why if it ever is taken.
// Its signature must follow c_translator.h's (a mismatch is a link error of
// libkiln.so, never a silent one: -Wl,--no-undefined).
Result<Translation> translate_to_c(std::span<const uint8_t>, std::string_view name, const TranslateOptions&) {
  return make_error(ErrorKind::Unsupported, std::string(name) +
                    ": libkiln.so cannot translate modules to C (it has no WABT); `kiln compile` does");
}

}  // namespace kiln::backends::aot

namespace kiln::runtime {

namespace {

namespace fs = std::filesystem;

constexpr const char* kNoInterpreter =
    "libkiln.so runs AOT artifacts only (it has no interpreter: the interpreter needs WABT, which is not "
    "position-independent on Debian); link the static library libkiln.a to run it";

// Stands in for the interpreter the aot backend would fall back to. It
// refuses every module, so no fallback instance, and hence no store of it,
// ever exists (AotStore creates one only for fallback instances).
class NoInterpreter final : public Backend {
 public:
  std::string_view name() const override { return "none"; }
  Result<std::shared_ptr<const BackendModule>> load(std::span<const uint8_t>, std::string_view name) const override {
    return make_error(ErrorKind::Unsupported, std::string(name) + ": " + kNoInterpreter);
  }
  std::unique_ptr<BackendStore> new_store(Store&) const override { return nullptr; }
};

bool is_executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

// The `kiln` that compiles for us: the engine's option, $KILN_COMPILE, the
// `kiln` installed beside this library (<prefix>/lib[/<multiarch>] ->
// <prefix>/bin, or the same directory in a build tree), else PATH.
std::string compile_command(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* path = std::getenv("KILN_COMPILE"); path && *path) return path;
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&front_name), &info) && info.dli_fname) {
    std::error_code error;
    fs::path library = fs::canonical(info.dli_fname, error);
    if (!error) {
      fs::path dir = library.parent_path();
      for (const fs::path& candidate : {dir / ".." / "bin" / "kiln", dir / ".." / ".." / "bin" / "kiln", dir / "kiln"}) {
        if (is_executable(candidate.string())) return candidate.lexically_normal().string();
      }
    }
  }
  return "kiln";
}

struct ProcessOutcome {
  int exit_code = -1;  // -1: killed by a signal
  std::string output;  // stdout and stderr together
};

// Runs `argv` (argv[0] searched on PATH when it has no '/') with stdin
// closed and its output captured. posix_spawn does not copy the host's page
// tables, as fork would: the host may be large.
Result<ProcessOutcome> run_process(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return make_error(ErrorKind::Internal, std::string("cannot create a pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int failed = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (failed != 0) {
    ::close(pipe_fds[0]);
    return make_error(ErrorKind::Internal, "cannot start " + argv[0] + ": " + std::strerror(failed));
  }
  ProcessOutcome outcome;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    // Keep the head: the first error is the useful one, and a bound keeps a
    // chatty child from growing the host.
    if (outcome.output.size() < 64 * 1024) outcome.output.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return make_error(ErrorKind::Internal, "cannot wait for " + argv[0] + ": " + std::strerror(errno));
  }
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  return outcome;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Hands the module to `kiln compile`, which decodes, validates, instruments,
// compiles and records it in the module index. The module travels as a
// temporary file in the cache (same filesystem, same owner).
Result<void> compile_in_subprocess(const EngineConfig& config, const std::string& cache_root,
                                   const backends::aot::ArtifactCache& cache, std::span<const uint8_t> bytes,
                                   std::string_view name) {
  std::error_code error;
  fs::create_directories(cache.dir(), error);
  if (error) return make_error(ErrorKind::Io, "cannot create the artifact cache " + cache.dir() + ": " + error.message());
  std::string temp = cache.dir() + "/tmp-module-XXXXXX.wasm";
  int fd = ::mkstemps(temp.data(), 5);
  if (fd < 0) return make_error(ErrorKind::Io, "cannot create a file in " + cache.dir() + ": " + std::strerror(errno));
  struct Remove {
    std::string path;
    ~Remove() { ::unlink(path.c_str()); }
  } remove{temp};
  bool written = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  written = ::close(fd) == 0 && written;
  if (!written) return make_error(ErrorKind::Io, "cannot write " + temp);

  const std::string kiln = compile_command(config.compiler_command);
  auto outcome = run_process({kiln, "compile", "-j", "1", "--cache-dir", cache_root, temp});
  if (!outcome) {
    return make_error(ErrorKind::Unsupported, std::string(name) + ": no compiled artifact for this module, and its compiler did not run: " +
                      outcome.error().message +
                      " (name the kiln executable in the engine's compiler option or in $KILN_COMPILE)");
  }
  if (outcome->exit_code == 0) return {};
  std::string output = outcome->output;
  replace_all(output, temp, std::string(name));
  while (!output.empty() && output.back() == '\n') output.pop_back();
  if (outcome->exit_code < 0) output = "killed by a signal";
  // `kiln compile` exits with README's codes: 3 the file, 4 the module, 6 the backend.
  const ErrorKind kind = outcome->exit_code == 4   ? ErrorKind::InvalidModule
                         : outcome->exit_code == 3 ? ErrorKind::Io
                         : outcome->exit_code == 6 ? ErrorKind::Unsupported
                                                   : ErrorKind::Internal;
  return make_error(kind, std::string(name) + ": `" + kiln + " compile` failed: " + output);
}

}  // namespace

const char* front_name() { return "runtime"; }

Result<std::unique_ptr<Backend>> make_backend(const EngineConfig& config) {
  if (config.backend != BackendKind::Aot) {
    return make_error(ErrorKind::Unsupported, std::string("backend '") + to_string(config.backend) + "' is not available: " + kNoInterpreter);
  }
  return backends::make_aot_backend(config.cache_dir, /*interp_fallback=*/false, std::make_unique<NoInterpreter>());
}

Result<std::shared_ptr<Module::Impl>> make_module(const Engine& engine, std::span<const uint8_t> bytes,
                                                  std::string_view name) {
  const EngineConfig& config = engine.config();
  if (bytes.size() > config.max_module_bytes) {
    return make_error(ErrorKind::InvalidModule, std::string(name) + ": the module is " + std::to_string(bytes.size()) +
                      " bytes, above the engine's limit of " + std::to_string(config.max_module_bytes));
  }
  const std::string cache_root = config.cache_dir.empty() ? backends::aot::ArtifactCache::default_dir() : config.cache_dir;
  backends::aot::ArtifactCache cache(cache_root);
  const std::string sha256 = base::sha256_hex(bytes);
  for (int attempt = 0; attempt < 2; ++attempt) {
    IndexLookup lookup = load_indexed_module(cache, sha256, name);
    if (lookup.module) return std::move(*lookup.module);
    if (!lookup.interp_only_reason.empty()) {
      return make_error(ErrorKind::Unsupported, std::string(name) + ": the module needs the interpreter (" + lookup.interp_only_reason +
                        "); " + kNoInterpreter);
    }
    if (attempt == 0) {
      auto compiled = compile_in_subprocess(config, cache_root, cache, bytes, name);
      if (!compiled) return compiled.error();
    }
  }
  return make_error(ErrorKind::Internal, std::string(name) + ": `kiln compile` succeeded but left no entry in the module index " +
                    backends::aot::ModuleIndex(cache.dir()).dir() + " (is that kiln older than this library?)");
}

}  // namespace kiln::runtime
