#include "registry/extension_point.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include "base/json_scan.h"
#include "base/units.h"
#include "base/function_provider_names.h"
#include "registry/chain_schemas.h"

namespace kiln::registry {
namespace {

using rapidjson::Value;

// A definition error: "<source>: <field>: <what>".
struct Refuser {
  std::string source;
  Error operator()(std::string_view field, std::string_view what) const {
    ErrorLocation where;
    where.file = source;
    where.json_pointer = "/" + std::string(field);
    std::replace(where.json_pointer.begin(), where.json_pointer.end(), '.', '/');
    where.has_json_pointer = true;
    return make_error(ErrorKind::InvalidDefinition, source + ": " + std::string(field) + ": " + std::string(what),
                      std::move(where));
  }
};

// WASI preview1 functions that reach files or sockets: the default import
// rules leave them out. Without preopened directories (fd_prestat_*) and
// path_open a guest cannot name a file, and sock_* are the network.
bool is_file_or_socket_call(std::string_view name) {
  return name.starts_with("path_") || name.starts_with("sock_") || name.starts_with("fd_prestat_") ||
         name == "fd_readdir" || name == "fd_renumber";
}

Result<uint64_t> read_count(const Value& value, std::string_view field, const Refuser& refuse) {
  if (value.IsUint64()) return value.GetUint64();
  if (value.IsString()) {
    std::string_view text(value.GetString(), value.GetStringLength());
    if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        text.size() < 20) {
      return std::stoull(std::string(text));
    }
  }
  return refuse(field, "expected a non-negative integer");
}

Result<uint64_t> read_size(const Value& value, std::string_view field, const Refuser& refuse) {
  if (value.IsUint64()) return value.GetUint64();
  if (!value.IsString()) return refuse(field, "expected a size: bytes, or a string like \"64KiB\" or \"16MiB\"");
  auto size = base::parse_size(std::string_view(value.GetString(), value.GetStringLength()));
  if (!size) return refuse(field, size.error().message);
  return *size;
}

Result<std::chrono::nanoseconds> read_duration(const Value& value, std::string_view field, const Refuser& refuse) {
  if (!value.IsString()) return refuse(field, "expected a duration string like \"50ms\" or \"2s\"");
  auto duration = base::parse_duration(std::string_view(value.GetString(), value.GetStringLength()));
  if (!duration) return refuse(field, duration.error().message);
  return *duration;
}

Result<void> read_limits(const Value& value, ExtensionPointLimits& limits, const Refuser& refuse) {
  if (!value.IsObject()) return refuse("limits", "expected an object");
  for (auto member_it = value.MemberBegin(); !(member_it == value.MemberEnd()); ++member_it) {
    const auto& member = *member_it;
    std::string key(member.name.GetString(), member.name.GetStringLength());
    std::string field = "limits." + key;
    const Value& v = member.value;
    Result<void> done;
    auto set_count = [&](uint64_t& out) -> Result<void> {
      auto n = read_count(v, field, refuse);
      if (!n) return n.error();
      out = *n;
      return {};
    };
    auto set_size = [&](uint64_t& out) -> Result<void> {
      auto n = read_size(v, field, refuse);
      if (!n) return n.error();
      out = *n;
      return {};
    };
    if (key == "fuel") done = set_count(limits.fuel);
    else if (key == "fuel_per_kib") done = set_count(limits.fuel_per_kib);
    else if (key == "call_fuel") done = set_count(limits.call_fuel);
    else if (key == "memory") done = set_size(limits.memory);
    else if (key == "max_input") done = set_size(limits.max_input);
    else if (key == "max_output") done = set_size(limits.max_output);
    else if (key == "max_module") done = set_size(limits.max_module);
    else if (key == "max_log") done = set_size(limits.max_log);
    else if (key == "timeout") {
      auto d = read_duration(v, field, refuse);
      if (!d) return d.error();
      limits.timeout = *d;
    } else {
      return refuse(field, "unknown field (known: fuel, fuel_per_kib, call_fuel, memory, timeout, max_input, max_output, "
                           "max_module, max_log)");
    }
    if (!done) return done.error();
  }
  if (limits.fuel == 0) return refuse("limits.fuel", "must be greater than zero");
  if (limits.memory < 65536) return refuse("limits.memory", "must be at least one page (64KiB)");
  if (limits.timeout.count() <= 0) return refuse("limits.timeout", "must be greater than zero");
  if (limits.max_module == 0) return refuse("limits.max_module", "must be greater than zero");
  return {};
}

// One rule: "module.name", "module.*", or {"module": ..., "name": ...}
// (name "*" or absent: the whole module).
Result<ImportRule> read_import(const Value& item, const std::string& field, const Refuser& refuse) {
  if (item.IsObject()) {
    ImportRule rule{"", "*"};
    for (auto member_it = item.MemberBegin(); !(member_it == item.MemberEnd()); ++member_it) {
      std::string key = member_it->name.GetString();
      if (key != "module" && key != "name") return refuse(field + "." + key, "unknown field (known: module, name)");
      if (!member_it->value.IsString() || member_it->value.GetStringLength() == 0) {
        return refuse(field + "." + key, "expected a non-empty string");
      }
      (key == "module" ? rule.module : rule.name) = member_it->value.GetString();
    }
    if (rule.module.empty()) return refuse(field + ".module", "required");
    return rule;
  }
  if (!item.IsString()) return refuse(field, "expected \"module.name\", \"module.*\" or {\"module\": ..., \"name\": ...}");
  std::string_view text(item.GetString(), item.GetStringLength());
  size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size()) {
    return refuse(field, "\"" + std::string(text) + "\" is not \"module.name\" or \"module.*\"");
  }
  return ImportRule{std::string(text.substr(0, dot)), std::string(text.substr(dot + 1))};
}

