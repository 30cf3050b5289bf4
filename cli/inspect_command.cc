// kiln inspect [--json] module.wasm: what a module imports, exports and
// declares, and the WebAssembly features it uses.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "kiln/module_info.h"
#include "wasm/decoder.h"

namespace kiln::cli {
namespace {

struct InspectOptions {
  std::string path;
  bool json = false;
};

// stdio rather than iostreams: reading a directory must fail, not throw.
std::optional<std::vector<uint8_t>> read_module_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) return std::nullopt;
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) bytes.insert(bytes.end(), chunk, chunk + got);
  if (std::ferror(file.get())) return std::nullopt;
  return bytes;
}

std::string limits_text(const Limits64& limits) {
  std::string text = std::to_string(limits.min) + "..";
  if (limits.max) text += std::to_string(*limits.max);
  return text;
}

// ---- text ------------------------------------------------------------------

using Row = std::vector<std::string>;

// Wasm names are any UTF-8; control characters are escaped so that every
// item stays on its own line.
std::string printable(const std::string& name) {
  std::string text;
  for (unsigned char c : name) {
    if (c >= 0x20 && c != 0x7f && c != '\\') {
      text += static_cast<char>(c);
      continue;
    }
    char escaped[8];
    std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
    text += escaped;
  }
  return text;
}

