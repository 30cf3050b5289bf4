#include "execute/replay_bundle.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <ctime>

#include "base/base64.h"
#include "base/sha256.h"
#include "execute/exec_result_json.h"
#include "registry/registry.h"

#ifndef KILN_VERSION_STRING
#define KILN_VERSION_STRING "unknown"
#endif

namespace kiln::execute {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using rapidjson::Value;

std::string utc_now() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::span<const uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

void put(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void put(Writer& w, const char* key, uint64_t value) {
  w.Key(key);
  w.Uint64(value);
}

void write_tape(Writer& w, const std::vector<host::TapeEvent>& tape) {
  w.Key("tape");
  w.StartArray();
  for (const host::TapeEvent& event : tape) {
    w.StartObject();
    if (event.kind == host::TapeEvent::Kind::Clock) {
      put(w, "clock", uint64_t{event.clock_id});
      put(w, "time_ns", event.time);
    } else {
      put(w, "random", base::base64_encode(bytes_of(event.bytes)));
    }
    w.EndObject();
  }
  w.EndArray();
}

// The fields a reader needs, each with the name it reports when missing.
class Reader {
 public:
  explicit Reader(const Value& object, std::string where = "") : object_(object), where_(std::move(where)) {}

  Result<std::string> string(const char* key) const {
    auto it = object_.FindMember(key);
    if (it == object_.MemberEnd() || !it->value.IsString()) return missing(key, "a string");
    return std::string(it->value.GetString(), it->value.GetStringLength());
  }
  Result<uint64_t> number(const char* key) const {
    auto it = object_.FindMember(key);
    if (it == object_.MemberEnd() || !it->value.IsUint64()) return missing(key, "a non-negative integer");
    return it->value.GetUint64();
  }
  Result<std::vector<uint8_t>> base64(const char* key) const {
    auto text = string(key);
    if (!text) return text.error();
    auto decoded = base::base64_decode(*text);
    if (!decoded) return make_error(ErrorKind::InvalidInput, "replay bundle: " + where_ + key + ": " + decoded.error().message);
    return decoded;
  }

 private:
  Error missing(const char* key, const char* what) const {
    return make_error(ErrorKind::InvalidInput, "replay bundle: " + where_ + key + ": expected " + what);
  }
  const Value& object_;
  std::string where_;
};

Result<std::vector<host::TapeEvent>> read_tape(const Value& root) {
  auto it = root.FindMember("tape");
  if (it == root.MemberEnd() || !it->value.IsArray()) {
    return make_error(ErrorKind::InvalidInput, "replay bundle: tape: expected an array");
  }
  std::vector<host::TapeEvent> tape;
  for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
    const Value& item = it->value[i];
    std::string where = "tape/" + std::to_string(i) + "/";
    if (!item.IsObject()) return make_error(ErrorKind::InvalidInput, "replay bundle: " + where + ": expected an object");
    Reader event(item, where);
    if (item.HasMember("random")) {
      auto bytes = event.base64("random");
      if (!bytes) return bytes.error();
      tape.push_back({.kind = host::TapeEvent::Kind::Random, .bytes = std::string(bytes->begin(), bytes->end())});
      continue;
    }
    auto clock = event.number("clock");
    if (!clock) return clock.error();
    auto time = event.number("time_ns");
    if (!time) return time.error();
    tape.push_back({.kind = host::TapeEvent::Kind::Clock, .clock_id = static_cast<uint32_t>(*clock), .time = *time});
  }
  return tape;
}

// Reads every field of `to_json` back; the first problem wins.
Result<void> read_fields(const Reader& r, ReplayBundle& b) {
  struct Text { const char* key; std::string* into; };
  for (Text field : {Text{"kiln_version", &b.kiln_version}, Text{"recorded_at", &b.recorded_at},
                     Text{"reason", &b.reason}, Text{"extension_point", &b.extension_point_definition},
                     Text{"scope", &b.scope}, Text{"extension", &b.extension}, Text{"config", &b.config},
                     Text{"module_sha256", &b.module_sha256}, Text{"status", &b.status},
                     Text{"error_code", &b.error_code}, Text{"error_message", &b.error_message}}) {
    auto value = r.string(field.key);
    if (!value) return value.error();
    *field.into = std::move(*value);
  }
  struct Number { const char* key; uint64_t* into; };
  uint64_t version = 0;
  for (Number field : {Number{"version", &version}, Number{"fuel_limit", &b.fuel_limit},
                       Number{"memory_limit_bytes", &b.memory_limit_bytes}, Number{"time_limit_ns", &b.time_limit_ns},
                       Number{"fuel_used", &b.fuel_used}}) {
    auto value = r.number(field.key);
    if (!value) return value.error();
    *field.into = *value;
  }
  b.version = static_cast<int64_t>(version);
  auto module = r.base64("module");
  if (!module) return module.error();
  b.module = std::move(*module);
  for (auto [key, into] : {std::pair{"input", &b.input}, std::pair{"output", &b.output}}) {
    auto bytes = r.base64(key);
    if (!bytes) return bytes.error();
    into->assign(bytes->begin(), bytes->end());
  }
  return {};
}

// One extension of a combined call is replayed alone: its definition with
// "combine": "single" and no reducer, so that the replay's output is that
// extension's own, as recorded.
std::string as_single_extension(const std::string& definition) {
  rapidjson::Document doc;
  doc.Parse(definition.c_str(), definition.size());
  if (!doc.IsObject()) return definition;
  doc.RemoveMember("reduce");
  if (auto combine = doc.FindMember("combine"); combine != doc.MemberEnd()) combine->value.SetString("single");
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

Result<ReplayBundle> make_replay_bundle(registry::Registry& registry, const ExecResult& result,
                                        std::string_view input, const host::WasiTape& tape, std::string reason) {
  if (result.extension.empty()) {
    return make_error(ErrorKind::NotFound, "nothing ran for " + result.extension_point + " in scope " + result.scope +
                                               ": there is no call to replay");
  }
  auto versions = registry.history(result.extension_point, result.matched_scope, result.extension);
  if (!versions) return versions.error();
  const registry::Extension* ran = nullptr;
  for (const auto& v : *versions) {
    if (v.version == result.version) ran = &v;
  }
  if (!ran) {
    return make_error(ErrorKind::NotFound, result.extension + " v" + std::to_string(result.version) +
                                               " is no longer in the registry");
  }
  auto ep = registry.extension_point(result.extension_point, ran->extension_point_version);
  if (!ep) return ep.error();
  auto module = registry.module_bytes(result.module_sha256);
  if (!module) return module.error();

  ReplayBundle b;
  b.kiln_version = KILN_VERSION_STRING;
  b.recorded_at = utc_now();
  b.reason = std::move(reason);
  b.extension_point_definition = ep->definition;
  if (ep->combine_mode != registry::CombineMode::Single) {
    b.reason += std::string(" (one extension of a combine ") + registry::to_string(ep->combine_mode) +
                " call, replayed alone)";
    b.extension_point_definition = as_single_extension(ep->definition);
  }
  b.scope = result.scope;
  b.extension = result.extension;
  b.version = result.version;
  b.config = ran->config;
  b.module = std::move(*module);
  b.module_sha256 = result.module_sha256;
  b.input = std::string(input);
  b.fuel_limit = result.fuel_limit;
  b.memory_limit_bytes = result.memory_limit_bytes;
  b.time_limit_ns = static_cast<uint64_t>(result.time_limit.count());
  b.tape = tape.events();
  b.status = to_string(result.status);
  if (result.error) {
    b.error_code = error_code(result.error->kind);
    b.error_message = result.error->message;
  }
  b.fuel_used = result.fuel_used;
  b.output = result.output;
  return b;
}

std::string to_json(const ReplayBundle& b) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put(w, "format", kReplayFormat);
  put(w, "kiln_version", b.kiln_version);
  put(w, "recorded_at", b.recorded_at);
  put(w, "reason", b.reason);
  put(w, "extension_point", b.extension_point_definition);
  put(w, "scope", b.scope);
  put(w, "extension", b.extension);
  put(w, "version", static_cast<uint64_t>(b.version));
  put(w, "config", b.config);
  put(w, "module_sha256", b.module_sha256);
  put(w, "module", base::base64_encode(b.module));
  put(w, "input", base::base64_encode(bytes_of(b.input)));
  put(w, "fuel_limit", b.fuel_limit);
  put(w, "memory_limit_bytes", b.memory_limit_bytes);
  put(w, "time_limit_ns", b.time_limit_ns);
  write_tape(w, b.tape);
  put(w, "status", b.status);
  put(w, "error_code", b.error_code);
  put(w, "error_message", b.error_message);
  put(w, "fuel_used", b.fuel_used);
  put(w, "output", base::base64_encode(bytes_of(b.output)));
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<ReplayBundle> replay_bundle_from_json(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return make_error(ErrorKind::InvalidInput, "replay bundle: not a JSON object");
  }
  Reader root(doc);
  auto format = root.string("format");
  if (!format) return format.error();
  if (*format != kReplayFormat) {
    return make_error(ErrorKind::InvalidInput, "replay bundle: format \"" + *format + "\" is not " +
                                                   std::string(kReplayFormat));
  }
  ReplayBundle bundle;
  if (auto read = read_fields(root, bundle); !read) return read.error();
  auto tape = read_tape(doc);
  if (!tape) return tape.error();
  bundle.tape = std::move(*tape);
  if (base::sha256_hex(bundle.module) != bundle.module_sha256) {
    return make_error(ErrorKind::InvalidInput, "replay bundle: module: its SHA-256 is not module_sha256's " +
                                                   bundle.module_sha256);
  }
  return bundle;
}

}  // namespace kiln::execute