Result<std::vector<ImportRule>> read_imports(const Value& value, const Refuser& refuse) {
  if (!value.IsArray()) return refuse("imports", "expected an array of \"module.name\" or \"module.*\" strings");
  std::vector<ImportRule> rules;
  for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
    auto rule = read_import(value[i], "imports." + std::to_string(i), refuse);
    if (!rule) return rule.error();
    rules.push_back(std::move(*rule));
  }
  return rules;
}

Result<std::vector<ExportRule>> read_exports(const Value& value, const Refuser& refuse) {
  if (!value.IsArray()) return refuse("exports", "expected an array of export names");
  std::vector<ExportRule> rules;
  for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
    std::string field = "exports." + std::to_string(i);
    const Value& item = value[i];
    if (item.IsString() && item.GetStringLength() > 0) {
      rules.push_back({item.GetString(), ""});
      continue;
    }
    if (!item.IsObject()) return refuse(field, "expected a name, or {\"name\": ..., \"type\": \"(i32) -> (i32)\"}");
    ExportRule rule;
    for (auto member_it = item.MemberBegin(); !(member_it == item.MemberEnd()); ++member_it) {
      const auto& member = *member_it;
      std::string key = member.name.GetString();
      if ((key != "name" && key != "type") || !member.value.IsString()) {
        return refuse(field + "." + key, key == "name" || key == "type" ? "expected a string" : "unknown field");
      }
      (key == "name" ? rule.name : rule.type) = member.value.GetString();
    }
    if (rule.name.empty()) return refuse(field + ".name", "required");
    rules.push_back(std::move(rule));
  }
  return rules;
}

Result<schema::JsonSchema> read_schema(const Value& value, std::string_view field) {
  return schema::JsonSchema::compile(value, field);
}

