#include "backends/aot/module_index.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/aot/artifact_cache.h"
#include "base/files.h"

namespace kiln::backends::aot {

namespace fs = std::filesystem;

namespace {

// Bumped when the entry's shape changes: an entry of another version is a
// miss (the module is compiled again), never misread.
constexpr int kIndexVersion = 1;

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using Json = rapidjson::Value;

void write_string(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_types(Writer& w, const char* key, const std::vector<ValType>& types) {
  w.Key(key);
  w.StartArray();
  for (ValType type : types) w.String(to_string(type));
  w.EndArray();
}

void write_func_type(Writer& w, const FuncType& type) {
  w.Key("func_type");
  w.StartObject();
  write_types(w, "params", type.params);
  write_types(w, "results", type.results);
  w.EndObject();
}

void write_limits(Writer& w, const Limits64& limits) {
  w.Key("min");
  w.Uint64(limits.min);
  if (limits.max) {
    w.Key("max");
    w.Uint64(*limits.max);
  }
}

// The feature flags by name, so the JSON reads like `kiln inspect`.
struct FeatureField {
  const char* name;
  bool FeatureSet::*field;
};
constexpr FeatureField kFeatures[] = {
    {"simd", &FeatureSet::simd},
    {"threads", &FeatureSet::threads},
    {"tail_call", &FeatureSet::tail_call},
    {"memory64", &FeatureSet::memory64},
    {"multi_memory", &FeatureSet::multi_memory},
    {"bulk_memory", &FeatureSet::bulk_memory},
    {"reference_types", &FeatureSet::reference_types},
    {"multi_value", &FeatureSet::multi_value},
    {"sign_extension", &FeatureSet::sign_extension},
    {"saturating_float_to_int", &FeatureSet::saturating_float_to_int},
};

void write_info(Writer& w, const ModuleInfo& info) {
  w.StartObject();
  w.Key("imports");
  w.StartArray();
  for (const ImportDesc& import : info.imports) {
    w.StartObject();
    write_string(w, "module", import.module);
    write_string(w, "name", import.name);
    w.Key("kind");
    w.String(to_string(import.kind));
    write_string(w, "type", import.type);
    write_func_type(w, import.func_type);
    w.EndObject();
  }
  w.EndArray();
  w.Key("exports");
  w.StartArray();
  for (const ExportDesc& item : info.exports) {
    w.StartObject();
    write_string(w, "name", item.name);
    w.Key("kind");
    w.String(to_string(item.kind));
    w.Key("index");
    w.Uint(item.index);
    write_string(w, "type", item.type);
    write_func_type(w, item.func_type);
    w.EndObject();
  }
  w.EndArray();
  w.Key("memories");
  w.StartArray();
  for (const MemoryDesc& memory : info.memories) {
    w.StartObject();
    write_limits(w, memory.pages);
    w.Key("shared");
    w.Bool(memory.shared);
    w.Key("is64");
    w.Bool(memory.is64);
    w.Key("imported");
    w.Bool(memory.imported);
    w.EndObject();
  }
  w.EndArray();
  w.Key("tables");
  w.StartArray();
  for (const TableDesc& table : info.tables) {
    w.StartObject();
    w.Key("element");
    w.String(to_string(table.element));
    write_limits(w, table.size);
    w.Key("imported");
    w.Bool(table.imported);
    w.EndObject();
  }
  w.EndArray();
  w.Key("globals");
  w.StartArray();
  for (const GlobalDesc& global : info.globals) {
    w.StartObject();
    w.Key("type");
    w.String(to_string(global.type));
    w.Key("mutable");
    w.Bool(global.is_mutable);
    w.Key("imported");
    w.Bool(global.imported);
    w.EndObject();
  }
  w.EndArray();
  w.Key("features");
  w.StartObject();
  for (const FeatureField& feature : kFeatures) {
    w.Key(feature.name);
    w.Bool(info.features.*feature.field);
  }
  w.EndObject();
  w.Key("defined_functions");
  w.Uint(info.defined_functions);
  w.Key("size_bytes");
  w.Uint64(info.size_bytes);
  w.Key("has_start");
  w.Bool(info.has_start);
  w.EndObject();
}

// Reads the JSON back; the first problem found is kept in `error`.
struct Reader {
  std::string error;

  bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }
  std::string string(const Json& v, const char* key) {
    if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) {
      fail(std::string("missing \"") + key + "\"");
      return {};
    }
    return std::string(v[key].GetString(), v[key].GetStringLength());
  }
  bool flag(const Json& v, const char* key) {
    if (!v.IsObject() || !v.HasMember(key) || !v[key].IsBool()) return fail(std::string("missing \"") + key + "\"");
    return v[key].GetBool();
  }
  uint64_t number(const Json& v, const char* key) {
    if (!v.IsObject() || !v.HasMember(key) || !v[key].IsUint64()) {
      fail(std::string("missing \"") + key + "\"");
      return 0;
    }
    return v[key].GetUint64();
  }
  const Json& array(const Json& v, const char* key) {
    static const Json empty(rapidjson::kArrayType);
    if (!v.IsObject() || !v.HasMember(key) || !v[key].IsArray()) {
      fail(std::string("missing \"") + key + "\"");
      return empty;
    }
    return v[key];
  }
  ExternKind kind(const Json& v) {
    auto kind = parse_extern_kind(string(v, "kind"));
    if (!kind) fail("bad extern kind");
    return kind.value_or(ExternKind::Func);
  }
  ValType val_type(const Json& v, const char* key) {
    auto type = parse_val_type(string(v, key));
    if (!type) fail(std::string("bad value type in \"") + key + "\"");
    return type.value_or(ValType::I32);
  }
  std::vector<ValType> types(const Json& v, const char* key) {
    std::vector<ValType> out;
    for (const Json& item : array(v, key).GetArray()) {
      auto type = item.IsString() ? parse_val_type(item.GetString()) : std::nullopt;
      if (!type) fail("bad value type");
      out.push_back(type.value_or(ValType::I32));
    }
    return out;
  }
  FuncType func_type(const Json& v) {
    if (!v.IsObject() || !v.HasMember("func_type")) {
      fail("missing \"func_type\"");
      return {};
    }
    return FuncType{types(v["func_type"], "params"), types(v["func_type"], "results")};
  }
  Limits64 limits(const Json& v) {
    Limits64 limits;
    limits.min = number(v, "min");
    if (v.HasMember("max") && v["max"].IsUint64()) limits.max = v["max"].GetUint64();
    return limits;
  }

