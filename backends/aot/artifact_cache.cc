#include "backends/aot/artifact_cache.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <vector>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/aot/artifact_abi.h"
#include "backends/aot/c_compiler.h"
#include "backends/aot/c_translator.h"
#include "base/files.h"
#include "base/sha256.h"

#ifndef KILN_SOURCE_DIR
#error "KILN_SOURCE_DIR must name kiln's source tree (for rt/wasm-rt.h)"
#endif

namespace kiln::backends::aot {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLayoutDir = "aot-v1";

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

// An installed kiln keeps both headers in <prefix>/share/kiln/include
// (KILN_INSTALL_RT_INCLUDE_DIR, relative to the prefix). The prefix is the
// running executable's (<prefix>/bin/kiln, so an install tree can move),
// else the one kiln was configured with.
std::optional<std::string> installed_include_dir() {
  static const std::optional<std::string> found = []() -> std::optional<std::string> {
    std::error_code error;
    fs::path exe = fs::read_symlink("/proc/self/exe", error);
    for (const fs::path& prefix : {exe.parent_path().parent_path(), fs::path(KILN_INSTALL_PREFIX)}) {
      if (prefix.empty()) continue;
      fs::path dir = prefix / KILN_INSTALL_RT_INCLUDE_DIR;
      if (fs::exists(dir / "wasm-rt.h", error) && fs::exists(dir / "artifact_abi.h", error)) return dir.string();
    }
    return std::nullopt;
  }();
  return found;
}

// The headers the generated C compiles against: $KILN_RT_INCLUDE_DIR, else
// an installed kiln's, else the source tree kiln was built from.
std::string rt_include_dir() {
  if (const char* dir = std::getenv("KILN_RT_INCLUDE_DIR"); dir && *dir) return dir;
  if (auto dir = installed_include_dir()) return *dir;
  return std::string(KILN_SOURCE_DIR) + "/rt";
}
std::string abi_include_dir() {
  if (const char* dir = std::getenv("KILN_AOT_INCLUDE_DIR"); dir && *dir) return dir;
  if (auto dir = installed_include_dir()) return *dir;
  return std::string(KILN_SOURCE_DIR) + "/backends/aot";
}

// An open file with a flock on it, released on close.
struct LockedFile {
  int fd = -1;
  ~LockedFile() {
    if (fd >= 0) ::close(fd);
  }
};

// Opens `path` and flocks it (`operation`: LOCK_SH or LOCK_EX, maybe with
// LOCK_NB). Null when the file is missing, the lock is not granted, or the
// path no longer names the locked file (evicted or replaced meanwhile).
std::shared_ptr<LockedFile> lock_file(const std::string& path, int operation) {
  auto file = std::make_shared<LockedFile>();
  file->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file->fd < 0) return nullptr;
  while (::flock(file->fd, operation) != 0) {
    if (errno != EINTR) return nullptr;
  }
  struct stat held, named;
  if (::fstat(file->fd, &held) != 0 || ::stat(path.c_str(), &named) != 0) return nullptr;
  if (held.st_dev != named.st_dev || held.st_ino != named.st_ino) return nullptr;
  return file;
}

// "1073741824", "512M", "1G", "64KiB": bytes with a binary suffix.
std::optional<uint64_t> parse_bytes(std::string_view text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return std::nullopt;
  uint64_t value = 0;
  size_t at = 0;
  for (; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at) {
    if (value > (UINT64_MAX - 9) / 10) return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(text[at] - '0');
  }
  std::string_view suffix = text.substr(at);
  int shift = 0;
  if (!suffix.empty() && std::string_view("kKmMgG").find(suffix.front()) != std::string_view::npos) {
    shift = suffix.front() == 'k' || suffix.front() == 'K' ? 10 : suffix.front() == 'm' || suffix.front() == 'M' ? 20 : 30;
    suffix.remove_prefix(1);
    if (suffix == "iB" || suffix == "B") suffix = {};
  } else if (suffix == "B") {
    suffix = {};
  }
  if (!suffix.empty()) return std::nullopt;
  if (value > (UINT64_MAX >> shift)) return UINT64_MAX;
  return value << shift;
}