// What makes a module a kiln-reactor guest beyond its listed exports: a
// memory for the host to write into, no `_start` (a WASI command's main
// would never run), and an `_initialize`, if any, of the type toolchains give it.
Result<void> check_reactor_shape(const ModuleInfo& info, const std::string& prefix, const std::string& ep_name) {
  auto refuse = [&](const std::string& what) {
    return make_error(ErrorKind::Contract, prefix + what + ", but extension point " + ep_name +
                                               " uses the kiln-reactor ABI");
  };
  if (info.memories.empty()) return refuse("has no memory for the host to write the input into");
  if (info.find_export("_start")) {
    return refuse("exports _start (a WASI command; build a reactor: clang -mexec-model=reactor)");
  }
  const ExportDesc* init = info.find_export("_initialize");
  if (init && (init->kind != ExternKind::Func || init->func_type != FuncType{})) {
    return refuse("exports _initialize as " + init->type + ", not a function () -> ()");
  }
  return {};
}

// A kiln-reactor definition's exports: its entry and the allocator, each
// with the ABI's type (added when not listed; refused when listed otherwise).
Result<void> require_reactor_exports(ExtensionPoint& ep, const Refuser& refuse) {
  const std::pair<std::string, std::string_view> required[] = {{ep.entry, kReactorEntryType},
                                                               {std::string(kReactorAllocator), "(i32) -> (i32)"}};
  for (const auto& requirement : required) {
    const std::string& name = requirement.first;
    const std::string_view type = requirement.second;
    auto rule = std::find_if(ep.exports.begin(), ep.exports.end(), [&](const ExportRule& r) { return r.name == name; });
    if (rule == ep.exports.end()) {
      ep.exports.push_back(ExportRule{name, std::string(type)});
    } else if (rule->type.empty()) {
      rule->type = type;
    } else if (rule->type != type) {
      return refuse("exports", name + " must have type " + std::string(type) + " in the kiln-reactor ABI, not " +
                                   rule->type);
    }
  }
  bool lists_start = std::any_of(ep.exports.begin(), ep.exports.end(), [](const ExportRule& r) { return r.name == "_start"; });
  if (lists_start) return refuse("exports", "_start is a WASI command's; a kiln-reactor guest has none");
  return {};
}

std::optional<CombineMode> combine_mode_named(std::string_view name) {
  for (CombineMode mode : {CombineMode::Single, CombineMode::Chain, CombineMode::All}) {
    if (name == to_string(mode)) return mode;
  }
  return std::nullopt;
}

std::optional<Reducer::Op> reducer_op_named(std::string_view name) {
  using Op = Reducer::Op;
  for (Op op : {Op::Concat, Op::Merge, Op::First, Op::Min, Op::Max, Op::Sum}) {
    if (name == to_string(op)) return op;
  }
  return std::nullopt;
}

// {"op": "concat", "pointer": "/discounts"}: `pointer` required by every op
// but first and merge (merge defaults to the root), refused by first.
Result<Reducer> read_reducer(const Value& value, const Refuser& refuse) {
  if (!value.IsObject()) return refuse("reduce", "expected an object like {\"op\": \"concat\", \"pointer\": \"/discounts\"}");
  Reducer reducer;
  bool has_op = false, has_pointer = false;
  for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
    std::string key = it->name.GetString();
    if (key != "op" && key != "pointer") return refuse("reduce." + key, "unknown field (known: op, pointer)");
    if (!it->value.IsString()) return refuse("reduce." + key, "expected a string");
    std::string text = it->value.GetString();
    if (key == "pointer") {
      if (!rapidjson::Pointer(text.c_str(), text.size()).IsValid()) {
        return refuse("reduce.pointer", "\"" + text + "\" is not a JSON Pointer (RFC 6901: \"\" or \"/a/b\")");
      }
      reducer.pointer = text;
      has_pointer = true;
      continue;
    }
    auto op = reducer_op_named(text);
    if (!op) return refuse("reduce.op", "unknown reducer \"" + text + "\" (known: concat, merge, first, min, max, sum)");
    reducer.op = *op;
    has_op = true;
  }
  if (!has_op) return refuse("reduce.op", "required");
  const bool wants_pointer = reducer.op != Reducer::Op::First && reducer.op != Reducer::Op::Merge;
  if (wants_pointer && !has_pointer) {
    return refuse("reduce.pointer", std::string("required by ") + to_string(reducer.op) + ": where its value is in each output");
  }
  if (reducer.op == Reducer::Op::First && has_pointer) return refuse("reduce.pointer", "first takes no pointer");
  return reducer;
}

