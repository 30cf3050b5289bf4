#include "backends/aot/artifact_cache.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/aot/artifact_abi.h"
#include "backends/aot/c_compiler.h"
#include "backends/aot/c_translator.h"

#ifndef KILN_SOURCE_DIR
#error "KILN_SOURCE_DIR must name kiln's source tree (for rt/wasm-rt.h)"
#endif

namespace kiln::backends::aot {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLayoutDir = "aot-v1";

std::string to_hex(const unsigned char* digest, unsigned length) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += digits[digest[i] >> 4];
    out += digits[digest[i] & 15];
  }
  return out;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

// The headers the generated C compiles against: $KILN_RT_INCLUDE_DIR, else
// the source tree kiln was built from.
std::string rt_include_dir() {
  if (const char* dir = std::getenv("KILN_RT_INCLUDE_DIR"); dir && *dir) return dir;
  return std::string(KILN_SOURCE_DIR) + "/rt";
}
std::string abi_include_dir() {
  if (const char* dir = std::getenv("KILN_AOT_INCLUDE_DIR"); dir && *dir) return dir;
  return std::string(KILN_SOURCE_DIR) + "/backends/aot";
}

std::string file_key(const std::string& path) {
  auto text = read_file(path);
  return text ? sha256_hex({reinterpret_cast<const uint8_t*>(text->data()), text->size()}) : "missing";
}

}  // namespace

std::string sha256_hex(std::span<const uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return to_hex(digest, length);
}

std::string sha256_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return {};
  return sha256_hex({reinterpret_cast<const uint8_t*>(text->data()), text->size()});
}

std::string ArtifactCache::default_dir() {
  if (const char* dir = std::getenv("KILN_CACHE_DIR"); dir && *dir) return dir;
  if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir && *dir) return std::string(dir) + "/kiln";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/kiln";
  return "/tmp/kiln-cache-" + std::to_string(::getuid());
}

ArtifactCache::ArtifactCache(std::string dir) : dir_(dir.empty() ? default_dir() : std::move(dir)) {
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
  for (const std::string& flag : compiler->flags) material += flag + " ";
  for (const std::string& library : compiler->libraries) material += library + " ";
  material += "\n" + headers + "\n" + sha256_hex(wasm) + "\n";
  return sha256_hex({reinterpret_cast<const uint8_t*>(material.data()), material.size()});
}

std::optional<CachedArtifact> ArtifactCache::find(const std::string& key) const {
  const std::string base = dir_ + "/" + key;
  auto json = read_file(base + ".json");
  if (!json) return std::nullopt;
  auto info = artifact_info_from_json(*json);
  if (!info || sha256_file(base + ".so") != info->artifact_sha256) {
    // Corrupted or half-removed: drop it so it is rebuilt.
    std::error_code ignored;
    fs::remove(base + ".json", ignored);
    fs::remove(base + ".so", ignored);
    return std::nullopt;
  }
  return CachedArtifact{base + ".so", std::move(*info), false, 0};
}

Result<CachedArtifact> ArtifactCache::get_or_build(std::span<const uint8_t> wasm, std::string_view name) const {
  auto key = key_for(wasm);
  if (!key) return key.error();
  if (auto found = find(*key)) return std::move(*found);

  auto started = std::chrono::steady_clock::now();
  auto translation = translate_to_c(wasm, name);
  if (!translation) return translation.error();
  auto compiler = Compiler::from_environment(dir_);
  if (!compiler) return compiler.error();

  std::error_code error;
  fs::create_directories(dir_, error);
  if (error) return make_error("cannot create the artifact cache " + dir_ + ": " + error.message());
  std::string work = dir_ + "/tmp-XXXXXX";
  if (!::mkdtemp(work.data())) return make_error("cannot create a directory in " + dir_);
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{work};

  if (!write_file(work + "/module.c", translation->c_source) || !write_file(work + "/module.h", translation->header) ||
      !write_file(work + "/glue.c", translation->glue)) {
    return make_error("cannot write the generated C to " + work);
  }
  const std::string so = work + "/artifact.so";
  auto compiled = compiler->compile_shared(work, {"module.c", "glue.c"}, {rt_include_dir(), abi_include_dir(), work}, so);
  if (!compiled) return make_error(std::string(name) + ": aot: " + compiled.error().message);

  CachedArtifact artifact;
  artifact.info = std::move(translation->info);
  artifact.info.artifact_sha256 = sha256_file(so);
  artifact.info.compiler = compiler->identity;
  if (!write_file(work + "/artifact.json", to_json(artifact.info))) return make_error("cannot write artifact metadata");
  const std::string base = dir_ + "/" + *key;
  ::chmod(so.c_str(), 0700);
  fs::rename(so, base + ".so", error);
  if (!error) fs::rename(work + "/artifact.json", base + ".json", error);
  if (error) return make_error("cannot store the artifact in " + dir_ + ": " + error.message());
  artifact.so_path = base + ".so";
  artifact.built = true;
  artifact.compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return artifact;
}

}  // namespace kiln::backends::aot