std::string file_key(const std::string& path) {
  auto text = base::read_file(path);
  return text ? base::sha256_hex(std::string_view(*text)) : "missing";
}

}  // namespace

std::string ArtifactCache::default_dir() {
  if (const char* dir = std::getenv("KILN_CACHE_DIR"); dir && *dir) return dir;
  if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir && *dir) return std::string(dir) + "/kiln";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/kiln";
  return "/tmp/kiln-cache-" + std::to_string(::getuid());
}

uint64_t ArtifactCache::default_max_bytes() {
  // An unreadable value falls back to the default rather than to no cap or
  // to a cap that would empty the cache.
  const char* text = std::getenv("KILN_CACHE_MAX_BYTES");
  if (!text || !*text) return kDefaultMaxBytes;
  return parse_bytes(text).value_or(kDefaultMaxBytes);
}

ArtifactCache::ArtifactCache(std::string dir, std::optional<uint64_t> max_bytes)
    : dir_(dir.empty() ? default_dir() : std::move(dir)), max_bytes_(max_bytes.value_or(default_max_bytes())) {
  dir_ += "/";
  dir_ += kLayoutDir;
}

Result<std::string> ArtifactCache::key_for(std::span<const uint8_t> wasm) const {
  std::error_code ignored;
  fs::create_directories(dir_, ignored);
  auto compiler = Compiler::from_environment(dir_);
  if (!compiler) return compiler.error();
  // The header hashes are computed once per process.
  static const std::string headers =
      file_key(rt_include_dir() + "/wasm-rt.h") + file_key(abi_include_dir() + "/artifact_abi.h");
  std::string material = "kiln-artifact-abi " + std::to_string(KILN_ARTIFACT_ABI_VERSION) + "\n" +
                         compiler->command + "\n" + compiler->identity + "\n";
  // The translation is part of what the artifact is: a new one gets new keys.
  material += "translator " + std::to_string(kTranslatorVersion) + "\n";
  for (const std::string& flag : compiler->flags) material += flag + " ";
  for (const std::string& library : compiler->libraries) material += library + " ";
  material += "\n" + headers + "\n" + base::sha256_hex(wasm) + "\n";
  return base::sha256_hex(std::string_view(material));
}

std::optional<CachedArtifact> ArtifactCache::find(const std::string& key) const {
  const std::string stem = dir_ + "/" + key;
  // Locked before reading: from here until the caller drops the pin, no
  // eviction removes the files.
  auto pin = lock_file(stem + ".json", LOCK_SH);
  if (!pin) return std::nullopt;
  auto json = base::read_file(stem + ".json");
  if (!json) return std::nullopt;
  auto info = artifact_info_from_json(*json);
  // The whole shared object hashed on every load, kept on purpose (issue 11,
  // docs/aot.md "Start-up"): with SHA-NI it is ~0.6 ms per MB, 11 us for
  // hello's 18 KB, and it catches what a size+mtime stamp would not (lost
  // blocks, bit rot, a same-size rewrite within the timestamp's granularity).
  if (!info || base::sha256_file(stem + ".so") != info->artifact_sha256) {
    // Corrupted or half-removed: drop it so it is rebuilt.
    std::error_code ignored;
    fs::remove(stem + ".json", ignored);
    fs::remove(stem + ".so", ignored);
    return std::nullopt;
  }
  // A use, for least-recently-used eviction: mtime, since atime is often
  // not kept (noatime, relatime).
  ::futimens(pin->fd, nullptr);
  return CachedArtifact{stem + ".so", std::move(*info), false, 0, std::move(pin)};
}