// What `combine` asks of the rest of the definition.
Result<void> check_combine(ExtensionPoint& ep, const rapidjson::Document& doc, const Refuser& refuse) {
  auto mode = combine_mode_named(ep.combine);
  if (!mode) return refuse("combine", "unknown mode \"" + ep.combine + "\" (known: single, chain, all)");
  ep.combine_mode = *mode;
  if (ep.combine_mode == CombineMode::All && !ep.reduce) {
    return refuse("reduce", "required by combine \"all\": how the outputs are joined");
  }
  if (ep.combine_mode != CombineMode::All && ep.reduce) return refuse("reduce", "only combine \"all\" reduces");
  if (ep.combine_mode != CombineMode::Chain) return {};
  if (ep.output_schema->declares_property("config")) {
    return refuse("output_schema", "declares a top-level \"config\" property, but in a chain each output is the next "
                                   "extension's input, where \"config\" is the extension's config");
  }
  if (ep.limits.max_output > ep.limits.max_input) {
    return refuse("limits.max_output", "is over limits.max_input (" + std::to_string(ep.limits.max_input) +
                                           "), but in a chain each output is the next extension's input");
  }
  ChainMismatch mismatch = check_chain_schemas(doc["output_schema"], doc["input_schema"]);
  if (mismatch.field.empty()) return {};
  return refuse(mismatch.field, mismatch.what + " (combine \"chain\" passes each output on as the next input)");
}

}  // namespace

const char* to_string(CombineMode mode) {
  switch (mode) {
    case CombineMode::Single: return "single";
    case CombineMode::Chain: return "chain";
    case CombineMode::All: return "all";
  }
  return "unknown";
}

const char* to_string(Reducer::Op op) {
  switch (op) {
    case Reducer::Op::Concat: return "concat";
    case Reducer::Op::Merge: return "merge";
    case Reducer::Op::First: return "first";
    case Reducer::Op::Min: return "min";
    case Reducer::Op::Max: return "max";
    case Reducer::Op::Sum: return "sum";
  }
  return "unknown";
}

uint64_t ExtensionPointLimits::call_fuel_for_input(uint64_t input_bytes) const {
  ExtensionPointLimits whole = *this;
  whole.fuel = call_fuel != 0 ? call_fuel : fuel;
  return whole.fuel_for_input(input_bytes);
}

uint64_t ExtensionPointLimits::fuel_for_input(uint64_t input_bytes) const {
  // Rounded up without adding first: input_bytes + 1023 would wrap near UINT64_MAX.
  uint64_t kib = input_bytes / 1024 + (input_bytes % 1024 != 0 ? 1 : 0);
  if (fuel_per_kib != 0 && kib > (UINT64_MAX - fuel) / fuel_per_kib) return UINT64_MAX;
  return fuel + fuel_per_kib * kib;
}

bool ImportRule::allows(std::string_view import_module, std::string_view import_name) const {
  return module == import_module && (name == "*" || name == import_name);
}

bool ExtensionPoint::allows_import(std::string_view module, std::string_view name) const {
  // kiln-reactor adds the kiln ABI to the WASI default: C guests import
  // fd_write and friends through libc's formatting even when they never print.
  if (imports_default && is_reactor() && module == kKilnImportModule) {
    return std::find(std::begin(kKilnImports), std::end(kKilnImports), name) != std::end(kKilnImports);
  }
  // A wasi-command guest may link one of Shopify's providers: the deploy
  // resolves it and stores it beside the module (docs/shopify-functions.md).
  if (imports_default && !is_reactor() && base::is_function_provider(module)) return true;
  if (imports_default) return module == "wasi_snapshot_preview1" && !is_file_or_socket_call(name);
  return std::any_of(imports.begin(), imports.end(), [&](const ImportRule& rule) { return rule.allows(module, name); });
}

