#include "base/function_provider_names.h"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "base/files.h"

namespace kiln::base {

namespace {

struct ProviderFamily {
  std::string_view prefix;
  int first_version;
  int last_version;
  int first_memory_io_version;    // versions from here on exchange I/O through memory (0: none)
  int first_messagepack_version;  // versions from here on speak MessagePack (0: none)
};

// function-runner's list: the providers Shopify serves, by family.
constexpr std::array<ProviderFamily, 3> kFamilies{{
    {"javy_quickjs_provider_v", 1, 3, 0, 0},
    {"shopify_functions_javy_v", 1, 4, 3, 2},
    {"shopify_function_v", 1, 2, 2, 1},
}};

// The family and version of `name` ("shopify_function_v2" -> its family, 2).
std::optional<std::pair<const ProviderFamily*, int>> parse_provider(std::string_view name) {
  for (const ProviderFamily& family : kFamilies) {
    if (!name.starts_with(family.prefix)) continue;
    std::string_view digits = name.substr(family.prefix.size());
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    int version = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      version = version * 10 + (c - '0');
    }
    if (version < family.first_version || version > family.last_version) return std::nullopt;
    return std::make_pair(&family, version);
  }
  return std::nullopt;
}

constexpr std::string_view kWasi = "wasi_snapshot_preview1";

}  // namespace

bool is_function_provider(std::string_view import_module) { return parse_provider(import_module).has_value(); }

bool provider_uses_memory_io(std::string_view provider) {
  auto parsed = parse_provider(provider);
  return parsed && parsed->first->first_memory_io_version > 0 && parsed->second >= parsed->first->first_memory_io_version;
}

bool provider_uses_messagepack(std::string_view provider) {
  auto parsed = parse_provider(provider);
  return parsed && parsed->first->first_messagepack_version > 0 &&
         parsed->second >= parsed->first->first_messagepack_version;
}

Result<std::optional<std::string>> function_provider(const ModuleInfo& function) {
  std::optional<std::string> provider;
  bool uses_wasi = false;
  for (const ImportDesc& import : function.imports) {
    if (import.module == kWasi) uses_wasi = true;
    if (!is_function_provider(import.module) || import.module == provider) continue;
    if (provider) {
      return make_error(ErrorKind::Link, "the function imports from two providers, " + *provider + " and " +
                                             import.module + "; a function links against one");
    }
    provider = import.module;
  }
  if (provider && uses_wasi && provider_uses_memory_io(*provider)) {
    return make_error(ErrorKind::Link, "invalid function: it imports both " + *provider + " and " + std::string(kWasi) +
                                           ", but " + *provider + " exchanges input and output through memory, "
                                           "not WASI (a Rust function builds for wasm32-unknown-unknown)");
  }
  return provider;
}

std::string provider_directory(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("KILN_PROVIDERS");
  return env ? env : "";
}

Result<std::vector<uint8_t>> read_provider(const std::string& directory, const std::string& name) {
  if (directory.empty()) {
    return make_error(ErrorKind::Io, "the function imports the provider " + name +
                                         ", and no provider directory is set (--providers DIR or $KILN_PROVIDERS)");
  }
  const std::string path = (std::filesystem::path(directory) / (name + ".wasm")).string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return make_error(ErrorKind::Io, "the function imports the provider " + name + ", and " + directory +
                                         " has no " + name + ".wasm",
                      ErrorLocation{.file = path});
  }
  auto bytes = base::read_file_bytes(path);
  if (!bytes) return make_error(ErrorKind::Io, "cannot read the provider " + path, ErrorLocation{.file = path});
  return std::move(*bytes);
}

}  // namespace kiln::base
