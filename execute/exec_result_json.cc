#include "execute/exec_result_json.h"

#include <algorithm>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/json_msgpack.h"
#include "base/json_scan.h"

namespace kiln::execute {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_number(Writer& w, std::string_view key, uint64_t value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.Uint64(value);
}

// The output inline when it is JSON (it is, unless the result says otherwise).
void write_output(Writer& w, const std::string& output) {
  w.Key("output");
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(output.c_str(), output.size());
  if (output.empty()) w.Null();
  else if (doc.HasParseError()) w.String(output.c_str(), static_cast<rapidjson::SizeType>(output.size()));
  else w.RawValue(output.c_str(), output.size(), doc.GetType());
}

// A MessagePack output is shown as JSON, with "output_format": "msgpack"
// saying it came as MessagePack (docs/abi.md, "Formats").
void write_output(Writer& w, const ExecResult& r) {
  if (r.output_format != base::DataFormat::Msgpack || r.output.empty()) return write_output(w, r.output);
  auto json = base::msgpack_to_json(r.output, ErrorKind::InvalidOutput, "output");
  write_output(w, json ? *json : r.output);
  write_string(w, "output_format", "msgpack");
}

void write_error(Writer& w, const Error& error);

// "canary": true where a canary version answered; absent otherwise.
void write_canary(Writer& w, bool canary) {
  if (!canary) return;
  w.Key("canary");
  w.Bool(true);
}

void write_extension_run(Writer& w, const ExtensionRun& run) {
  w.StartObject();
  write_string(w, "extension", run.extension);
  write_number(w, "version", static_cast<uint64_t>(run.version));
  write_canary(w, run.canary);
  write_string(w, "scope", run.scope);
  write_string(w, "status", to_string(run.status));
  write_string(w, "log", run.log);
  w.Key("log_truncated");
  w.Bool(run.log_truncated);
  w.Key("exit_code");
  w.Int(run.exit_code);
  w.Key("fuel");
  w.StartObject();
  write_number(w, "used", run.fuel_used);
  write_number(w, "limit", run.fuel_limit);
  w.EndObject();
  write_number(w, "memory_peak_bytes", run.memory_peak_bytes);
  w.Key("time");
  w.StartObject();
  write_number(w, "run_ns", static_cast<uint64_t>(run.run_time.count()));
  write_number(w, "limit_ns", static_cast<uint64_t>(run.time_limit.count()));
  w.EndObject();
  write_number(w, "input_bytes", run.input_bytes);
  write_number(w, "output_bytes", run.output_bytes);
  if (run.error) write_error(w, *run.error);
  w.EndObject();
}

}  // namespace

std::string error_code(ErrorKind kind) {
  std::string code = to_string(kind);
  std::replace(code.begin(), code.end(), ' ', '_');
  return code;
}