// Prints a section title and its rows with every column padded to its
// widest cell, so that the section reads as a table.
void print_section(const std::string& title, const std::vector<Row>& rows) {
  std::printf("%s (%zu):\n", title.c_str(), rows.size());
  std::vector<size_t> widths;
  for (const Row& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const Row& row : rows) {
    std::string line = " ";
    for (size_t i = 0; i < row.size(); ++i) {
      line += " " + row[i];
      line.append(widths[i] - row[i].size(), ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    std::printf("%s\n", line.c_str());
  }
}

// The printable types of memories, tables and globals start with their kind
// ("memory 1..2"), which the kind column already shows.
std::string type_detail(ExternKind kind, const std::string& type) {
  std::string prefix = std::string(to_string(kind)) + " ";
  return type.starts_with(prefix) ? type.substr(prefix.size()) : type;
}

std::string flags_text(std::initializer_list<std::pair<bool, const char*>> flags) {
  std::string text;
  for (const auto& [set, name] : flags) {
    if (!set) continue;
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

void print_text(const std::string& path, const ModuleInfo& info) {
  std::printf("%s: %llu bytes, %u defined functions%s\n", path.c_str(),
              static_cast<unsigned long long>(info.size_bytes), info.defined_functions,
              info.has_start ? ", a start function" : "");
  std::vector<Row> rows;
  for (const ImportDesc& import : info.imports) {
    rows.push_back({printable(import.module + "." + import.name), to_string(import.kind),
                    type_detail(import.kind, import.type)});
  }
  print_section("imports", rows);
  rows.clear();
  for (const ExportDesc& export_ : info.exports) {
    rows.push_back({printable(export_.name), to_string(export_.kind), std::to_string(export_.index),
                    type_detail(export_.kind, export_.type)});
  }
  print_section("exports", rows);
  rows.clear();
  for (size_t i = 0; i < info.memories.size(); ++i) {
    const MemoryDesc& memory = info.memories[i];
    rows.push_back({std::to_string(i), limits_text(memory.pages) + " pages",
                    flags_text({{memory.is64, "64-bit"}, {memory.shared, "shared"}, {memory.imported, "imported"}})});
  }
  print_section("memories", rows);
  rows.clear();
  for (size_t i = 0; i < info.tables.size(); ++i) {
    const TableDesc& table = info.tables[i];
    rows.push_back({std::to_string(i), to_string(table.element), limits_text(table.size),
                    flags_text({{table.imported, "imported"}})});
  }
  print_section("tables", rows);
  rows.clear();
  for (size_t i = 0; i < info.globals.size(); ++i) {
    const GlobalDesc& global = info.globals[i];
    rows.push_back({std::to_string(i), to_string(global.type),
                    flags_text({{global.is_mutable, "mutable"}, {global.imported, "imported"}})});
  }
  print_section("globals", rows);
  std::string features;
  for (const std::string& name : info.features.names()) features += (features.empty() ? "" : ", ") + name;
  std::printf("features: %s\n", features.empty() ? "(none beyond WebAssembly 1.0)" : features.c_str());
}

// ---- JSON ------------------------------------------------------------------

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(JsonWriter& json, const char* key, const std::string& value) {
  json.Key(key);
  json.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_limits(JsonWriter& json, const Limits64& limits) {
  json.Key("min");
  json.Uint64(limits.min);
  json.Key("max");
  if (limits.max) {
    json.Uint64(*limits.max);
  } else {
    json.Null();
  }
}

void write_imports(JsonWriter& json, const ModuleInfo& info) {
  json.Key("imports");
  json.StartArray();
  for (const ImportDesc& import : info.imports) {
    json.StartObject();
    write_string(json, "module", import.module);
    write_string(json, "name", import.name);
    write_string(json, "kind", to_string(import.kind));
    write_string(json, "type", import.type);
    json.EndObject();
  }
  json.EndArray();
}

void write_exports(JsonWriter& json, const ModuleInfo& info) {
  json.Key("exports");
  json.StartArray();
  for (const ExportDesc& export_ : info.exports) {
    json.StartObject();
    write_string(json, "name", export_.name);
    write_string(json, "kind", to_string(export_.kind));
    json.Key("index");
    json.Uint(export_.index);
    write_string(json, "type", export_.type);
    json.EndObject();
  }
  json.EndArray();
}

void write_memories(JsonWriter& json, const ModuleInfo& info) {
  json.Key("memories");
  json.StartArray();
  for (const MemoryDesc& memory : info.memories) {
    json.StartObject();
    write_limits(json, memory.pages);
    json.Key("shared");
    json.Bool(memory.shared);
    json.Key("memory64");
    json.Bool(memory.is64);
    json.Key("imported");
    json.Bool(memory.imported);
    json.EndObject();
  }
  json.EndArray();
}

void write_tables(JsonWriter& json, const ModuleInfo& info) {
  json.Key("tables");
  json.StartArray();
  for (const TableDesc& table : info.tables) {
    json.StartObject();
    write_string(json, "element", to_string(table.element));
    write_limits(json, table.size);
    json.Key("imported");
    json.Bool(table.imported);
    json.EndObject();
  }
  json.EndArray();
}

void write_globals(JsonWriter& json, const ModuleInfo& info) {
  json.Key("globals");
  json.StartArray();
  for (const GlobalDesc& global : info.globals) {
    json.StartObject();
    write_string(json, "type", to_string(global.type));
    json.Key("mutable");
    json.Bool(global.is_mutable);
    json.Key("imported");
    json.Bool(global.imported);
    json.EndObject();
  }
  json.EndArray();
}

void print_json(const ModuleInfo& info) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  write_imports(json, info);
  write_exports(json, info);
  write_memories(json, info);
  write_tables(json, info);
  write_globals(json, info);
  json.Key("features");
  json.StartArray();
  for (const std::string& name : info.features.names()) json.String(name.c_str());
  json.EndArray();
  json.Key("functions");
  json.Uint(info.defined_functions);
  json.Key("start");
  json.Bool(info.has_start);
  json.Key("size");
  json.Uint64(info.size_bytes);
  json.EndObject();
  std::printf("%s\n", buffer.GetString());
}

int run_inspect(const InspectOptions& options) {
  std::optional<std::vector<uint8_t>> bytes = read_module_file(options.path);
  if (!bytes) {
    std::fprintf(stderr, "kiln: %s: cannot read the file\n", options.path.c_str());
    return kExitUnreadable;
  }
  Result<wasm::DecodedModule> decoded = wasm::decode(*bytes, options.path);
  if (!decoded) {
    std::fprintf(stderr, "kiln: %s\n", decoded.error().message.c_str());
    return exit_code_for(decoded.error().kind);
  }
  if (options.json) {
    print_json(decoded->info);
  } else {
    print_text(options.path, decoded->info);
  }
  return kExitOk;
}

}  // namespace

void add_inspect_command(CLI::App& app, int& exit_code) {
  CLI::App* command =
      app.add_subcommand("inspect", "List a module's imports, exports, memories, tables, globals and features");
  auto options = std::make_shared<InspectOptions>();
  command->add_flag("--json", options->json, "Print one JSON object instead of text");
  command->add_option("module", options->path, "The WebAssembly module (.wasm)")->required();
  command->callback([options, &exit_code] { exit_code = run_inspect(*options); });
}

}  // namespace kiln::cli
