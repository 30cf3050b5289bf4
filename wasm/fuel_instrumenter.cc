#include "wasm/fuel_instrumenter.h"

#include <wabt/apply-names.h>
#include <wabt/binary-writer.h>
#include <wabt/cast.h>
#include <wabt/generate-names.h>
#include <wabt/ir.h>
#include <wabt/resolve-names.h>
#include <wabt/stream.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

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

// ---- metering code ------------------------------------------------------------
//
// Each function keeps the fuel counter in a local, $f, and writes it to the
// imported global only where something else may look at it: before every
// call, before every return, and when a check finds it negative (the host
// function it calls reads it). docs/fuel.md says why those places.

struct FuelCode {
  FuelRefs refs;
  wabt::Index local = 0;  // $f in the function being rewritten

  std::unique_ptr<wabt::Expr> global_get() const { return std::make_unique<wabt::GlobalGetExpr>(var(refs.fuel_global)); }
  std::unique_ptr<wabt::Expr> global_set() const { return std::make_unique<wabt::GlobalSetExpr>(var(refs.fuel_global)); }
  std::unique_ptr<wabt::Expr> local_get() const { return std::make_unique<wabt::LocalGetExpr>(var(local)); }
  std::unique_ptr<wabt::Expr> local_set() const { return std::make_unique<wabt::LocalSetExpr>(var(local)); }
  static wabt::Var var(wabt::Index index) { return wabt::Var(index, wabt::Location()); }

  // $f = (from_global ? $fuel : $f) - units
  wabt::ExprList charge(uint64_t units, bool from_global = false) const {
    wabt::ExprList code;
    code.push_back(from_global ? global_get() : local_get());
    code.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(units)));
    code.push_back(std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I64Sub));
    code.push_back(local_set());
    return code;
  }

  // if ($f < 0) { $fuel = $f; exhausted(); $f = $fuel }
  wabt::ExprList check() const {
    wabt::ExprList code;
    code.push_back(local_get());
    code.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0)));
    code.push_back(std::make_unique<wabt::CompareExpr>(wabt::Opcode::I64LtS));
    auto if_expr = std::make_unique<wabt::IfExpr>();
    if_expr->true_.exprs.splice(if_expr->true_.exprs.end(), sync());
    if_expr->true_.exprs.push_back(std::make_unique<wabt::CallExpr>(var(refs.exhausted_func)));
    if_expr->true_.exprs.splice(if_expr->true_.exprs.end(), reload());
    code.push_back(std::move(if_expr));
    return code;
  }

  // $fuel = $f: before a call or a return.
  wabt::ExprList sync() const {
    wabt::ExprList code;
    code.push_back(local_get());
    code.push_back(global_set());
    return code;
  }

  // $f = $fuel: after a call, which charged and may have refilled it.
  wabt::ExprList reload() const {
    wabt::ExprList code;
    code.push_back(global_get());
    code.push_back(local_set());
    return code;
  }
};

// One body being walked: a function's, or a block's, loop's, if arm's. An
// if's two arms are one label: its level walks the then arm, then the else.
struct Level {
  wabt::ExprList* list;
  wabt::ExprList::iterator next;  // the next expression to visit
  wabt::Expr* owner;              // the block, loop or if; nullptr for the function body
  wabt::ExprList* else_arm;       // an if's else arm, until the walk reaches it
};

Level level_of(wabt::Expr& expr) {
  if (auto* block = wabt::dyn_cast<wabt::BlockExpr>(&expr)) {
    return {&block->block.exprs, block->block.exprs.begin(), &expr, nullptr};
  }
  if (auto* loop = wabt::dyn_cast<wabt::LoopExpr>(&expr)) {
    return {&loop->block.exprs, loop->block.exprs.begin(), &expr, nullptr};
  }
  auto* if_expr = wabt::cast<wabt::IfExpr>(&expr);
  return {&if_expr->true_.exprs, if_expr->true_.exprs.begin(), &expr, &if_expr->false_};
}

const std::string& label_of(const wabt::Expr& owner) {
  if (auto* block = wabt::dyn_cast<wabt::BlockExpr>(&owner)) return block->block.label;
  if (auto* loop = wabt::dyn_cast<wabt::LoopExpr>(&owner)) return loop->block.label;
  return wabt::cast<wabt::IfExpr>(&owner)->true_.label;
}

// The level a branch goes to. Decoded modules branch by depth; after
// ApplyNames, to a named label (every label but the function's has one).
const Level& branch_target(const std::vector<Level>& levels, const wabt::Var& var) {
  if (var.is_index()) return levels[levels.size() - 1 - std::min<size_t>(var.index(), levels.size() - 1)];
  for (auto it = levels.rbegin(); it != levels.rend(); ++it) {
    if (it->owner && label_of(*it->owner) == var.name()) return *it;
  }
  return levels.front();
}

