// ExtensionPoint: a place in a host's workflow where partners' extensions
// run, and the contract they must keep: the ABI, the JSON Schemas of input,
// output and config, the imports a guest may use and the exports it must
// have, and the limits every run is held to. Defined by a JSON file
// (docs/extension-points.md); immutable once parsed, versioned by the
// registry.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/data_format.h"
#include "kiln/module_info.h"
#include "kiln/result.h"
#include "schema/json_schema.h"

namespace kiln::registry {

struct ExtensionPointLimits {
  uint64_t fuel = 11'000'000;          // per run, before the input's share
  uint64_t fuel_per_kib = 0;           // added per KiB of input (rounded up)
  uint64_t memory = uint64_t{10} << 20;  // cap on linear memory, bytes
  std::chrono::nanoseconds timeout = std::chrono::milliseconds(100);
  uint64_t max_input = 64'000;         // bytes of input as the host gives it (config excluded)
  uint64_t max_output = 64'000;        // bytes the guest writes to stdout
  uint64_t max_module = 256 * 1024;    // bytes of the module as uploaded
  uint64_t max_log = 1'000;            // bytes of stderr kept; the rest is cut
  // Fuel for a whole call of several extensions (combine chain or all),
  // before the input's share; 0: the same as `fuel`. Each extension is
  // also held to its own `fuel_for_input` of its own input.
  uint64_t call_fuel = 0;

  // fuel + fuel_per_kib × ceil(input_bytes / 1024), saturating.
  uint64_t fuel_for_input(uint64_t input_bytes) const;
  // (call_fuel or fuel) + fuel_per_kib × ceil(input_bytes / 1024): what a
  // whole call may spend, the call's input deciding the share.
  uint64_t call_fuel_for_input(uint64_t input_bytes) const;
};

// How the extensions bound for a scope run (docs/extension-points.md,
// "Several extensions at one point").
enum class CombineMode { Single, Chain, All };
const char* to_string(CombineMode mode);

// How `combine: all` joins the outputs of the extensions that succeeded,
// taken in priority order (execute/reducer.h has the exact semantics).
struct Reducer {
  enum class Op { Concat, Merge, First, Min, Max, Sum };
  Op op = Op::First;
  std::string pointer;  // RFC 6901 JSON Pointer into each output; "" is the root
};
const char* to_string(Reducer::Op op);

// One import a guest may use: "module.name", or "module.*" for all of a module.
struct ImportRule {
  std::string module;
  std::string name;  // "*" for any
  bool allows(std::string_view import_module, std::string_view import_name) const;
};

// One export a guest must have: a function, of `type` when given
// (printed as kiln prints function types: "(i32) -> (i32)").
struct ExportRule {
  std::string name;
  std::string type;  // empty: any function type
};

// The ABIs an extension point may name (docs/abi.md).
inline constexpr std::string_view kAbiWasiCommand = "wasi-command";
inline constexpr std::string_view kAbiKilnReactor = "kiln-reactor";
// The kiln-reactor ABI's fixed parts: the import module the host defines
// (host/kiln_abi.h) and the allocator the host writes the input with.
inline constexpr std::string_view kKilnImportModule = "kiln";
inline constexpr std::string_view kReactorAllocator = "kiln_alloc";
inline constexpr std::string_view kReactorEntryType = "(i32, i32) -> (i64)";
// What a kiln-reactor guest may import from "kiln" by default.
inline constexpr std::string_view kKilnImports[] = {"log"};

// A wasi-command extension's entry, `_start` or another export named by
// the definition, takes and returns nothing.
inline constexpr std::string_view kCommandEntryType = "() -> ()";

struct ExtensionPoint {
  std::string name;         // dotted, e.g. "checkout.discounts"
  std::string description;
  std::string abi{kAbiWasiCommand};
  // The export a call runs: the definition's "entry", by default "_start"
  // for wasi-command (of type kCommandEntryType) and "run" for kiln-reactor.
  std::string entry = "_start";
  // What the guest reads and writes: its input (config included) and its
  // output, in JSON or MessagePack (docs/abi.md, "Formats").
  base::DataFormat format = base::DataFormat::Json;
  std::string combine = "single";  // as given; combine_mode is what it means
  CombineMode combine_mode = CombineMode::Single;
  std::optional<Reducer> reduce;  // set exactly when combine_mode is All
  // A failing extension fails the whole call (chain and all) instead of
  // being skipped.
  bool fail_closed = false;
  double validate_input = 1.0;  // fraction of runs whose input is schema-checked
  std::vector<ImportRule> imports;
  bool imports_default = true;  // no `imports` field: WASI preview1 without files or sockets
  std::vector<ExportRule> exports;
  ExtensionPointLimits limits;
  // Always set once parsed (optional only because a schema has no empty state).
  std::optional<schema::JsonSchema> input_schema;
  std::optional<schema::JsonSchema> output_schema;
  std::optional<schema::JsonSchema> config_schema;
  std::string definition;   // the JSON as given (what the registry stores)
  int64_t version = 0;      // set by the registry

  // The module's imports and exports against this contract: the first
  // forbidden import, missing export or mistyped export, named.
  Result<void> check_module(const ModuleInfo& info, std::string_view module_name) const;
  bool allows_import(std::string_view module, std::string_view name) const;
  bool is_reactor() const { return abi == kAbiKilnReactor; }
};

// Parses and checks a definition. Unknown fields, wrong types, bad or
// remote-referencing schemas are refused with ErrorKind::InvalidDefinition
// and a message naming the field ("limits.memory: ..."); `source` (a file
// name) starts the message.
Result<ExtensionPoint> parse_extension_point(std::string_view json_text, std::string_view source);

// True for names like "checkout.discounts": segments of letters, digits,
// '_' and '-', separated by single dots.
bool is_valid_extension_point_name(std::string_view name);

}  // namespace kiln::registry
