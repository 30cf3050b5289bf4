#include "wasm/fuel_instrumenter.h"

#include <wabt/apply-names.h>
#include <wabt/binary-writer.h>
#include <wabt/cast.h>
#include <wabt/generate-names.h>
#include <wabt/ir.h>
#include <wabt/resolve-names.h>
#include <wabt/stream.h>

#include <functional>
#include <memory>
#include <string>

#include "wasm/decoder.h"

namespace kiln::wasm {
namespace {

// Indexes of the two imports this pass adds.
struct FuelRefs {
  wabt::Index fuel_global = 0;
  wabt::Index exhausted_func = 0;
};

Result<void> reject_reserved_imports(const wabt::Module& module) {
  for (const wabt::Import* import : module.imports) {
    if (import->module_name == kFuelImportModule && import->field_name.starts_with(kFuelGlobalName)) {
      return make_error(ErrorKind::InvalidModule, "the module imports " + import->module_name + "." + import->field_name +
                        ", a name kiln reserves for fuel metering");
    }
  }
  return {};
}

// The index of a [] -> [] function type, appending one if the module has none.
wabt::Index void_func_type(wabt::Module& module) {
  for (wabt::Index i = 0; i < module.types.size(); ++i) {
    auto* type = wabt::dyn_cast<wabt::FuncType>(module.types[i]);
    if (type && type->GetNumParams() == 0 && type->GetNumResults() == 0) return i;
  }
  auto field = std::make_unique<wabt::TypeModuleField>();
  field->type = std::make_unique<wabt::FuncType>();
  module.AppendField(std::move(field));
  return static_cast<wabt::Index>(module.types.size() - 1);
}

// Everything at or after `from` in an index space moves up by one.
void shift_bindings(wabt::BindingHash& bindings, wabt::Index from) {
  for (auto& [name, binding] : bindings) {
    if (binding.index >= from) ++binding.index;
  }
}

// Module::AppendField assumes imports come before definitions, so the new
// imports are spliced in by hand: each goes last among its kind's imports.
void insert_import(wabt::Module& module, std::unique_ptr<wabt::Import> import) {
  auto after_imports = module.fields.begin();
  for (auto it = module.fields.begin(); it != module.fields.end(); ++it) {
    if (wabt::isa<wabt::ImportModuleField>(&*it)) after_imports = std::next(it);
  }
  module.imports.push_back(import.get());
  module.fields.insert(after_imports, std::make_unique<wabt::ImportModuleField>(std::move(import)));
}

FuelRefs add_fuel_imports(wabt::Module& module) {
  FuelRefs refs{module.num_global_imports, module.num_func_imports};

  auto global = std::make_unique<wabt::GlobalImport>();
  global->module_name = kFuelImportModule;
  global->field_name = kFuelGlobalName;
  global->global.type = wabt::Type::I64;
  global->global.mutable_ = true;
  shift_bindings(module.global_bindings, refs.fuel_global);
  module.globals.insert(module.globals.begin() + refs.fuel_global, &global->global);
  ++module.num_global_imports;
  insert_import(module, std::move(global));

  auto func = std::make_unique<wabt::FuncImport>();
  func->module_name = kFuelImportModule;
  func->field_name = kFuelExhaustedName;
  func->func.decl.has_func_type = true;
  func->func.decl.type_var = wabt::Var(void_func_type(module), wabt::Location());
  shift_bindings(module.func_bindings, refs.exhausted_func);
  module.funcs.insert(module.funcs.begin() + refs.exhausted_func, &func->func);
  ++module.num_func_imports;
  insert_import(module, std::move(func));
  return refs;
}

// fuel -= units:  global.get $fuel; i64.const units; i64.sub; global.set $fuel
wabt::ExprList charge(const FuelRefs& refs, uint64_t units) {
  wabt::ExprList code;
  code.push_back(std::make_unique<wabt::GlobalGetExpr>(wabt::Var(refs.fuel_global, wabt::Location())));
  code.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(units)));
  code.push_back(std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I64Sub));
  code.push_back(std::make_unique<wabt::GlobalSetExpr>(wabt::Var(refs.fuel_global, wabt::Location())));
  return code;
}

