#include "base/module_info_json.h"

#include <utility>

namespace kiln::base {

namespace {

using Json = rapidjson::Value;

void write_string(JsonWriter& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_types(JsonWriter& w, const char* key, const std::vector<ValType>& types) {
  w.Key(key);
  w.StartArray();
  for (ValType type : types) w.String(to_string(type));
  w.EndArray();
}

void write_func_type(JsonWriter& w, ExternKind kind, const FuncType& type) {
  if (kind != ExternKind::Func) return;
  write_types(w, "params", type.params);
  write_types(w, "results", type.results);
}

void write_limits(JsonWriter& w, const Limits64& limits) {
  w.Key("min");
  w.Uint64(limits.min);
  w.Key("max");
  if (limits.max) {
    w.Uint64(*limits.max);
  } else {
    w.Null();
  }
}

// FeatureSet's flags by the names FeatureSet::names() prints.
struct FeatureField {
  const char* name;
  bool FeatureSet::*field;
};
constexpr FeatureField kFeatures[] = {
    {"simd", &FeatureSet::simd},
    {"threads", &FeatureSet::threads},
    {"tail-call", &FeatureSet::tail_call},
    {"memory64", &FeatureSet::memory64},
    {"multi-memory", &FeatureSet::multi_memory},
    {"bulk-memory", &FeatureSet::bulk_memory},
    {"reference-types", &FeatureSet::reference_types},
    {"multi-value", &FeatureSet::multi_value},
    {"sign-extension", &FeatureSet::sign_extension},
    {"saturating-float-to-int", &FeatureSet::saturating_float_to_int},
};

// Reads members; the first problem found is kept in `error`.
struct Reader {
  std::string error;

  void fail(std::string message) {
    if (error.empty()) error = std::move(message);
  }
  const Json* member(const Json& v, const char* key) {
    if (!v.IsObject() || !v.HasMember(key)) {
      fail(std::string("missing \"") + key + "\"");
      return nullptr;
    }
    return &v[key];
  }
  std::string string(const Json& v, const char* key) {
    const Json* m = member(v, key);
    if (!m) return {};
    if (!m->IsString()) fail(std::string("\"") + key + "\" is not a string");
    return m->IsString() ? std::string(m->GetString(), m->GetStringLength()) : std::string();
  }
  bool flag(const Json& v, const char* key) {
    const Json* m = member(v, key);
    if (m && !m->IsBool()) fail(std::string("\"") + key + "\" is not true or false");
    return m && m->IsBool() && m->GetBool();
  }
  uint64_t number(const Json& v, const char* key) {
    const Json* m = member(v, key);
    if (m && !m->IsUint64()) fail(std::string("\"") + key + "\" is not a count");
    return m && m->IsUint64() ? m->GetUint64() : 0;
  }
  const Json& array(const Json& v, const char* key) {
    static const Json empty(rapidjson::kArrayType);
    const Json* m = member(v, key);
    if (m && !m->IsArray()) fail(std::string("\"") + key + "\" is not an array");
    return m && m->IsArray() ? *m : empty;
  }
  ExternKind kind(const Json& v) {
    auto kind = parse_extern_kind(string(v, "kind"));
    if (!kind) fail("bad \"kind\"");
    return kind.value_or(ExternKind::Func);
  }
  ValType val_type(std::string_view name) {
    auto type = parse_val_type(name);
    if (!type) fail("bad value type \"" + std::string(name) + "\"");
    return type.value_or(ValType::I32);
  }
  std::vector<ValType> types(const Json& v, const char* key) {
    std::vector<ValType> out;
    for (const Json& item : array(v, key).GetArray()) {
      out.push_back(item.IsString() ? val_type(item.GetString()) : val_type("(not a string)"));
    }
    return out;
  }
  FuncType func_type(const Json& v, ExternKind kind) {
    if (kind != ExternKind::Func) return {};
    return FuncType{types(v, "params"), types(v, "results")};
  }
  Limits64 limits(const Json& v) {
    Limits64 limits;
    limits.min = number(v, "min");
    const Json* max = member(v, "max");
    if (max && max->IsUint64()) {
      limits.max = max->GetUint64();
    } else if (max && !max->IsNull()) {
      fail("\"max\" is neither a count nor null");
    }
    return limits;
  }
  FeatureSet features(const Json& v) {
    FeatureSet features;
    for (const Json& item : array(v, "features").GetArray()) {
      const FeatureField* found = nullptr;
      for (const FeatureField& feature : kFeatures) {
        if (item.IsString() && std::string_view(item.GetString()) == feature.name) found = &feature;
      }
      if (!found) {
        fail("unknown feature");
        continue;
      }
      features.*found->field = true;
    }
    return features;
  }

  ModuleInfo info(const Json& v) {
    ModuleInfo info;
    if (!v.IsObject()) {
      fail("not an object");
      return info;
    }
    for (const Json& item : array(v, "imports").GetArray()) {
      ImportDesc import{string(item, "module"), string(item, "name"), kind(item), string(item, "type"), {}};
      import.func_type = func_type(item, import.kind);
      info.imports.push_back(std::move(import));
    }
    for (const Json& item : array(v, "exports").GetArray()) {
      ExportDesc desc{string(item, "name"), kind(item), static_cast<uint32_t>(number(item, "index")),
                      string(item, "type"), {}};
      desc.func_type = func_type(item, desc.kind);
      info.exports.push_back(std::move(desc));
    }
    for (const Json& item : array(v, "memories").GetArray()) {
      info.memories.push_back(
          MemoryDesc{limits(item), flag(item, "shared"), flag(item, "memory64"), flag(item, "imported")});
    }
    for (const Json& item : array(v, "tables").GetArray()) {
      info.tables.push_back(TableDesc{val_type(string(item, "element")), limits(item), flag(item, "imported")});
    }
    for (const Json& item : array(v, "globals").GetArray()) {
      info.globals.push_back(GlobalDesc{val_type(string(item, "type")), flag(item, "mutable"), flag(item, "imported")});
    }
    info.features = features(v);
    info.defined_functions = static_cast<uint32_t>(number(v, "functions"));
    info.has_start = flag(v, "start");
    info.size_bytes = number(v, "size");
    return info;
  }
};

}  // namespace

void write_module_info(JsonWriter& w, const ModuleInfo& info) {
  w.StartObject();
  w.Key("imports");
  w.StartArray();
  for (const ImportDesc& import : info.imports) {
    w.StartObject();
    write_string(w, "module", import.module);
    write_string(w, "name", import.name);
    write_string(w, "kind", to_string(import.kind));
    write_string(w, "type", import.type);
    write_func_type(w, import.kind, import.func_type);
    w.EndObject();
  }
  w.EndArray();
  w.Key("exports");
  w.StartArray();
  for (const ExportDesc& item : info.exports) {
    w.StartObject();
    write_string(w, "name", item.name);
    write_string(w, "kind", to_string(item.kind));
    w.Key("index");
    w.Uint(item.index);
    write_string(w, "type", item.type);
    write_func_type(w, item.kind, item.func_type);
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
    w.Key("memory64");
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
    write_string(w, "element", to_string(table.element));
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
    write_string(w, "type", to_string(global.type));
    w.Key("mutable");
    w.Bool(global.is_mutable);
    w.Key("imported");
    w.Bool(global.imported);
    w.EndObject();
  }
  w.EndArray();
  w.Key("features");
  w.StartArray();
  for (const std::string& name : info.features.names()) {
    w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  }
  w.EndArray();
  w.Key("functions");
  w.Uint(info.defined_functions);
  w.Key("start");
  w.Bool(info.has_start);
  w.Key("size");
  w.Uint64(info.size_bytes);
  w.EndObject();
}

std::string module_info_to_json(const ModuleInfo& info) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  write_module_info(writer, info);
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<ModuleInfo> module_info_from_json(const rapidjson::Value& json) {
  Reader reader;
  ModuleInfo info = reader.info(json);
  if (!reader.error.empty()) return make_error(ErrorKind::InvalidArgument, "module info: " + reader.error);
  return info;
}

Result<ModuleInfo> module_info_from_json(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) return make_error(ErrorKind::InvalidArgument, "module info: not JSON");
  return module_info_from_json(static_cast<const rapidjson::Value&>(doc));
}

}  // namespace kiln::base