  ModuleInfo info(const Json& v) {
    ModuleInfo info;
    for (const Json& item : array(v, "imports").GetArray()) {
      info.imports.push_back(ImportDesc{string(item, "module"), string(item, "name"), kind(item), string(item, "type"),
                                        func_type(item)});
    }
    for (const Json& item : array(v, "exports").GetArray()) {
      info.exports.push_back(ExportDesc{string(item, "name"), kind(item), static_cast<uint32_t>(number(item, "index")),
                                        string(item, "type"), func_type(item)});
    }
    for (const Json& item : array(v, "memories").GetArray()) {
      info.memories.push_back(MemoryDesc{limits(item), flag(item, "shared"), flag(item, "is64"), flag(item, "imported")});
    }
    for (const Json& item : array(v, "tables").GetArray()) {
      info.tables.push_back(TableDesc{val_type(item, "element"), limits(item), flag(item, "imported")});
    }
    for (const Json& item : array(v, "globals").GetArray()) {
      info.globals.push_back(GlobalDesc{val_type(item, "type"), flag(item, "mutable"), flag(item, "imported")});
    }
    if (!v.HasMember("features") || !v["features"].IsObject()) {
      fail("missing \"features\"");
    } else {
      for (const FeatureField& feature : kFeatures) info.features.*feature.field = flag(v["features"], feature.name);
    }
    info.defined_functions = static_cast<uint32_t>(number(v, "defined_functions"));
    info.size_bytes = number(v, "size_bytes");
    info.has_start = flag(v, "has_start");
    return info;
  }
};

}  // namespace