template <class Visit>
void for_each_target(const wabt::Expr& expr, Visit visit) {
  if (auto* br = wabt::dyn_cast<wabt::BrExpr>(&expr)) visit(br->var);
  if (auto* br_if = wabt::dyn_cast<wabt::BrIfExpr>(&expr)) visit(br_if->var);
  if (auto* table = wabt::dyn_cast<wabt::BrTableExpr>(&expr)) {
    for (const wabt::Var& target : table->targets) visit(target);
    visit(table->default_target);
  }
}

bool is_call(const wabt::Expr& expr) {
  switch (expr.type()) {
    case wabt::ExprType::Call:
    case wabt::ExprType::CallIndirect:
    case wabt::ExprType::CallRef:
    case wabt::ExprType::ReturnCall:
    case wabt::ExprType::ReturnCallIndirect:
      return true;
    default:
      return false;
  }
}

// Advances `levels` to the next expression of the walk: returns it, with
// levels.back() its level, or nullptr when the body is done. When a level's
// list is finished, `leave(level, into_else)` runs: an if's level has then
// switched to its else arm (into_else), any other is popped right after.
template <class Leave>
wabt::Expr* next_expr(std::vector<Level>& levels, Leave leave) {
  while (!levels.empty()) {
    Level& level = levels.back();
    if (level.next != level.list->end()) return &*level.next++;
    if (level.else_arm) {
      level.list = level.else_arm;
      level.next = level.list->begin();
      level.else_arm = nullptr;
      leave(level, true);
    } else {
      leave(level, false);
      levels.pop_back();
    }
  }
  return nullptr;
}

// What a first walk of a body learns: which labels are branched to (a
// block's end is a join point only if one is; a loop header only if one is,
// else the loop runs once, as a block does), and whether the body makes
// calls or loops back (if not, its cost is bounded by its size).
struct BodyFacts {
  std::unordered_set<const wabt::Expr*> targeted;
  bool calls_or_loops = false;
  bool has_try = false;  // exception handling, which decode() refuses
};

BodyFacts scan_body(wabt::ExprList& body) {
  BodyFacts facts;
  std::vector<Level> levels{{&body, body.begin(), nullptr, nullptr}};
  while (wabt::Expr* expr = next_expr(levels, [](const Level&, bool) {})) {
    if (is_call(*expr)) facts.calls_or_loops = true;
    if (wabt::isa<wabt::TryExpr>(expr)) facts.has_try = true;
    for_each_target(*expr, [&](const wabt::Var& var) {
      const Level& target = branch_target(levels, var);
      if (target.owner) facts.targeted.insert(target.owner);
    });
    if (wabt::isa<wabt::BlockExpr>(expr) || wabt::isa<wabt::LoopExpr>(expr) || wabt::isa<wabt::IfExpr>(expr)) {
      levels.push_back(level_of(*expr));
    }
  }
  for (const wabt::Expr* owner : facts.targeted) {
    if (wabt::isa<wabt::LoopExpr>(owner)) facts.calls_or_loops = true;
  }
  return facts;
}

// Charges each straight-line run of a function body once, at its head, and
// writes the counter back where docs/fuel.md says. A run is the code from one
// place control can arrive at other than from the instruction before it
// (the body's start, a branched-to loop header or block end, an if arm, the
// instruction after a br_if or an if) up to the next such place or
// unconditional transfer. A run flows into nested blocks and out of ones no
// branch goes to; its charge sits at its head, before anything it contains.
//
// The walk is iterative: bodies may nest thousands deep.
class FunctionMeter {
 public:
  FunctionMeter(wabt::Func& func, const FuelRefs& refs, BodyFacts facts)
      : func_(func), code_{refs, func.GetNumParamsAndLocals()}, facts_(std::move(facts)) {}

  void run() {
    func_.local_types.AppendDecl(wabt::Type::I64, 1);
    std::vector<Level> levels{{&func_.exprs, func_.exprs.begin(), nullptr, nullptr}};
    open_run(func_.exprs, func_.exprs.begin(), Head::FunctionEntry);
    auto leave = [&](Level& level, bool into_else) { leave_body(levels, level, into_else); };
    while (wabt::Expr* expr = next_expr(levels, leave)) {
      Level& level = levels.back();
      if (!open_) {  // after an unconditional transfer: dead until the body ends
        level.next = level.list->end();
        continue;
      }
      ++units_;
      visit(levels, level, *expr);
    }
  }

 private:
  enum class Head { Plain, FunctionEntry, LoopHeader };

