#include "backends/aot/c_translator.h"

#include <algorithm>
#include <cstdio>

#include "backends/aot/artifact_glue.h"
#include "backends/aot/fuel_passing.h"
#include "wasm/value_types.h"
#include "wabt/apply-names.h"
#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/c-writer.h"
#include "wabt/cast.h"
#include "wabt/generate-names.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/validator.h"
#include "wasm/decoder.h"
#include "wasm/feature_detector.h"
#include "wasm/fuel_instrumenter.h"

namespace kiln::backends::aot {

namespace {


Limits limits_of(const wabt::Limits& limits) {
  Limits out{limits.initial, std::nullopt};
  if (limits.has_max) out.max = limits.max;
  return out;
}

// Values that cross the boundary travel in 64-bit slots, funcref values as
// pointers to their three words (artifact_abi.h); v128 has no C type here.
bool slot_type(ValType type) { return type != ValType::V128; }

Result<FuncType> func_type_of(const wabt::FuncSignature& sig, const std::string& what) {
  FuncType out;
  for (wabt::Type t : sig.param_types) {
    auto v = wasm::to_val_type(t);
    if (!v || !slot_type(*v)) return make_error(ErrorKind::Unsupported, what + " takes a " + t.GetName() + " parameter");
    out.params.push_back(*v);
  }
  for (wabt::Type t : sig.result_types) {
    auto v = wasm::to_val_type(t);
    if (!v || !slot_type(*v)) return make_error(ErrorKind::Unsupported, what + " returns a " + t.GetName());
    out.results.push_back(*v);
  }
  return out;
}

Result<ItemType> global_type_of(const wabt::Global& global, const std::string& what) {
  auto v = wasm::to_val_type(global.type);
  if (!v || !slot_type(*v)) return make_error(ErrorKind::Unsupported, what + " is a " + global.type.GetName() + " global");
  ItemType type;
  type.kind = ExternKind::Global;
  type.value = *v;
  type.is_mutable = global.mutable_;
  return type;
}

Result<ItemType> table_type_of(const wabt::Table& table) {
  ItemType type;
  type.kind = ExternKind::Table;
  type.value = wasm::to_val_type(table.elem_type).value_or(ValType::FuncRef);
  type.limits = limits_of(table.elem_limits);
  return type;
}

ItemType memory_type_of(const wabt::Memory& memory) {
  ItemType type;
  type.kind = ExternKind::Memory;
  type.limits = limits_of(memory.page_limits);
  return type;
}

Result<ArtifactInfo> describe(const wabt::Module& module) {
  ArtifactInfo info;
  for (const wabt::Import* import : module.imports) {
    ImportInfo out{import->module_name, import->field_name, {}};
    std::string what = "import " + import->module_name + "." + import->field_name;
    switch (import->kind()) {
      case wabt::ExternalKind::Func: {
        auto type = func_type_of(wabt::cast<wabt::FuncImport>(import)->func.decl.sig, what);
        if (!type) return type.error();
        out.type.func = std::move(*type);
        break;
      }
      case wabt::ExternalKind::Table: {
        auto type = table_type_of(wabt::cast<wabt::TableImport>(import)->table);
        if (!type) return type.error();
        out.type = *type;
        break;
      }
      case wabt::ExternalKind::Memory:
        out.type = memory_type_of(wabt::cast<wabt::MemoryImport>(import)->memory);
        break;
      case wabt::ExternalKind::Global: {
        auto type = global_type_of(wabt::cast<wabt::GlobalImport>(import)->global, what);
        if (!type) return type.error();
        out.type = *type;
        break;
      }
      default: return make_error(ErrorKind::Unsupported, what + ": tags are not supported");
    }
    info.imports.push_back(std::move(out));
  }
  for (const wabt::Export* item : module.exports) {
    ExportInfo out{item->name, {}};
    std::string what = "export " + item->name;
    switch (item->kind) {
      case wabt::ExternalKind::Func: {
        const wabt::Func* func = module.GetFunc(item->var);
        auto type = func_type_of(func->decl.sig, what);
        if (!type) return type.error();
        out.type.func = std::move(*type);
        break;
      }
      case wabt::ExternalKind::Table: {
        auto type = table_type_of(*module.GetTable(item->var));
        if (!type) return type.error();
        out.type = *type;
        break;
      }
      case wabt::ExternalKind::Memory:
        out.type = memory_type_of(*module.GetMemory(item->var));
        break;
      case wabt::ExternalKind::Global: {
        auto type = global_type_of(*module.GetGlobal(item->var), what);
        if (!type) return type.error();
        out.type = *type;
        break;
      }
      default: return make_error(ErrorKind::Unsupported, what + ": tags are not supported");
    }
    info.exports.push_back(std::move(out));
  }
  if (module.num_memory_imports == 0 && !module.memories.empty()) {
    info.memory = limits_of(module.memories[0]->page_limits);
  }
  return info;
}

void note_local_uses(const wabt::ExprList& exprs, std::vector<bool>& used) {
  auto mark = [&](const wabt::Var& var) {
    if (var.is_index() && var.index() < used.size()) used[var.index()] = true;
  };
  for (const wabt::Expr& expr : exprs) {
    switch (expr.type()) {
      case wabt::ExprType::LocalGet: mark(wabt::cast<wabt::LocalGetExpr>(&expr)->var); break;
      case wabt::ExprType::LocalSet: mark(wabt::cast<wabt::LocalSetExpr>(&expr)->var); break;
      case wabt::ExprType::LocalTee: mark(wabt::cast<wabt::LocalTeeExpr>(&expr)->var); break;
      case wabt::ExprType::Block: note_local_uses(wabt::cast<wabt::BlockExpr>(&expr)->block.exprs, used); break;
      case wabt::ExprType::Loop: note_local_uses(wabt::cast<wabt::LoopExpr>(&expr)->block.exprs, used); break;
      case wabt::ExprType::If: {
        const auto* branch = wabt::cast<wabt::IfExpr>(&expr);
        note_local_uses(branch->true_.exprs, used);
        note_local_uses(branch->false_, used);
        break;
      }
      case wabt::ExprType::Try: {
        const auto* block = wabt::cast<wabt::TryExpr>(&expr);
        note_local_uses(block->block.exprs, used);
        for (const wabt::Catch& handler : block->catches) note_local_uses(handler.exprs, used);
        break;
      }
      default: break;
    }
  }
}

// A v128 local that no instruction touches is dead weight the C writer
// never declares, yet it makes the module "use SIMD" and stay on the
// interpreter. Retyped as i64 (still never touched), it is no SIMD at all.
void retype_unused_v128_locals(wabt::Module& module) {
  for (wabt::Func* func : module.funcs) {
    const wabt::Index params = func->GetNumParams();
    wabt::TypeVector locals;
    for (wabt::Type type : func->local_types) locals.push_back(type);
    if (std::find(locals.begin(), locals.end(), wabt::Type(wabt::Type::V128)) == locals.end()) continue;
    std::vector<bool> used(params + locals.size(), false);
    note_local_uses(func->exprs, used);
    for (size_t i = 0; i < locals.size(); ++i) {
      if (locals[i] == wabt::Type::V128 && !used[params + i]) locals[i] = wabt::Type::I64;
    }
    func->local_types.Set(locals);
  }
}

std::optional<std::string> unsupported(const FeatureSet& features) {
  if (features.simd) return "SIMD";
  if (features.threads) return "threads";
  if (features.tail_call) return "tail calls";
  if (features.memory64) return "memory64";
  if (features.multi_memory) return "several memories";
  return std::nullopt;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// ---- memory base ---------------------------------------------------------------

// wasm2c's loads and stores read the memory's base pointer from the instance
// on every access: `i32_load(&instance->w2c_m, addr)` loads `m.data`, and
// since a guest store may alias anything, the C compiler reloads it after
// every store. But kiln's memories never move: each lives in a region
// reserved once (rt/memory_pool.h), grown in place. So each function copies
// the memory's descriptor into a local at entry and its loads and stores go
// through the copy: the base stays in a register. Only with guard pages: with
// explicit bounds checks every access also reads the size, which
// memory.grow (here or in a callee) changes. memory.size, memory.grow and
// the bulk operations keep using the instance's descriptor.
constexpr std::string_view kMemoryLocalPrelude =
    "#if WASM_RT_MEMCHECK_SIGNAL_HANDLER\n"
    "#define KILN_MEM_LOCAL(m) wasm_rt_memory_t kiln_mem = *(m); (void)kiln_mem\n"
    "#define KILN_MEM(m) (&kiln_mem)\n"
    "#else\n"
    "#define KILN_MEM_LOCAL(m) (void)0\n"
    "#define KILN_MEM(m) (m)\n"
    "#endif\n";

bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// `name(` at `at`, `name` being a load or store helper: i32_load,
// i64_store16, f64_load, ...
bool is_access_helper(std::string_view text) {
  static constexpr std::string_view kTypes[] = {"i32_", "i64_", "f32_", "f64_"};
  bool typed = false;
  for (std::string_view type : kTypes) typed |= text.starts_with(type);
  if (!typed) return false;
  std::string_view op = text.substr(4);
  if (!op.starts_with("load") && !op.starts_with("store")) return false;
  for (char c : op) {
    if (!is_identifier_char(c)) return false;
  }
  return true;
}

// Routes every load and store of the memory `memory` (its C expression,
// e.g. `&instance->w2c_memory` or `instance->Z_importsZ_i0`) through the
// function's local copy, declared after each FUNC_PROLOGUE.
std::string cache_memory_base(const std::string& c, const std::string& memory) {
  const std::string argument = "(" + memory + ", ";
  std::string out;
  out.reserve(c.size() + c.size() / 8);
  size_t copied = 0;
  for (size_t at = c.find(argument); at != std::string::npos; at = c.find(argument, at + 1)) {
    size_t name_start = at;
    while (name_start > 0 && is_identifier_char(c[name_start - 1])) --name_start;
    if (name_start > 0 && (c[name_start - 1] == '.' || c[name_start - 1] == '>')) continue;  // a field, not a helper
    if (!is_access_helper(std::string_view(c).substr(name_start, at - name_start))) continue;
    out.append(c, copied, at + 1 - copied);
    out += "KILN_MEM(" + memory + "), ";
    copied = at + argument.size();
  }
  out.append(c, copied, std::string::npos);
  replace_all(out, "  FUNC_PROLOGUE;\n", "  FUNC_PROLOGUE;\n  KILN_MEM_LOCAL(" + memory + ");\n");
  return out;
}

// The C expression wasm2c passes for the memory to its first load or store,
// if the module accesses memory at all.
std::optional<std::string> accessed_memory(const std::string& c) {
  static constexpr std::string_view kForms[] = {"(&instance->w2c_", "(instance->Z_"};
  for (std::string_view form : kForms) {
    for (size_t at = c.find(form); at != std::string::npos; at = c.find(form, at + 1)) {
      size_t name_start = at;
      while (name_start > 0 && is_identifier_char(c[name_start - 1])) --name_start;
      if (!is_access_helper(std::string_view(c).substr(name_start, at - name_start))) continue;
      size_t end = c.find(", ", at);
      if (end == std::string::npos) return std::nullopt;
      return c.substr(at + 1, end - at - 1);
    }
  }
  return std::nullopt;
}

// wasm2c's loads end with `asm("" :: "r"(result))`, so that a load whose
// value is dropped still happens (and traps when out of bounds). For f32 and
// f64 the "r" moves the value into an integer register, or makes the compiler
// load it twice: a wasted instruction per float load in every numeric loop.
// Floats are kept in their own registers instead; the load still happens.
constexpr std::string_view kForceReadPrelude =
    "#if defined(__x86_64__)\n"
    "#define KILN_FLOAT_REG \"x\"\n"
    "#elif defined(__aarch64__)\n"
    "#define KILN_FLOAT_REG \"w\"\n"
    "#else\n"
    "#define KILN_FLOAT_REG \"r\"\n"
    "#endif\n"
    "#define KILN_FORCE_READ_u8(v) wasm_asm(\"\" ::\"r\"(v))\n"
    "#define KILN_FORCE_READ_s8(v) wasm_asm(\"\" ::\"r\"(v))\n"
    "#define KILN_FORCE_READ_u16(v) wasm_asm(\"\" ::\"r\"(v))\n"
    "#define KILN_FORCE_READ_s16(v) wasm_asm(\"\" ::\"r\"(v))\n"
    "#define KILN_FORCE_READ_u32(v) wasm_asm(\"\" ::\"r\"(v))\n"
    "#define KILN_FORCE_READ_s32(v) wasm_asm(\"\" ::\"r\"(v))\n"
    "#define KILN_FORCE_READ_u64(v) wasm_asm(\"\" ::\"r\"(v))\n"
    "#define KILN_FORCE_READ_s64(v) wasm_asm(\"\" ::\"r\"(v))\n"
    "#define KILN_FORCE_READ_f32(v) wasm_asm(\"\" ::KILN_FLOAT_REG(v))\n"
    "#define KILN_FORCE_READ_f64(v) wasm_asm(\"\" ::KILN_FLOAT_REG(v))\n";

// The fuel counter is an imported global: wasm2c reads and writes it as
// `(*instance->Z_importsZ_iN)`, loading the pointer from the instance each
// time, again after every guest store (which may alias the instance). The
// pointer never changes, so each function loads it once into a local.
std::string cache_fuel_pointer(const std::string& c, const std::string& field) {
  std::string out = c;
  replace_all(out, "(*instance->" + field + ")", "(*kiln_fuel)");
  replace_all(out, "  FUNC_PROLOGUE;\n", "  FUNC_PROLOGUE;\n  u64* const kiln_fuel = instance->" + field + "; (void)kiln_fuel;\n");
  return out;
}

// The call a fuel check makes when the counter runs out is rare. Routed
// through a cold, never-inlined function, the compiler lays the check out as
// one predictable branch off the hot path and keeps the loop's registers
// free, and the function around it stays small enough to inline.
std::string route_exhaustion_cold(const std::string& c, const std::string& symbol) {
  const std::string call = "(*" + symbol + ")(instance->Z_imports_instance);";
  if (c.find(call) == std::string::npos) return c;
  const std::string instance_type = mangle_name(kModuleCName) + "_instance_t";
  const std::string wrapper = "static __attribute__((cold, noinline)) void kiln_fuel_exhausted(" + instance_type +
                              "* instance) {\n  " + call + "\n}\n";
  std::string out = c;
  replace_all(out, call, "kiln_fuel_exhausted(instance);");
  size_t at = out.find("static inline void funcref_table_init(");
  if (at != std::string::npos) out.insert(at, wrapper);
  return out;
}

// wasm2c raises one code for every memory and table bounds failure and one
// for every call_indirect failure; the interpreter names each. Memory
// helpers come before funcref_table_init in the prelude, table helpers
// after it.
Result<std::string> post_process(std::string c, const std::optional<std::string>& fuel_global,
                                 const std::optional<std::string>& fuel_exhausted) {
  const std::string_view call_indirect =
      "#define CALL_INDIRECT(table, t, ft, x, ...)             \\\n"
      "  (LIKELY((x) < table.size && table.data[x].func &&     \\\n"
      "          table.data[x].func_type == func_types[ft]) || \\\n"
      "       TRAP(CALL_INDIRECT),                             \\\n";
  const std::string_view precise =
      "static int kiln_call_indirect_trap(const wasm_rt_funcref_table_t* table, u32 x, u32 type) {\n"
      "  if (x >= table->size) wasm_rt_trap(WASM_RT_TRAP_TABLE_OOB);\n"
      "  if (!table->data[x].func) wasm_rt_trap(WASM_RT_TRAP_CALL_INDIRECT_NULL);\n"
      "  (void)type;\n"
      "  wasm_rt_trap(WASM_RT_TRAP_CALL_INDIRECT_TYPE);\n"
      "}\n"
      "#define CALL_INDIRECT(table, t, ft, x, ...)             \\\n"
      "  (LIKELY((x) < table.size && table.data[x].func &&     \\\n"
      "          table.data[x].func_type == func_types[ft]) || \\\n"
      "       kiln_call_indirect_trap(&(table), (x), func_types[ft]), \\\n";
  size_t at = c.find(call_indirect);
  if (at == std::string::npos) return make_error(ErrorKind::Internal, "unexpected C writer output (CALL_INDIRECT)");
  c.replace(at, call_indirect.size(), precise);
  size_t split = c.find("static inline void funcref_table_init(");
  if (split == std::string::npos) return make_error(ErrorKind::Internal, "unexpected C writer output (funcref_table_init)");
  std::string memory_part = c.substr(0, split);
  std::string table_part = c.substr(split);
  replace_all(memory_part, "TRAP(OOB)", "TRAP(MEMORY_OOB)");
  replace_all(table_part, "TRAP(OOB)", "TRAP(TABLE_OOB)");
  // The little-endian DEFINE_LOAD (the big-endian one keeps its "r").
  const std::string_view force_read = "    wasm_asm(\"\" ::\"r\"(result));                            \\\n";
  size_t load = memory_part.find(force_read);
  if (load == std::string::npos) return make_error(ErrorKind::Internal, "unexpected C writer output (DEFINE_LOAD)");
  memory_part.replace(load, force_read.size(), "    KILN_FORCE_READ_##t1(result);                          \\\n");
  // The little-endian DEFINE_STORE: a compiler barrier after the store. A C
  // compiler sees a guest access that faults (guard pages) as an ordinary
  // one, so without it a store could sink below a later load that traps, or
  // an earlier write of the fuel counter be dropped as overwritten; the
  // interpreter would have done both. A char-typed store may alias anything
  // already, so the barrier costs little beyond that order.
  const std::string_view store_copy = "    wasm_rt_memcpy(&mem->data[addr], &wrapped, sizeof(t1));            \\\n";
  size_t store = memory_part.find(store_copy);
  if (store == std::string::npos) return make_error(ErrorKind::Internal, "unexpected C writer output (DEFINE_STORE)");
  memory_part.insert(store + store_copy.size(), "    wasm_asm(\"\" ::: \"memory\");                                         \\\n");
  std::string out = std::string(kForceReadPrelude) + memory_part + std::string(kMemoryLocalPrelude) + table_part;
  if (std::optional<std::string> memory = accessed_memory(out)) out = cache_memory_base(out, *memory);
  if (fuel_global) out = cache_fuel_pointer(out, *fuel_global);
  if (fuel_exhausted) out = route_exhaustion_cold(out, *fuel_exhausted);
  return out;
}

// ---- fuel --------------------------------------------------------------------

// The instrumenter (wasm/fuel_instrumenter.h) keeps the counter in a local
// per function and writes the imported global only where something else may
// read it, so the C compiler keeps the counter in a register.

struct FuelRefs {
  wabt::Index global;  // index in the global index space
};

std::optional<FuelRefs> find_fuel_global(const wabt::Module& module) {
  wabt::Index globals = 0;
  for (const wabt::Import* import : module.imports) {
    if (import->kind() != wabt::ExternalKind::Global) continue;
    if (import->module_name == wasm::kFuelImportModule && import->field_name == wasm::kFuelGlobalName) {
      return FuelRefs{globals};
    }
    ++globals;
  }
  return std::nullopt;
}

bool is_fuel_global(const wabt::Expr& expr, wabt::Index global) {
  if (auto* get = wabt::dyn_cast<wabt::GlobalGetExpr>(&expr)) return get->var.is_index() && get->var.index() == global;
  if (auto* set = wabt::dyn_cast<wabt::GlobalSetExpr>(&expr)) return set->var.is_index() && set->var.index() == global;
  return false;
}

bool is_local(const wabt::Expr& expr, wabt::ExprType type, wabt::Index local) {
  const wabt::Var* var = nullptr;
  if (type == wabt::ExprType::LocalGet && expr.type() == type) var = &wabt::cast<wabt::LocalGetExpr>(&expr)->var;
  if (type == wabt::ExprType::LocalSet && expr.type() == type) var = &wabt::cast<wabt::LocalSetExpr>(&expr)->var;
  return var && var->is_index() && var->index() == local;
}

// For `kiln bench --breakdown` only: drops the instrumenter's code, so the
// module runs as if it had never been instrumented. Every piece of it starts
// by reading the counter (`local.get $f` or `global.get $fuel`) and ends at
// the first `local.set $f`, `global.set $fuel` or `if` (a check). The imports
// and the local stay (unused), so the module links as the instrumented one.
void strip_fuel(wabt::ExprList& exprs, wabt::Index global, wabt::Index local) {
  for (auto it = exprs.begin(); it != exprs.end();) {
    bool starts = is_local(*it, wabt::ExprType::LocalGet, local) ||
                  (it->type() == wabt::ExprType::GlobalGet && is_fuel_global(*it, global));
    if (starts) {
      auto last = it;
      while (std::next(last) != exprs.end()) {
        const wabt::Expr& e = *last;
        bool ends = last != it && (is_local(e, wabt::ExprType::LocalSet, local) ||
                                   (e.type() == wabt::ExprType::GlobalSet && is_fuel_global(e, global)) ||
                                   e.type() == wabt::ExprType::If);
        if (ends) break;
        ++last;
      }
      auto next = std::next(last);
      while (it != next) exprs.extract(it++);
      continue;
    }
    switch (it->type()) {
      case wabt::ExprType::Block: strip_fuel(wabt::cast<wabt::BlockExpr>(&*it)->block.exprs, global, local); break;
      case wabt::ExprType::Loop: strip_fuel(wabt::cast<wabt::LoopExpr>(&*it)->block.exprs, global, local); break;
      case wabt::ExprType::If: {
        auto* branch = wabt::cast<wabt::IfExpr>(&*it);
        strip_fuel(branch->true_.exprs, global, local);
        strip_fuel(branch->false_, global, local);
        break;
      }
      default: break;
    }
    ++it;
  }
}

}  // namespace

std::string import_symbol(size_t index) { return mangle_name(kImportModuleCName) + mangle_name("i" + std::to_string(index)); }
std::string export_symbol(size_t index) { return mangle_name(kModuleCName) + mangle_name("e" + std::to_string(index)); }

std::string mangle_name(std::string_view name) {
  std::string out = "Z_";
  for (unsigned char c : name) {
    if ((std::isalnum(c) && c != 'Z') || c == '_') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%02X", c);
      out += 'Z';
      out += hex;
    }
  }
  return out;
}

Result<Translation> translate_to_c(std::span<const uint8_t> wasm, std::string_view name,
                                   const TranslateOptions& translate) {
  const std::string prefix = std::string(name) + ": aot: ";
  wabt::Module module;
  wabt::Errors errors;
  wabt::Features features = wasm::accepted_features();
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false, /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  std::string filename(name);
  if (!wabt::Succeeded(wabt::ReadBinaryIr(filename.c_str(), wasm.data(), wasm.size(), options, &errors, &module))) {
    return make_error(ErrorKind::InvalidModule, prefix + (errors.empty() ? "cannot read the module" : errors.front().message));
  }
  retype_unused_v128_locals(module);
  FeatureSet used = wasm::detect_features(module);
  if (auto what = unsupported(used)) {
    return make_error(ErrorKind::Unsupported, "the module uses " + *what + ", which WABT 1.0.32's C writer cannot translate",
                      {.file = std::string(name)});
  }
  for (const wabt::Memory* memory : module.memories) {
    if (memory->page_limits.initial > 65535) {
      return make_error(ErrorKind::InvalidModule, prefix + "a memory of " + std::to_string(memory->page_limits.initial) +
                        " pages is above the 65,535 pages the AOT backend supports");
    }
  }
  if (!wabt::Succeeded(wabt::ValidateModule(&module, &errors, wabt::ValidateOptions(features)))) {
    return make_error(ErrorKind::InvalidModule, prefix + (errors.empty() ? "invalid module" : errors.front().message));
  }
  auto info = describe(module);
  if (!info) {
    return make_error(ErrorKind::Unsupported, info.error().message + ", which the AOT backend cannot pass",
                      {.file = std::string(name)});
  }
  info->features = used.names();
  // The C writer prints names raw into C comments and mangles them into
  // symbols: a name holding "*/" or a newline breaks the C, and two imports
  // with one name clash. kiln binds imports and exports by index, so the C
  // sees synthetic names (import_symbol, export_symbol); the real ones stay in
  // the metadata.
  std::optional<std::string> fuel_field;        // the instance's pointer to the counter, in C
  std::optional<std::string> exhausted_symbol;  // the exhaustion handler's import, in C
  for (size_t i = 0; i < module.imports.size(); ++i) {
    const wabt::Import* import = module.imports[i];
    if (!translate.fuel || import->module_name != wasm::kFuelImportModule) continue;
    if (import->field_name == wasm::kFuelGlobalName) fuel_field = import_symbol(i);
    if (import->field_name == wasm::kFuelExhaustedName) exhausted_symbol = import_symbol(i);
  }
  if (auto fuel = find_fuel_global(module)) {
    if (translate.fuel) {
      pass_fuel_in_registers(module, fuel->global);
    } else {
      for (wabt::Func* func : module.funcs) {
        // The instrumenter's local is the function's last.
        if (!func->exprs.empty()) strip_fuel(func->exprs, fuel->global, func->GetNumParamsAndLocals() - 1);
      }
    }
  }
  for (size_t i = 0; i < module.imports.size(); ++i) {
    module.imports[i]->module_name = kImportModuleCName;
    module.imports[i]->field_name = "i" + std::to_string(i);
  }
  for (size_t i = 0; i < module.exports.size(); ++i) module.exports[i]->name = "e" + std::to_string(i);
  if (!wabt::Succeeded(wabt::GenerateNames(&module))) return make_error(ErrorKind::Internal, prefix + "cannot name the module's items");
  (void)wabt::ApplyNames(&module);

  wabt::MemoryStream c_stream;
  wabt::MemoryStream h_stream;
  wabt::WriteCOptions write_options;
  write_options.module_name = kModuleCName;
  if (!wabt::Succeeded(wabt::WriteC(&c_stream, &h_stream, kHeaderName, &module, write_options))) {
    return make_error(ErrorKind::Internal, prefix + "the C writer failed");
  }
  Translation out;
  const auto& c_data = c_stream.output_buffer().data;
  const auto& h_data = h_stream.output_buffer().data;
  auto c = post_process(std::string(c_data.begin(), c_data.end()), fuel_field, exhausted_symbol);
  if (!c) return prefix_error(prefix, c.error());
  out.c_source = std::move(*c);
  out.header.assign(h_data.begin(), h_data.end());
  auto glue = generate_glue(*info, out.header);
  if (!glue) return prefix_error(prefix, glue.error());
  out.glue = std::move(*glue);
  out.info = std::move(*info);
  return out;
}

}  // namespace kiln::backends::aot
