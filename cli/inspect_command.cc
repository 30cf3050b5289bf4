// kiln inspect [--json] module.wasm: what a module imports, exports and
// declares, and the WebAssembly features it uses.

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/files.h"
#include "base/module_info_json.h"
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

// The one ModuleInfo codec (base/module_info_json.h): what the module index
// and the registry store is what `kiln inspect --json` prints.
void print_json(const ModuleInfo& info) { std::printf("%s\n", base::module_info_to_json(info).c_str()); }

int run_inspect(const InspectOptions& options) {
  std::optional<std::vector<uint8_t>> bytes = base::read_file_bytes(options.path);
  if (!bytes) {
    std::fprintf(stderr, "kiln: %s: cannot read the file\n", options.path.c_str());
    return kExitUnreadable;
  }
  // Every feature kiln knows, so that inspect describes what a module
  // needs even where an engine would refuse it by default.
  wasm::DecodeOptions decode_options;
  decode_options.multi_memory = true;
  Result<wasm::DecodedModule> decoded = wasm::decode(*bytes, options.path, decode_options);
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