Result<CachedArtifact> ArtifactCache::get_or_build(std::span<const uint8_t> wasm, std::string_view name) const {
  auto key = key_for(wasm);
  if (!key) return key.error();
  // A benchmark variant (c_compiler.h) lives under a key of its own, derived
  // from the default one; key_for() itself, which the module index records,
  // only ever names the default artifact.
  const BuildVariant variant = build_variant();
  if (!variant.is_default()) {
    const std::string material = *key + "\n" + variant.key();
    *key = base::sha256_hex(std::string_view(material));
  }
  if (auto found = find(*key)) return std::move(*found);

  auto started = std::chrono::steady_clock::now();
  auto translation = translate_to_c(wasm, name, TranslateOptions{.fuel = variant.fuel});
  if (!translation) return translation.error();
  auto compiler = Compiler::from_environment(dir_);
  if (!compiler) return compiler.error();
  compiler->configure_flags(variant);

  std::error_code error;
  fs::create_directories(dir_, error);
  if (error) return make_error(ErrorKind::Io, "cannot create the artifact cache " + dir_ + ": " + error.message());
  std::string work = dir_ + "/tmp-XXXXXX";
  if (!::mkdtemp(work.data())) return make_error(ErrorKind::Io, "cannot create a directory in " + dir_);
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{work};

  if (!write_file(work + "/module.c", translation->c_source) || !write_file(work + "/module.h", translation->header) ||
      !write_file(work + "/glue.c", translation->glue)) {
    return make_error(ErrorKind::Io, "cannot write the generated C to " + work);
  }
  const std::string so = work + "/artifact.so";
  auto compiled = compiler->compile_shared(work, {"module.c", "glue.c"}, {rt_include_dir(), abi_include_dir(), work}, so);
  if (!compiled) return prefix_error(std::string(name) + ": aot: ", compiled.error());

  CachedArtifact artifact;
  artifact.info = std::move(translation->info);
  artifact.info.artifact_sha256 = base::sha256_file(so);
  artifact.info.compiler = compiler->identity;
  if (!write_file(work + "/artifact.json", to_json(artifact.info))) return make_error(ErrorKind::Io, "cannot write artifact metadata");
  const std::string stem = dir_ + "/" + *key;
  ::chmod(so.c_str(), 0700);
  // Locked before it is visible, so a concurrent eviction cannot take it
  // away before our caller loads it.
  artifact.pin = lock_file(work + "/artifact.json", LOCK_SH);
  // On disk before they are visible: after a power cut the metadata never
  // names a shared object whose blocks were lost (find() would reject it by
  // hash anyway, but never trust what can be avoided).
  if (!base::sync_file(so) || !base::sync_file(work + "/artifact.json")) {
    return make_error(ErrorKind::Io, "cannot sync the artifact in " + work);
  }
  fs::rename(so, stem + ".so", error);
  if (!error) fs::rename(work + "/artifact.json", stem + ".json", error);
  if (error) return make_error(ErrorKind::Io, "cannot store the artifact in " + dir_ + ": " + error.message());
  base::sync_directory(dir_);
  prune(*key);
  artifact.so_path = stem + ".so";
  artifact.built = true;
  artifact.compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return artifact;
}

size_t ArtifactCache::prune(const std::string& keep) const {
  if (max_bytes_ == 0) return 0;
  struct Entry {
    std::string key;
    uint64_t bytes = 0;
    fs::file_time_type used;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code error;
  // Only committed artifacts (with metadata) count: a build's temporary
  // directory and the instant between its two renames are not ours to judge.
  for (fs::directory_iterator it(dir_, error), end; !error && it != end; it.increment(error)) {
    const fs::path& path = it->path();
    if (path.extension() != ".json") continue;
    std::error_code gone;  // another process may evict it meanwhile
    Entry entry{path.stem().string(), 0, fs::last_write_time(path, gone)};
    if (gone) continue;
    entry.bytes = fs::file_size(path, gone);
    if (gone) continue;
    uint64_t so_bytes = fs::file_size(dir_ + "/" + entry.key + ".so", gone);
    if (!gone) entry.bytes += so_bytes;
    total += entry.bytes;
    entries.push_back(std::move(entry));
  }
  if (total <= max_bytes_) return 0;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  size_t removed = 0;
  for (const Entry& entry : entries) {
    if (total <= max_bytes_) break;
    if (entry.key == keep) continue;
    const std::string stem = dir_ + "/" + entry.key;
    // Not granted: some process is between find() and dlopen on it.
    auto lock = lock_file(stem + ".json", LOCK_EX | LOCK_NB);
    if (!lock) continue;
    std::error_code ignored;
    fs::remove(stem + ".json", ignored);  // the commit point goes first
    fs::remove(stem + ".so", ignored);
    total -= entry.bytes;
    ++removed;
  }
  return removed;
}

}  // namespace kiln::backends::aot