// The result without "output" when `with_output` is false (to_msgpack adds it).
static std::string result_json(const ExecResult& r, bool with_output) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  write_string(w, "status", to_string(r.status));
  write_string(w, "extension_point", r.extension_point);
  write_string(w, "scope", r.scope);
  if (!r.extension.empty()) {
    write_string(w, "matched_scope", r.matched_scope);
    write_string(w, "extension", r.extension);
    write_number(w, "version", static_cast<uint64_t>(r.version));
    write_canary(w, r.canary);
    write_string(w, "module_sha256", r.module_sha256);
    write_number(w, "module_size", r.module_size);
    write_string(w, "backend", r.backend);
  }
  if (with_output) write_output(w, r);
  write_string(w, "log", r.log);
  w.Key("log_truncated");
  w.Bool(r.log_truncated);
  w.Key("exit_code");
  w.Int(r.exit_code);
  w.Key("fuel");
  w.StartObject();
  write_number(w, "used", r.fuel_used);
  write_number(w, "limit", r.fuel_limit);
  w.EndObject();
  w.Key("memory");
  w.StartObject();
  write_number(w, "peak_bytes", r.memory_peak_bytes);
  write_number(w, "limit_bytes", r.memory_limit_bytes);
  w.EndObject();
  w.Key("time");
  w.StartObject();
  write_number(w, "run_ns", static_cast<uint64_t>(r.run_time.count()));
  write_number(w, "limit_ns", static_cast<uint64_t>(r.time_limit.count()));
  w.EndObject();
  write_number(w, "input_bytes", r.input_bytes);
  w.Key("input_validated");
  w.Bool(r.input_validated);
  w.Key("stages_ns");
  w.StartObject();
  for (int s = 0; s < kStageCount; ++s) {
    write_number(w, to_string(static_cast<Stage>(s)), static_cast<uint64_t>(r.stages[s].count()));
  }
  w.EndObject();
  if (r.network_time.count() != 0) write_number(w, "network_ns", static_cast<uint64_t>(r.network_time.count()));
  if (r.error) write_error(w, *r.error);
  if (!r.extensions.empty()) {
    w.Key("extensions");
    w.StartArray();
    for (const ExtensionRun& run : r.extensions) write_extension_run(w, run);
    w.EndArray();
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string to_json(const ExecResult& r) { return result_json(r, true); }

std::string to_msgpack(const ExecResult& r) {
  std::string out;
  const bool packed_output = r.output_format == base::DataFormat::Msgpack && !r.output.empty();
  if (!packed_output) {
    (void)base::append_json_as_msgpack(to_json(r), out, ErrorKind::Internal, "result");
    return out;
  }
  // The output as it is, as the last member.
  (void)base::append_json_as_msgpack(result_json(r, false), out, ErrorKind::Internal, "result", "output", r.output);
  return out;
}

namespace {

void write_error(Writer& w, const Error& error) {
  w.Key("error");
  w.StartObject();
  write_string(w, "code", error_code(error.kind));
  write_string(w, "message", error.message);
  if (error.where.has_json_pointer) write_string(w, "pointer", error.where.json_pointer);
  if (error.where.offset) write_number(w, "offset", *error.where.offset);
  w.EndObject();
}

}  // namespace


namespace {

using rapidjson::Value;

std::string string_of(const Value& object, const char* key) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

uint64_t number_of(const Value& object, const char* key) {
  auto it = object.FindMember(key);
  return it != object.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : 0;
}

bool is_true(const Value& object, const char* key) {
  auto it = object.FindMember(key);
  return it != object.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

const Value* object_of(const Value& object, const char* key) {
  auto it = object.FindMember(key);
  return it != object.MemberEnd() && it->value.IsObject() ? &it->value : nullptr;
}

std::optional<ExecStatus> status_named(std::string_view name) {
  for (int s = 0; s < kExecStatusCount; ++s) {
    if (name == to_string(static_cast<ExecStatus>(s))) return static_cast<ExecStatus>(s);
  }
  return std::nullopt;
}

std::optional<ErrorKind> kind_coded(std::string_view code) {
  for (int k = static_cast<int>(ErrorKind::InvalidArgument); k <= static_cast<int>(ErrorKind::ExtensionFailed); ++k) {
    if (code == error_code(static_cast<ErrorKind>(k))) return static_cast<ErrorKind>(k);
  }
  return std::nullopt;
}

Error read_error(const Value& error) {
  Error e;
  e.kind = kind_coded(string_of(error, "code")).value_or(ErrorKind::Internal);
  e.message = string_of(error, "message");
  if (auto it = error.FindMember("pointer"); it != error.MemberEnd() && it->value.IsString()) {
    e.where.json_pointer = it->value.GetString();
    e.where.has_json_pointer = true;
  }
  if (auto it = error.FindMember("offset"); it != error.MemberEnd() && it->value.IsUint64()) {
    e.where.offset = it->value.GetUint64();
  }
  return e;
}

ExtensionRun read_extension_run(const Value& object) {
  ExtensionRun run;
  run.extension = string_of(object, "extension");
  run.version = static_cast<int64_t>(number_of(object, "version"));
  run.canary = is_true(object, "canary");
  run.scope = string_of(object, "scope");
  run.status = status_named(string_of(object, "status")).value_or(ExecStatus::Error);
  run.log = string_of(object, "log");
  if (auto it = object.FindMember("log_truncated"); it != object.MemberEnd() && it->value.IsBool()) {
    run.log_truncated = it->value.GetBool();
  }
  if (auto it = object.FindMember("exit_code"); it != object.MemberEnd() && it->value.IsInt()) {
    run.exit_code = it->value.GetInt();
  }
  if (const Value* fuel = object_of(object, "fuel")) {
    run.fuel_used = number_of(*fuel, "used");
    run.fuel_limit = number_of(*fuel, "limit");
  }
  run.memory_peak_bytes = number_of(object, "memory_peak_bytes");
  if (const Value* time = object_of(object, "time")) {
    run.run_time = std::chrono::nanoseconds(number_of(*time, "run_ns"));
    run.time_limit = std::chrono::nanoseconds(number_of(*time, "limit_ns"));
  }
  run.input_bytes = number_of(object, "input_bytes");
  run.output_bytes = number_of(object, "output_bytes");
  if (const Value* error = object_of(object, "error")) run.error = read_error(*error);
  return run;
}

}  // namespace

Result<ExecResult> exec_result_from_json(std::string_view json) {
  if (auto scan = base::scan_json(json, ErrorKind::InvalidArgument, "result"); !scan) return scan.error();
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (!doc.IsObject()) return make_error(ErrorKind::InvalidArgument, "result: not a JSON object");
  ExecResult r;
  auto status = status_named(string_of(doc, "status"));
  if (!status) return make_error(ErrorKind::InvalidArgument, "result: unknown status \"" + string_of(doc, "status") + "\"");
  r.status = *status;
  r.extension_point = string_of(doc, "extension_point");
  r.scope = string_of(doc, "scope");
  r.matched_scope = string_of(doc, "matched_scope");
  r.extension = string_of(doc, "extension");
  r.version = static_cast<int64_t>(number_of(doc, "version"));
  r.canary = is_true(doc, "canary");
  r.module_sha256 = string_of(doc, "module_sha256");
  r.module_size = number_of(doc, "module_size");
  r.backend = string_of(doc, "backend");
  if (auto it = doc.FindMember("output"); it != doc.MemberEnd()) {
    if (it->value.IsString()) {
      r.output.assign(it->value.GetString(), it->value.GetStringLength());
    } else if (!it->value.IsNull()) {
      rapidjson::StringBuffer buffer;
      Writer w(buffer);
      it->value.Accept(w);
      r.output.assign(buffer.GetString(), buffer.GetSize());
    }
  }
  r.log = string_of(doc, "log");
  if (auto it = doc.FindMember("log_truncated"); it != doc.MemberEnd() && it->value.IsBool()) {
    r.log_truncated = it->value.GetBool();
  }
  if (auto it = doc.FindMember("exit_code"); it != doc.MemberEnd() && it->value.IsInt()) r.exit_code = it->value.GetInt();
  if (const Value* fuel = object_of(doc, "fuel")) {
    r.fuel_used = number_of(*fuel, "used");
    r.fuel_limit = number_of(*fuel, "limit");
  }
  if (const Value* memory = object_of(doc, "memory")) {
    r.memory_peak_bytes = number_of(*memory, "peak_bytes");
    r.memory_limit_bytes = number_of(*memory, "limit_bytes");
  }
  if (const Value* time = object_of(doc, "time")) {
    r.run_time = std::chrono::nanoseconds(number_of(*time, "run_ns"));
    r.time_limit = std::chrono::nanoseconds(number_of(*time, "limit_ns"));
  }
  r.input_bytes = number_of(doc, "input_bytes");
  if (auto it = doc.FindMember("input_validated"); it != doc.MemberEnd() && it->value.IsBool()) {
    r.input_validated = it->value.GetBool();
  }
  if (const Value* stages = object_of(doc, "stages_ns")) {
    for (int s = 0; s < kStageCount; ++s) {
      r.stages[s] = std::chrono::nanoseconds(number_of(*stages, to_string(static_cast<Stage>(s))));
    }
  }
  r.network_time = std::chrono::nanoseconds(number_of(doc, "network_ns"));
  if (const Value* error = object_of(doc, "error")) r.error = read_error(*error);
  if (auto it = doc.FindMember("extensions"); it != doc.MemberEnd() && it->value.IsArray()) {
    for (const Value& run : it->value.GetArray()) {
      if (run.IsObject()) r.extensions.push_back(read_extension_run(run));
    }
  }
  return r;
}

}  // namespace kiln::execute
