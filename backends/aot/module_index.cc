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
#include "backends/aot/c_translator.h"
#include "base/fuel_abi.h"
#include "base/files.h"
#include "base/module_info_json.h"

namespace kiln::backends::aot {

namespace fs = std::filesystem;

namespace {

// Bumped when the entry's shape changes: an entry of another version is a
// miss (the module is compiled again), never misread.
constexpr int kIndexVersion = 2;  // 2: ModuleInfo in base/module_info_json.h's shape

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using Json = rapidjson::Value;

void write_string(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

// Reads the entry's own members; the first problem found is kept in `error`.
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
  base::write_module_info(w, entry.info);
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
  } else if (auto info = base::module_info_from_json(doc["info"]); !info) {
    r.fail(info.error().message);
  } else {
    entry.info = std::move(*info);
  }
  if (entry.artifact_key.empty() == entry.interp_only_reason.empty()) {
    r.fail("needs exactly one of \"artifact_key\" and \"interp_only_reason\"");
  }
  if (!r.error.empty()) return make_error(ErrorKind::Internal, "module index entry: " + r.error);
  return entry;
}

// An entry names the artifact of the module as instrumented and translated:
// one folder per metering scheme and translator version, so a kiln that
// meters or translates differently never runs another's artifact (which
// would still be in the cache, under its old key).
ModuleIndex::ModuleIndex(const std::string& cache_dir)
    : dir_(cache_dir + "/modules-m" + std::to_string(fuel_abi::kMeteringVersion) + "-t" +
           std::to_string(kTranslatorVersion)) {}

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