std::string to_json(const ModuleIndexEntry& entry) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("version");
  w.Int(kIndexVersion);
  write_string(w, "artifact_key", entry.artifact_key);
  write_string(w, "interp_only_reason", entry.interp_only_reason);
  w.Key("link_order");
  w.StartArray();
  for (const auto& [module, name] : entry.link_order) {
    w.StartArray();
    w.String(module.data(), static_cast<rapidjson::SizeType>(module.size()));
    w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.EndArray();
  }
  w.EndArray();
  w.Key("info");
  write_info(w, entry.info);
  w.EndObject();
  return buffer.GetString();
}

Result<ModuleIndexEntry> module_index_entry_from_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return make_error(ErrorKind::Internal, "module index entry is not JSON");
  Reader r;
  if (r.number(doc, "version") != kIndexVersion) {
    return make_error(ErrorKind::Internal, "module index entry has version " + std::to_string(r.number(doc, "version")) + ", expected " +
                      std::to_string(kIndexVersion));
  }
  ModuleIndexEntry entry;
  entry.artifact_key = r.string(doc, "artifact_key");
  entry.interp_only_reason = r.string(doc, "interp_only_reason");
  for (const Json& pair : r.array(doc, "link_order").GetArray()) {
    if (!pair.IsArray() || pair.Size() != 2 || !pair[0].IsString() || !pair[1].IsString()) {
      r.fail("bad \"link_order\" item");
      break;
    }
    entry.link_order.emplace_back(pair[0].GetString(), pair[1].GetString());
  }
  if (!doc.HasMember("info")) {
    r.fail("missing \"info\"");
  } else {
    entry.info = r.info(doc["info"]);
  }
  if (entry.artifact_key.empty() == entry.interp_only_reason.empty()) {
    r.fail("needs exactly one of \"artifact_key\" and \"interp_only_reason\"");
  }
  if (!r.error.empty()) return make_error(ErrorKind::Internal, "module index entry: " + r.error);
  return entry;
}

ModuleIndex::ModuleIndex(const std::string& cache_dir) : dir_(cache_dir + "/modules") {}

std::optional<ModuleIndexEntry> ModuleIndex::find(const std::string& module_sha256) const {
  const std::string path = dir_ + "/" + module_sha256 + ".json";
  auto text = base::read_file(path);
  if (!text) return std::nullopt;
  auto entry = module_index_entry_from_json(*text);
  if (!entry) {
    std::error_code ignored;
    fs::remove(path, ignored);
    return std::nullopt;
  }
  return std::move(*entry);
}

Result<void> ModuleIndex::store(const std::string& module_sha256, const ModuleIndexEntry& entry) const {
  std::error_code error;
  fs::create_directories(dir_, error);
  if (error) return make_error(ErrorKind::Io, "cannot create the module index " + dir_ + ": " + error.message());
  // A temporary file in the same directory, fsynced and renamed over the
  // entry: readers (other processes included) never see half an entry, nor
  // does a run after a kill -9 or a power cut.
  const std::string path = dir_ + "/" + module_sha256 + ".json";
  if (auto written = base::write_file_atomically(path, to_json(entry)); !written) {
    return prefix_error("module index: ", written.error());
  }
  return {};
}

Result<void> ModuleIndex::record(const std::string& module_sha256, const ModuleIndexEntry& entry) const {
  auto text = base::read_file(dir_ + "/" + module_sha256 + ".json");
  if (text && *text == to_json(entry)) return {};
  return store(module_sha256, entry);
}

}  // namespace kiln::backends::aot
