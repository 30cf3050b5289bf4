#include "server/serve_config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace kiln::server {
namespace {

Error config_error(const std::string& message) { return Error{message, ErrorKind::InvalidArgument, {}}; }

Result<std::string> read_whole(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{std::string(what) + " " + path + ": cannot be read", ErrorKind::Io, {}};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "250ms", "5s", "2m", or an integer of milliseconds.
Result<std::chrono::milliseconds> parse_duration(const rapidjson::Value& value, const std::string& option) {
  if (value.IsUint64()) return std::chrono::milliseconds(value.GetUint64());
  if (!value.IsString()) return config_error(option + ": expected a duration (\"500ms\", \"10s\") or milliseconds");
  std::string text = value.GetString();
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string unit = text.substr(digits);
  if (digits == 0 || digits > 9 || (unit != "ms" && unit != "s" && unit != "m")) {
    return config_error(option + ": \"" + text + "\" is not a duration (\"500ms\", \"10s\", \"1m\")");
  }
  uint64_t n = std::stoull(text.substr(0, digits));
  uint64_t ms = unit == "ms" ? n : unit == "s" ? n * 1000 : n * 60000;
  return std::chrono::milliseconds(ms);
}

Result<uint64_t> positive(const rapidjson::Value& value, const std::string& option, uint64_t max) {
  if (!value.IsUint64() || value.GetUint64() == 0 || value.GetUint64() > max) {
    return config_error(option + ": expected an integer from 1 to " + std::to_string(max));
  }
  return value.GetUint64();
}

Result<std::string> string_option(const rapidjson::Value& value, const std::string& option) {
  if (!value.IsString() || value.GetStringLength() == 0) return config_error(option + ": expected a non-empty string");
  return std::string(value.GetString(), value.GetStringLength());
}

}  // namespace

Result<void> load_config_file(const std::string& path, ServeConfig& config) {
  auto text = read_whole(path, "config file");
  if (!text) return text.error();
  rapidjson::Document doc;
  doc.Parse(text->c_str(), text->size());
  if (doc.HasParseError()) {
    return config_error(path + ": not JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                        rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return config_error(path + ": expected a JSON object of options");
  for (auto it = doc.MemberBegin(); !(it == doc.MemberEnd()); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    const rapidjson::Value& v = it->value;
    std::string option = path + ": " + key;
    auto fail = [&](const Error& e) -> Result<void> { return e; };
    if (key == "listen" || key == "unix" || key == "tokens_file" || key == "registry" || key == "replay_dir" ||
        key == "providers") {
      auto s = string_option(v, option);
      if (!s) return fail(s.error());
      (key == "listen" ? config.listen : key == "unix" ? config.unix_socket
                                       : key == "tokens_file" ? config.tokens_file
                                       : key == "registry" ? config.registry
                                       : key == "providers" ? config.providers : config.replay_dir) = *s;
    } else if (key == "replay_max_files" || key == "replay_max_bytes") {
      auto n = positive(v, option, uint64_t{1} << 40);
      if (!n) return fail(n.error());
      (key == "replay_max_files" ? config.replay_max_files : config.replay_max_bytes) = *n;
    } else if (key == "replay_slow") {
      auto d = parse_duration(v, option);
      if (!d) return fail(d.error());
      config.replay_slow = *d;
    } else if (key == "workers" || key == "queue" || key == "per_scope_limit" || key == "max_connections") {
      auto n = positive(v, option, key == "workers" ? 256 : 1000000);
      if (!n) return fail(n.error());
      (key == "workers" ? config.workers
       : key == "queue" ? config.queue
       : key == "per_scope_limit" ? config.per_scope_limit
                                  : config.max_connections) = static_cast<int>(*n);
    } else if (key == "max_body" || key == "max_module_body") {
      auto n = positive(v, option, uint64_t{1} << 30);
      if (!n) return fail(n.error());
      (key == "max_body" ? config.max_body : config.max_module_body) = *n;
    } else if (key == "max_header") {
      auto n = positive(v, option, 1 << 20);
      if (!n) return fail(n.error());
      config.max_header = static_cast<uint32_t>(*n);
    } else if (key == "access_log") {
      if (!v.IsBool()) return config_error(option + ": expected true or false");
      config.access_log = v.GetBool();
    } else if (key == "read_timeout") {
      auto d = parse_duration(v, option);
      if (!d) return fail(d.error());
      config.read_timeout = *d;
    } else {
      return config_error(option + ": unknown option (known: listen, unix, tokens_file, registry, providers, workers, "
                                   "queue, per_scope_limit, max_connections, max_body, max_module_body, max_header, "
                                   "read_timeout, access_log, replay_dir, replay_max_files, replay_max_bytes, "
                                   "replay_slow)");
    }
  }
  return {};
}

Result<void> finish_config(ServeConfig& config) {
  if (config.listen.empty() && config.unix_socket.empty()) {
    return config_error("listen: give --listen HOST:PORT, --unix PATH, or both (\"listen\" / \"unix\" in the config)");
  }
  if (!config.listen.empty()) {
    auto colon = config.listen.rfind(':');
    std::string port = colon == std::string::npos ? "" : config.listen.substr(colon + 1);
    bool digits = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
    if (colon == std::string::npos || colon == 0 || !digits || std::stoul(port) > 65535) {
      return config_error("listen: \"" + config.listen + "\" is not HOST:PORT");
    }
  }
  if (config.unix_socket.size() >= 100) return config_error("unix: the socket path is too long (over 99 bytes)");
  if (config.workers < 1) return config_error("workers: expected at least 1");
  if (config.queue < 1) return config_error("queue: expected at least 1");
  if (config.per_scope_limit <= 0) config.per_scope_limit = std::max(1, config.workers / 2);
  if (config.read_timeout.count() <= 0) return config_error("read_timeout: expected a positive duration");

  if (!config.tokens_file.empty()) {
    auto text = read_whole(config.tokens_file, "tokens_file");
    if (!text) return text.error();
    rapidjson::Document doc;
    doc.Parse(text->c_str(), text->size());
    if (doc.HasParseError() || !doc.IsObject()) {
      return config_error("tokens_file " + config.tokens_file + ": expected a JSON object {\"admin\", \"execute\"}");
    }
    for (auto it = doc.MemberBegin(); !(it == doc.MemberEnd()); ++it) {
      std::string key = it->name.GetString();
      if ((key != "admin" && key != "execute") || !it->value.IsString() || it->value.GetStringLength() == 0) {
        return config_error("tokens_file " + config.tokens_file + ": \"" + key +
                            "\": only \"admin\" and \"execute\", non-empty strings");
      }
      (key == "admin" ? config.admin_token : config.execute_token) = it->value.GetString();
    }
  }
  if (const char* env = std::getenv("KILN_ADMIN_TOKEN"); env && *env) config.admin_token = env;
  if (const char* env = std::getenv("KILN_EXEC_TOKEN"); env && *env) config.execute_token = env;
  if (config.admin_token.empty()) return config_error("tokens: no admin token (set KILN_ADMIN_TOKEN or tokens_file)");
  if (config.execute_token.empty()) {
    return config_error("tokens: no execute token (set KILN_EXEC_TOKEN or tokens_file)");
  }
  return {};
}

}  // namespace kiln::server