// if (fuel < 0) exhausted():
//   global.get $fuel; i64.const 0; i64.lt_s; if; call $exhausted; end
wabt::ExprList check(const FuelRefs& refs) {
  wabt::ExprList code;
  code.push_back(std::make_unique<wabt::GlobalGetExpr>(wabt::Var(refs.fuel_global, wabt::Location())));
  code.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0)));
  code.push_back(std::make_unique<wabt::CompareExpr>(wabt::Opcode::I64LtS));
  auto if_expr = std::make_unique<wabt::IfExpr>();
  if_expr->true_.exprs.push_back(
      std::make_unique<wabt::CallExpr>(wabt::Var(refs.exhausted_func, wabt::Location())));
  code.push_back(std::move(if_expr));
  return code;
}

// How an instruction ends the straight-line run it belongs to.
enum class RunEnd {
  None,        // the next instruction runs right after it
  Join,        // a nested block: control comes back after it from several places
  Branch,      // br_if: the next instruction runs only if it did not branch
  Terminator,  // control never reaches the next instruction (dead code follows)
};

RunEnd run_end(const wabt::Expr& expr) {
  switch (expr.type()) {
    case wabt::ExprType::Block:
    case wabt::ExprType::Loop:
    case wabt::ExprType::If:
    case wabt::ExprType::Try:
      return RunEnd::Join;
    case wabt::ExprType::BrIf:
      return RunEnd::Branch;
    case wabt::ExprType::Br:
    case wabt::ExprType::BrTable:
    case wabt::ExprType::Return:
    case wabt::ExprType::ReturnCall:
    case wabt::ExprType::ReturnCallIndirect:
    case wabt::ExprType::Unreachable:
    case wabt::ExprType::Throw:
    case wabt::ExprType::Rethrow:
      return RunEnd::Terminator;
    default:
      return RunEnd::None;
  }
}

// An expression list still to instrument; `checked` lists (function bodies
// and loop bodies) also test the fuel after their first charge.
struct PendingList {
  wabt::ExprList* list;
  bool checked;
};

void queue_nested_lists(wabt::Expr& expr, std::vector<PendingList>& pending) {
  if (auto* block = wabt::dyn_cast<wabt::BlockExpr>(&expr)) {
    pending.push_back({&block->block.exprs, false});
  } else if (auto* loop = wabt::dyn_cast<wabt::LoopExpr>(&expr)) {
    pending.push_back({&loop->block.exprs, true});  // checked on every iteration
  } else if (auto* if_expr = wabt::dyn_cast<wabt::IfExpr>(&expr)) {
    pending.push_back({&if_expr->true_.exprs, false});
    pending.push_back({&if_expr->false_, false});
  } else if (auto* try_expr = wabt::dyn_cast<wabt::TryExpr>(&expr)) {
    // Unreachable while exceptions are not an accepted feature; kept so that
    // enabling them cannot leave try bodies unmetered.
    pending.push_back({&try_expr->block.exprs, false});
    for (wabt::Catch& handler : try_expr->catches) pending.push_back({&handler.exprs, false});
  }
}

// Charges each straight-line run of `list` at its start. Nested lists are
// queued rather than recursed into: bodies may nest thousands deep. The
// inserted code is stack-neutral, so it is valid anywhere, including in
// blocks with parameters.
void instrument_list(const PendingList& item, const FuelRefs& refs, std::vector<PendingList>& pending) {
  wabt::ExprList& list = *item.list;
  const auto first = list.begin();
  auto run_start = list.begin();
  uint64_t units = 0;
  for (auto it = list.begin(); it != list.end(); ++it) {
    queue_nested_lists(*it, pending);
    ++units;
    RunEnd end = run_end(*it);
    if (end == RunEnd::None) continue;
    list.splice(run_start, charge(refs, units));
    units = 0;
    run_start = std::next(it);
    if (end == RunEnd::Terminator) break;  // the rest of the list cannot run
  }
  if (units > 0) list.splice(run_start, charge(refs, units));
  // `first` is still the original first instruction, now preceded by the
  // first run's charge: the check goes between the two.
  if (item.checked) list.splice(first, check(refs));
}

