#include "wasm/module_inspector.h"

#include <wabt/cast.h>
#include <wabt/ir.h>

#include <string>

#include "wasm/feature_detector.h"
#include "wasm/value_types.h"

// FeatureSet::names and ModuleInfo::find_export live in base/module_info.cc:
// the run-time library (no WABT) needs them too.

namespace kiln::wasm {
namespace {

// Validated modules only hold the value types kiln accepts (no GC types).
ValType val_type_of(wabt::Type type) { return wasm::to_val_type(type).value_or(ValType::I32); }

FuncType to_func_type(const wabt::FuncSignature& sig) {
  FuncType type;
  for (wabt::Type param : sig.param_types) type.params.push_back(val_type_of(param));
  for (wabt::Type result : sig.result_types) type.results.push_back(val_type_of(result));
  return type;
}

Limits64 to_limits(const wabt::Limits& limits) {
  Limits64 result{limits.initial, std::nullopt};
  if (limits.has_max) result.max = limits.max;
  return result;
}

// "1..2" or "1.." when there is no maximum.
std::string limits_text(const Limits64& limits) {
  std::string text = std::to_string(limits.min) + "..";
  if (limits.max) text += std::to_string(*limits.max);
  return text;
}

MemoryDesc describe(const wabt::Memory& memory, bool imported) {
  return {to_limits(memory.page_limits), memory.page_limits.is_shared, memory.page_limits.is_64, imported};
}

TableDesc describe(const wabt::Table& table, bool imported) {
  return {val_type_of(table.elem_type), to_limits(table.elem_limits), imported};
}

GlobalDesc describe(const wabt::Global& global, bool imported) {
  return {val_type_of(global.type), global.mutable_, imported};
}

// e.g. "memory 1..2", "memory64 1.. shared"
std::string type_text(const MemoryDesc& memory) {
  std::string text = memory.is64 ? "memory64 " : "memory ";
  text += limits_text(memory.pages);
  if (memory.shared) text += " shared";
  return text;
}

// e.g. "table funcref 10..20"
std::string type_text(const TableDesc& table) {
  return std::string("table ") + to_string(table.element) + " " + limits_text(table.size);
}

// e.g. "global i32", "global mut i64"
std::string type_text(const GlobalDesc& global) {
  return std::string(global.is_mutable ? "global mut " : "global ") + to_string(global.type);
}

ImportDesc describe_import(const wabt::Import& import) {
  ImportDesc desc;
  desc.module = import.module_name;
  desc.name = import.field_name;
  if (auto* func = wabt::dyn_cast<wabt::FuncImport>(&import)) {
    desc.kind = ExternKind::Func;
    desc.func_type = to_func_type(func->func.decl.sig);
    desc.type = to_string(desc.func_type);
  } else if (auto* table = wabt::dyn_cast<wabt::TableImport>(&import)) {
    desc.kind = ExternKind::Table;
    desc.type = type_text(describe(table->table, true));
  } else if (auto* memory = wabt::dyn_cast<wabt::MemoryImport>(&import)) {
    desc.kind = ExternKind::Memory;
    desc.type = type_text(describe(memory->memory, true));
  } else if (auto* global = wabt::dyn_cast<wabt::GlobalImport>(&import)) {
    desc.kind = ExternKind::Global;
    desc.type = type_text(describe(global->global, true));
  }
  return desc;
}

void describe_export(const wabt::Module& module, const wabt::Export& export_, ModuleInfo& info) {
  ExportDesc desc;
  desc.name = export_.name;
  desc.index = export_.var.index();
  switch (export_.kind) {
    case wabt::ExternalKind::Func:
      desc.kind = ExternKind::Func;
      desc.func_type = to_func_type(module.funcs[desc.index]->decl.sig);
      desc.type = to_string(desc.func_type);
      break;
    case wabt::ExternalKind::Table:
      desc.kind = ExternKind::Table;
      desc.type = type_text(info.tables[desc.index]);
      break;
    case wabt::ExternalKind::Memory:
      desc.kind = ExternKind::Memory;
      desc.type = type_text(info.memories[desc.index]);
      break;
    case wabt::ExternalKind::Global:
      desc.kind = ExternKind::Global;
      desc.type = type_text(info.globals[desc.index]);
      break;
    case wabt::ExternalKind::Tag:
      return;  // exceptions are not an accepted feature
  }
  info.exports.push_back(std::move(desc));
}

// The index spaces list imports first, so the IR's vectors are already in
// index order; the import counts say which entries are imported.
void describe_index_spaces(const wabt::Module& module, ModuleInfo& info) {
  for (size_t i = 0; i < module.memories.size(); ++i) {
    info.memories.push_back(describe(*module.memories[i], i < module.num_memory_imports));
  }
  for (size_t i = 0; i < module.tables.size(); ++i) {
    info.tables.push_back(describe(*module.tables[i], i < module.num_table_imports));
  }
  for (size_t i = 0; i < module.globals.size(); ++i) {
    info.globals.push_back(describe(*module.globals[i], i < module.num_global_imports));
  }
}

}  // namespace

ModuleInfo inspect(const wabt::Module& module, uint64_t size_bytes) {
  ModuleInfo info;
  for (const wabt::Import* import : module.imports) info.imports.push_back(describe_import(*import));
  describe_index_spaces(module, info);
  for (const wabt::Export* export_ : module.exports) describe_export(module, *export_, info);
  info.features = detect_features(module);
  info.defined_functions = static_cast<uint32_t>(module.funcs.size() - module.num_func_imports);
  info.size_bytes = size_bytes;
  info.has_start = !module.starts.empty();
  return info;
}

}  // namespace kiln::wasm