  void visit(std::vector<Level>& levels, Level& level, wabt::Expr& expr) {
    auto here = std::prev(level.next);
    if (is_call(expr)) {
      level.list->splice(here, code_.sync());
      bool returns_here = expr.type() == wabt::ExprType::Call || expr.type() == wabt::ExprType::CallIndirect ||
                          expr.type() == wabt::ExprType::CallRef;
      if (returns_here) {
        level.list->splice(level.next, code_.reload());
      } else {
        as_call_and_return(*level.list, here);
        close_run();  // it leaves the function
      }
      return;
    }
    bool to_function = false;
    for_each_target(expr, [&](const wabt::Var& var) { to_function |= branch_target(levels, var).owner == nullptr; });
    if (to_function || expr.type() == wabt::ExprType::Return) level.list->splice(here, code_.sync());
    switch (expr.type()) {
      case wabt::ExprType::Block:
        levels.push_back(level_of(expr));
        break;
      case wabt::ExprType::Loop:
        levels.push_back(level_of(expr));
        if (facts_.targeted.contains(&expr)) {
          close_run();
          open_run(*levels.back().list, levels.back().list->begin(), Head::LoopHeader);
        }
        break;
      case wabt::ExprType::If:
        close_run();
        levels.push_back(level_of(expr));
        open_run(*levels.back().list, levels.back().list->begin(), Head::Plain);
        break;
      case wabt::ExprType::BrIf:
        close_run();
        open_run(*level.list, level.next, Head::Plain);
        break;
      case wabt::ExprType::Br:
      case wabt::ExprType::BrTable:
      case wabt::ExprType::Return:
      case wabt::ExprType::Unreachable:
      case wabt::ExprType::Throw:
      case wabt::ExprType::Rethrow:
        close_run();
        break;
      default:
        break;
    }
  }

  // `return_call f` becomes `call f; return` (the callee has written the
  // counter back when it returns). WABT 1.0.32's interpreter, which runs
  // every module with tail calls, fails an assertion and aborts the process
  // on some return_calls in modules that import functions (every metered
  // module does; fixed upstream after 1.0.32). As a call and a return, a
  // tail call costs a frame: a tail-recursive loop deeper than the guest
  // stack traps with stack exhaustion instead of running in constant space.
  static void as_call_and_return(wabt::ExprList& list, wabt::ExprList::iterator tail_call) {
    if (auto* direct = wabt::dyn_cast<wabt::ReturnCallExpr>(&*tail_call)) {
      list.insert(tail_call, std::make_unique<wabt::CallExpr>(direct->var, direct->loc));
    } else if (auto* indirect = wabt::dyn_cast<wabt::ReturnCallIndirectExpr>(&*tail_call)) {
      auto call = std::make_unique<wabt::CallIndirectExpr>(indirect->loc);
      call->decl = indirect->decl;
      call->table = indirect->table;
      list.insert(tail_call, std::move(call));
    } else {
      return;  // return_call_ref: function references are not an accepted feature
    }
    list.insert(tail_call, std::make_unique<wabt::ReturnExpr>());
    list.erase(tail_call);
  }

  // The end of a body: where control goes next decides whether the run
  // goes on.
  void leave_body(std::vector<Level>& levels, Level& level, bool into_else) {
    if (!level.owner) {  // the function's end: it returns
      if (open_) level.list->splice(level.list->end(), code_.sync());
      close_run();
      return;
    }
    if (into_else) {  // the then arm is done: the else arm starts a run
      close_run();
      open_run(*level.list, level.next, Head::Plain);
      return;
    }
    bool join = wabt::isa<wabt::IfExpr>(level.owner) ||
                (wabt::isa<wabt::BlockExpr>(level.owner) && facts_.targeted.contains(level.owner));
    // A loop's end, or a block's no branch goes to: the run flows on (or the
    // code after it stays dead).
    if (!join) return;
    close_run();
    Level& parent = levels[levels.size() - 2];  // the level holding the block or if
    open_run(*parent.list, parent.next, Head::Plain);
  }

  // A run's head is marked with a nop, so that code inserted later before
  // its first instruction (a call's sync) still comes after its charge.
  void open_run(wabt::ExprList& list, wabt::ExprList::iterator at, Head head) {
    run_list_ = &list;
    run_head_ = list.insert(at, std::make_unique<wabt::NopExpr>());
    head_ = head;
    units_ = 0;
    open_ = true;
  }

  void close_run() {
    if (!open_) return;
    wabt::ExprList code;
    if (head_ == Head::FunctionEntry) {
      code = code_.charge(units_, /*from_global=*/true);  // always: it sets $f
      if (facts_.calls_or_loops) code.splice(code.end(), code_.check());
    } else if (head_ == Head::LoopHeader) {
      code = code_.charge(units_);
      code.splice(code.end(), code_.check());
    } else if (units_ > 0) {
      code = code_.charge(units_);
    }
    run_list_->splice(*run_head_, code);
    run_list_->erase(*run_head_);
    open_ = false;
  }

  wabt::Func& func_;
  FuelCode code_;
  BodyFacts facts_;
  wabt::ExprList* run_list_ = nullptr;
  std::optional<wabt::ExprList::iterator> run_head_;  // the nop at the run's head
  Head head_ = Head::Plain;
  uint64_t units_ = 0;
  bool open_ = false;
};

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
    BodyFacts facts = scan_body(module.funcs[i]->exprs);
    if (facts.has_try) return make_error(ErrorKind::Unsupported, "fuel metering does not support exception handling");
    FunctionMeter(*module.funcs[i], refs, std::move(facts)).run();
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