Result<void> ExtensionPoint::check_module(const ModuleInfo& info, std::string_view module_name) const {
  std::string prefix = std::string(module_name) + ": ";
  // Every forbidden import at once: a partner fixes them in one go.
  std::string forbidden;
  for (const ImportDesc& import : info.imports) {
    if (allows_import(import.module, import.name)) continue;
    forbidden += (forbidden.empty() ? "" : ", ") + import.module + "." + import.name;
  }
  if (!forbidden.empty()) {
    std::string why = !imports_default ? " (not in the extension point's imports)"
                      : is_reactor()   ? " (the kiln-reactor default allows kiln.log and WASI preview1 without "
                                         "files or sockets)"
                                       : " (the default allows WASI preview1 without files or sockets, and "
                                         "Shopify's provider modules)";
    return make_error(ErrorKind::Contract, prefix + "imports " + forbidden + ", which extension point " + name +
                                               " does not allow" + why);
  }
  if (is_reactor()) {
    if (auto shape = check_reactor_shape(info, prefix, name); !shape) return shape.error();
  }
  // Two providers, or a memory-I/O provider with WASI, are refused as
  // function-runner refuses them.
  if (auto provider = base::function_provider(info); !provider) {
    return make_error(ErrorKind::Contract, prefix + provider.error().message);
  }
  for (const ExportRule& rule : exports) {
    const ExportDesc* found = info.find_export(rule.name);
    if (!found) {
      return make_error(ErrorKind::Contract, prefix + "does not export " + rule.name + ", which extension point " +
                                                 name + " requires");
    }
    if (found->kind != ExternKind::Func) {
      return make_error(ErrorKind::Contract, prefix + "exports " + rule.name + " as a " + found->type +
                                                 ", but extension point " + name + " requires a function");
    }
    std::string want = rule.type;
    std::string have = to_string(found->func_type);
    if (!want.empty() && have != want) {
      return make_error(ErrorKind::Contract, prefix + "exports " + rule.name + " with type " + have +
                                                 ", but extension point " + name + " requires " + want);
    }
  }
  return {};
}

bool is_valid_extension_point_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.' || name.back() == '.') return false;
  char previous = 0;
  for (char c : name) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!word && c != '.') return false;
    if (c == '.' && previous == '.') return false;
    previous = c;
  }
  return true;
}

