#include "ats/filter_options.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kiln::ats {
namespace {

using host::proxy_wasm::LogLevel;

Result<uint64_t> parse_number(std::string_view option, std::string_view text) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || text.empty()) {
    return make_error(ErrorKind::InvalidArgument, "kiln_ats: " + std::string(option) + " takes a whole number, not '" +
                                            std::string(text) + "'");
  }
  return value;
}

Result<LogLevel> parse_level(std::string_view text) {
  static constexpr std::pair<std::string_view, LogLevel> kLevels[] = {
      {"trace", LogLevel::Trace}, {"debug", LogLevel::Debug}, {"info", LogLevel::Info},
      {"warn", LogLevel::Warn},   {"error", LogLevel::Error}, {"critical", LogLevel::Critical}};
  for (const auto& [name, level] : kLevels) {
    if (text == name) return level;
  }
  return make_error(ErrorKind::InvalidArgument, "kiln_ats: --log-level is one of trace, debug, info, warn, error, critical, not '" +
                                          std::string(text) + "'");
}

}  // namespace

Limits FilterOptions::default_limits() {
  Limits limits;
  limits.timeout = std::chrono::milliseconds(100);
  limits.max_memory_bytes = uint64_t{64} << 20;
  return limits;
}

Result<FilterOptions> parse_filter_options(const std::vector<std::string>& params) {
  FilterOptions options;
  for (const std::string& param : params) {
    const auto equals = param.find('=');
    const std::string_view key = std::string_view(param).substr(0, equals);
    const std::string_view value = equals == std::string::npos ? std::string_view() : std::string_view(param).substr(equals + 1);
    if (equals == std::string::npos || value.empty()) {
      return make_error(ErrorKind::InvalidArgument, "kiln_ats: '" + param + "' is not --option=value");
    }
    if (key == "--module") {
      options.module_path = value;
    } else if (key == "--config") {
      options.plugin_config_path = value;
    } else if (key == "--vm-config") {
      options.vm_config_path = value;
    } else if (key == "--name") {
      options.name = value;
    } else if (key == "--vm-id") {
      options.vm_id = value;
    } else if (key == "--cache-dir") {
      options.cache_dir = value;
    } else if (key == "--kiln") {
      options.kiln_command = value;
    } else if (key == "--log-level") {
      auto level = parse_level(value);
      if (!level) return level.error();
      options.log_level = *level;
    } else if (key == "--fuel") {
      auto fuel = parse_number(key, value);
      if (!fuel) return fuel.error();
      options.limits.fuel = *fuel;
    } else if (key == "--timeout-ms") {
      auto ms = parse_number(key, value);
      if (!ms) return ms.error();
      options.limits.timeout = std::chrono::milliseconds(*ms);
    } else if (key == "--max-body-kb") {
      auto kb = parse_number(key, value);
      if (!kb) return kb.error();
      options.max_body_bytes = static_cast<size_t>(*kb) << 10;
    } else if (key == "--memory-mb") {
      auto mb = parse_number(key, value);
      if (!mb) return mb.error();
      options.limits.max_memory_bytes = *mb << 20;
    } else {
      return make_error(ErrorKind::InvalidArgument,
                        "kiln_ats: unknown parameter '" + std::string(key) +
                            "' (known: --module, --config, --vm-config, --name, --vm-id, --cache-dir, --kiln, "
                            "--log-level, --fuel, --timeout-ms, --memory-mb, --max-body-kb)");
    }
  }
  if (options.module_path.empty()) {
    return make_error(ErrorKind::InvalidArgument, "kiln_ats: the rule names no filter (@pparam=--module=PATH.wasm)");
  }
  if (options.name.empty()) options.name = std::filesystem::path(options.module_path).stem().string();
  if (options.vm_id.empty()) options.vm_id = options.module_path;
  return options;
}

Result<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::Io, "kiln_ats: cannot read " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return make_error(ErrorKind::Io, "kiln_ats: error reading " + path);
  return std::move(bytes).str();
}

}  // namespace kiln::ats
