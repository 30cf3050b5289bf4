#include "backends/aot/artifact_info.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace kiln::backends::aot {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_types(Writer& w, const char* key, const std::vector<ValType>& types) {
  w.Key(key);
  w.StartArray();
  for (ValType type : types) w.String(to_string(type));
  w.EndArray();
}

void write_limits(Writer& w, const Limits& limits) {
  w.Key("initial");
  w.Uint64(limits.initial);
  if (limits.max) {
    w.Key("max");
    w.Uint64(*limits.max);
  }
}

void write_type(Writer& w, const ItemType& type) {
  w.Key("kind");
  w.String(to_string(type.kind));
  switch (type.kind) {
    case ExternKind::Func:
      write_types(w, "params", type.func.params);
      write_types(w, "results", type.func.results);
      break;
    case ExternKind::Global:
      w.Key("type");
      w.String(to_string(type.value));
      w.Key("mutable");
      w.Bool(type.is_mutable);
      break;
    case ExternKind::Table:
      w.Key("type");
      w.String(to_string(type.value));
      write_limits(w, type.limits);
      break;
    case ExternKind::Memory:
      write_limits(w, type.limits);
      break;
  }
}

struct Reader {
  std::string error;

  bool types(const rapidjson::Value& v, const char* key, std::vector<ValType>& out) {
    if (!v.HasMember(key) || !v[key].IsArray()) return fail(std::string("missing ") + key);
    for (const auto& item : v[key].GetArray()) {
      auto type = item.IsString() ? parse_val_type(item.GetString()) : std::nullopt;
      if (!type) return fail("bad value type");
      out.push_back(*type);
    }
    return true;
  }
  bool limits(const rapidjson::Value& v, Limits& out) {
    if (!v.HasMember("initial") || !v["initial"].IsUint64()) return fail("missing limits");
    out.initial = v["initial"].GetUint64();
    if (v.HasMember("max") && v["max"].IsUint64()) out.max = v["max"].GetUint64();
    return true;
  }
  bool type(const rapidjson::Value& v, ItemType& out) {
    if (!v.IsObject() || !v.HasMember("kind") || !v["kind"].IsString()) return fail("missing kind");
    auto kind = parse_extern_kind(v["kind"].GetString());
    if (!kind) return fail("bad kind");
    out.kind = *kind;
    if (out.kind == ExternKind::Func) return types(v, "params", out.func.params) && types(v, "results", out.func.results);
    if (out.kind == ExternKind::Memory) return limits(v, out.limits);
    if (!v.HasMember("type") || !v["type"].IsString()) return fail("missing type");
    auto value = parse_val_type(v["type"].GetString());
    if (!value) return fail("bad type");
    out.value = *value;
    if (out.kind == ExternKind::Table) return limits(v, out.limits);
    out.is_mutable = v.HasMember("mutable") && v["mutable"].IsBool() && v["mutable"].GetBool();
    return true;
  }
  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }
};

}  // namespace

std::string to_json(const ArtifactInfo& info) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("imports");
  w.StartArray();
  for (const ImportInfo& import : info.imports) {
    w.StartObject();
    w.Key("module");
    w.String(import.module.data(), import.module.size());
    w.Key("name");
    w.String(import.name.data(), import.name.size());
    write_type(w, import.type);
    w.EndObject();
  }
  w.EndArray();
  w.Key("exports");
  w.StartArray();
  for (const ExportInfo& item : info.exports) {
    w.StartObject();
    w.Key("name");
    w.String(item.name.data(), item.name.size());
    write_type(w, item.type);
    w.EndObject();
  }
  w.EndArray();
  if (info.memory) {
    w.Key("memory");
    w.StartObject();
    write_limits(w, *info.memory);
    w.EndObject();
  }
  w.Key("features");
  w.StartArray();
  for (const std::string& feature : info.features) w.String(feature.c_str());
  w.EndArray();
  w.Key("artifact_sha256");
  w.String(info.artifact_sha256.c_str());
  w.Key("compiler");
  w.String(info.compiler.c_str());
  w.EndObject();
  return buffer.GetString();
}

Result<ArtifactInfo> artifact_info_from_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return make_error(ErrorKind::Internal, "artifact metadata is not JSON");
  ArtifactInfo info;
  Reader r;
  auto string_of = [](const rapidjson::Value& v, const char* key) -> std::string {
    if (!v.HasMember(key) || !v[key].IsString()) return {};
    return std::string(v[key].GetString(), v[key].GetStringLength());
  };
  if (!doc.HasMember("imports") || !doc["imports"].IsArray() || !doc.HasMember("exports") ||
      !doc["exports"].IsArray()) {
    return make_error(ErrorKind::Internal, "artifact metadata lacks imports or exports");
  }
  for (const auto& v : doc["imports"].GetArray()) {
    ImportInfo import{string_of(v, "module"), string_of(v, "name"), {}};
    if (!r.type(v, import.type)) return make_error(ErrorKind::Internal, "artifact metadata: " + r.error);
    info.imports.push_back(std::move(import));
  }
  for (const auto& v : doc["exports"].GetArray()) {
    ExportInfo item{string_of(v, "name"), {}};
    if (!r.type(v, item.type)) return make_error(ErrorKind::Internal, "artifact metadata: " + r.error);
    info.exports.push_back(std::move(item));
  }
  if (doc.HasMember("memory")) {
    Limits limits;
    if (!r.limits(doc["memory"], limits)) return make_error(ErrorKind::Internal, "artifact metadata: " + r.error);
    info.memory = limits;
  }
  if (doc.HasMember("features") && doc["features"].IsArray()) {
    for (const auto& v : doc["features"].GetArray()) {
      if (v.IsString()) info.features.push_back(v.GetString());
    }
  }
  info.artifact_sha256 = string_of(doc, "artifact_sha256");
  info.compiler = string_of(doc, "compiler");
  if (info.artifact_sha256.size() != 64) return make_error(ErrorKind::Internal, "artifact metadata lacks the artifact's SHA-256");
  return info;
}

}  // namespace kiln::backends::aot