Result<ExtensionPoint> parse_extension_point(std::string_view json_text, std::string_view source) {
  Refuser refuse{std::string(source)};
  if (auto scan = base::scan_json(json_text, ErrorKind::InvalidDefinition, source); !scan) {
    Error error = scan.error();
    error.where.file = std::string(source);
    return error;
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json_text.data(), json_text.size());  // valid: scanned above
  if (!doc.IsObject()) return refuse("(root)", "expected a JSON object");

  ExtensionPoint ep;
  ep.definition.assign(json_text);
  bool has_entry = false;
  for (auto member_it = doc.MemberBegin(); !(member_it == doc.MemberEnd()); ++member_it) {
    const auto& member = *member_it;
    std::string key(member.name.GetString(), member.name.GetStringLength());
    const Value& v = member.value;
    if (key == "name") {
      if (!v.IsString()) return refuse(key, "expected a string");
      ep.name = v.GetString();
    } else if (key == "description") {
      if (!v.IsString()) return refuse(key, "expected a string");
      ep.description = v.GetString();
    } else if (key == "abi") {
      if (!v.IsString()) return refuse(key, "expected a string");
      ep.abi = v.GetString();
    } else if (key == "entry") {
      if (!v.IsString() || v.GetStringLength() == 0) return refuse(key, "expected an export name");
      ep.entry = v.GetString();
      has_entry = true;
    } else if (key == "format") {
      auto format = v.IsString() ? base::data_format_named(v.GetString()) : std::nullopt;
      if (!format) return refuse(key, "expected \"json\" or \"msgpack\": what the guest reads and writes");
      ep.format = *format;
    } else if (key == "combine") {
      if (!v.IsString()) return refuse(key, "expected a string");
      ep.combine = v.GetString();
    } else if (key == "reduce") {
      auto reducer = read_reducer(v, refuse);
      if (!reducer) return reducer.error();
      ep.reduce = std::move(*reducer);
    } else if (key == "fail_closed") {
      if (!v.IsBool()) return refuse(key, "expected true or false");
      ep.fail_closed = v.GetBool();
    } else if (key == "validate_input") {
      if (v.IsBool()) ep.validate_input = v.GetBool() ? 1.0 : 0.0;
      else if (v.IsNumber()) ep.validate_input = v.GetDouble();
      else return refuse(key, "expected a number from 0 to 1");
      if (!(ep.validate_input >= 0.0 && ep.validate_input <= 1.0)) return refuse(key, "expected a number from 0 to 1");
    } else if (key == "input_schema" || key == "output_schema" || key == "config_schema") {
      auto compiled = read_schema(v, key);
      if (!compiled) return compiled.error();
      (key == "input_schema" ? ep.input_schema : key == "output_schema" ? ep.output_schema : ep.config_schema) =
          std::move(*compiled);
    } else if (key == "imports") {
      auto rules = read_imports(v, refuse);
      if (!rules) return rules.error();
      ep.imports = std::move(*rules);
      ep.imports_default = false;
    } else if (key == "exports") {
      auto rules = read_exports(v, refuse);
      if (!rules) return rules.error();
      ep.exports = std::move(*rules);
    } else if (key == "limits") {
      if (auto read = read_limits(v, ep.limits, refuse); !read) return read.error();
    } else {
      return refuse(key, "unknown field (known: name, description, abi, entry, format, input_schema, output_schema, config_schema, "
                         "imports, exports, validate_input, combine, reduce, fail_closed, limits)");
    }
  }
  if (ep.name.empty()) return refuse("name", "required");
  if (!is_valid_extension_point_name(ep.name)) {
    return refuse("name", "\"" + ep.name + "\" is not a dotted name like checkout.discounts (letters, digits, _ and -)");
  }
  if (ep.abi != kAbiWasiCommand && ep.abi != kAbiKilnReactor) {
    return refuse("abi", "unknown ABI \"" + ep.abi + "\" (known: wasi-command, kiln-reactor)");
  }
  if (!ep.input_schema) return refuse("input_schema", "required");
  if (!ep.output_schema) return refuse("output_schema", "required");
  if (auto combine = check_combine(ep, doc, refuse); !combine) return combine.error();
  // The wasi-command ABI puts the extension's config into the input as
  // its top-level "config" member: the input cannot have one of its own.
  if (ep.input_schema->declares_property("config")) {
    return refuse("input_schema", "declares a top-level \"config\" property, which the " + ep.abi +
                                      " ABI reserves for the extension's config");
  }
  if (ep.is_reactor()) {
    if (!has_entry) ep.entry = "run";
    if (auto exports = require_reactor_exports(ep, refuse); !exports) return exports.error();
    return ep;
  }
  // A wasi-command extension is run through its entry, `_start` unless the
  // definition names another export (a Shopify function's target, such as
  // `run`), listed or not; it takes and returns nothing, as `_start` does.
  auto entry = std::find_if(ep.exports.begin(), ep.exports.end(), [&](const ExportRule& r) { return r.name == ep.entry; });
  if (entry == ep.exports.end()) {
    ep.exports.insert(ep.exports.begin(), ExportRule{ep.entry, std::string(kCommandEntryType)});
  } else if (entry->type.empty()) {
    entry->type = kCommandEntryType;
  } else if (entry->type != kCommandEntryType) {
    return refuse("exports", ep.entry + " is the entry of a wasi-command extension and must have type " +
                                 std::string(kCommandEntryType) + ", not " + entry->type);
  }
  return ep;
}

}  // namespace kiln::registry