void instrument_function(wabt::Func& func, const FuelRefs& refs) {
  std::vector<PendingList> pending{{&func.exprs, true}};
  while (!pending.empty()) {
    PendingList item = pending.back();
    pending.pop_back();
    instrument_list(item, refs, pending);
  }
}

// WABT's ApplyNames and ResolveNames look up every data segment's memory
// and every element segment's table, a passive segment's too, although its
// index means nothing; in a module with passive segments and no memory (or
// no table), valid since bulk memory, the lookup fails. While names are in
// use, a placeholder memory 0 / table 0 answers it; the placeholders are
// removed before the module is written, where passive segments encode
// neither.
template <class Field>
class Placeholder {
 public:
  template <class Items, class Segments>
  Placeholder(wabt::Module& module, Items& items, const Segments& segments) : module_(module) {
    if (!items.empty() || segments.empty()) return;
    auto field = std::make_unique<Field>();
    field_ = field.get();
    module.AppendField(std::move(field));
    remove_item_ = [&items] { items.pop_back(); };
  }
  Placeholder(const Placeholder&) = delete;
  Placeholder& operator=(const Placeholder&) = delete;
  ~Placeholder() { remove(); }

  void remove() {
    if (!field_) return;
    remove_item_();
    for (auto it = module_.fields.begin(); it != module_.fields.end(); ++it) {
      if (&*it == field_) {
        module_.fields.erase(it);
        break;
      }
    }
    field_ = nullptr;
  }

 private:
  wabt::Module& module_;
  wabt::ModuleField* field_ = nullptr;
  std::function<void()> remove_item_;
};

Result<std::vector<uint8_t>> write_binary(wabt::Module& module) {
  wabt::MemoryStream stream;
  // No name section: the names GenerateNames made up are not the guest's.
  wabt::WriteBinaryOptions options(accepted_features(), /*canonicalize_lebs=*/true, /*relocatable=*/false,
                                   /*write_debug_names=*/false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, &module, options))) {
    return make_error(ErrorKind::Internal, "cannot encode the fuel-instrumented module");
  }
  return std::move(stream.output_buffer().data);
}

}  // namespace

Result<std::vector<uint8_t>> instrument_fuel(wabt::Module& module) {
  if (Result<void> reserved = reject_reserved_imports(module); !reserved) return reserved.error();
  // Inserting imports shifts every defined function and global by one. Each
  // reference is turned into a name first (GenerateNames + ApplyNames), the
  // bindings shifted, then ResolveNames turns names back into the new indexes.
  Placeholder<wabt::MemoryModuleField> memory(module, module.memories, module.data_segments);
  Placeholder<wabt::TableModuleField> table(module, module.tables, module.elem_segments);
  if (wabt::Failed(wabt::GenerateNames(&module)) || wabt::Failed(wabt::ApplyNames(&module))) {
    return make_error(ErrorKind::Internal, "cannot name the module's functions and globals for fuel instrumentation");
  }
  FuelRefs refs = add_fuel_imports(module);
  for (wabt::Index i = module.num_func_imports; i < module.funcs.size(); ++i) {
    instrument_function(*module.funcs[i], refs);
  }
  wabt::Errors errors;
  if (wabt::Failed(wabt::ResolveNamesModule(&module, &errors))) {
    std::string detail = errors.empty() ? std::string() : ": " + errors.front().message;
    return make_error(ErrorKind::Internal, "cannot resolve names after fuel instrumentation" + detail);
  }
  memory.remove();
  table.remove();
  return write_binary(module);
}

}  // namespace kiln::wasm
