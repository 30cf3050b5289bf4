#include "backends/aot/fuel_passing.h"

#include <wabt/cast.h>

#include <memory>
#include <vector>

namespace kiln::backends::aot {
namespace {

wabt::Var var(wabt::Index index) { return wabt::Var(index, wabt::Location()); }

bool is_fuel_get(const wabt::Expr& expr, wabt::Index fuel_global) {
  auto* get = wabt::dyn_cast<wabt::GlobalGetExpr>(&expr);
  return get && get->var.is_index() && get->var.index() == fuel_global;
}

bool is_local_set(const wabt::Expr& expr, wabt::Index local) {
  auto* set = wabt::dyn_cast<wabt::LocalSetExpr>(&expr);
  return set && set->var.is_index() && set->var.index() == local;
}

// Calls `visit` on every expression list of a body, nested ones included.
template <class Visit>
void for_each_list(wabt::ExprList& list, const Visit& visit) {
  visit(list);
  for (wabt::Expr& expr : list) {
    if (auto* block = wabt::dyn_cast<wabt::BlockExpr>(&expr)) for_each_list(block->block.exprs, visit);
    if (auto* loop = wabt::dyn_cast<wabt::LoopExpr>(&expr)) for_each_list(loop->block.exprs, visit);
    if (auto* if_expr = wabt::dyn_cast<wabt::IfExpr>(&expr)) {
      for_each_list(if_expr->true_.exprs, visit);
      for_each_list(if_expr->false_, visit);
    }
  }
}

wabt::Index type_index(wabt::Module& module, const wabt::FuncSignature& sig) {
  for (wabt::Index i = 0; i < module.types.size(); ++i) {
    auto* type = wabt::dyn_cast<wabt::FuncType>(module.types[i]);
    if (type && type->sig.param_types == sig.param_types && type->sig.result_types == sig.result_types) return i;
  }
  auto field = std::make_unique<wabt::TypeModuleField>();
  auto type = std::make_unique<wabt::FuncType>();
  type->sig = sig;
  field->type = std::move(type);
  module.AppendField(std::move(field));
  return static_cast<wabt::Index>(module.types.size() - 1);
}

// The rewrite of one moved body into its twin's: `params` is the original
// function's parameter count, the twin's counter parameter comes right
// after them.
class TwinBody {
 public:
  TwinBody(wabt::Index fuel_global, wabt::Index params, wabt::Index counter_local,
           const std::vector<wabt::Index>& twin_of, wabt::Index defined_from)
      : fuel_global_(fuel_global),
        params_(params),
        counter_local_(counter_local),
        twin_of_(twin_of),
        defined_from_(defined_from) {}

  void rewrite(wabt::ExprList& body, const wabt::TypeVector& results) {
    for_each_list(body, [&](wabt::ExprList& list) { rewrite_list(list); });
    // The entry read the global; the twin has the counter as a parameter.
    auto entry = body.begin();
    body.insert(entry, std::make_unique<wabt::LocalGetExpr>(var(params_)));
    body.extract(entry);
    // Whatever ends the body (its end, or a branch to its label) now ends a
    // block, after which the counter is appended to the results.
    auto block = std::make_unique<wabt::BlockExpr>();
    block->block.decl.sig.result_types = results;
    block->block.exprs = std::move(body);
    body.push_back(std::move(block));
    body.push_back(counter_get());
  }

 private:
  std::unique_ptr<wabt::Expr> counter_get() const { return std::make_unique<wabt::LocalGetExpr>(var(counter_local_)); }

  void rewrite_list(wabt::ExprList& list) {
    for (auto it = list.begin(); it != list.end(); ++it) {
      shift_local(*it);
      if (it->type() == wabt::ExprType::Return) {
        list.insert(it, counter_get());
      } else if (auto* call = wabt::dyn_cast<wabt::CallExpr>(&*it)) {
        if (call->var.index() >= defined_from_) it = call_twin(list, it, *call);
      }
    }
  }

  // Locals after the parameters move up by one, past the new parameter.
  void shift_local(wabt::Expr& expr) const {
    wabt::Var* local = nullptr;
    if (auto* get = wabt::dyn_cast<wabt::LocalGetExpr>(&expr)) local = &get->var;
    if (auto* set = wabt::dyn_cast<wabt::LocalSetExpr>(&expr)) local = &set->var;
    if (auto* tee = wabt::dyn_cast<wabt::LocalTeeExpr>(&expr)) local = &tee->var;
    if (local && local->index() >= params_) *local = var(local->index() + 1);
  }

  // `call f` becomes `local.get $f; call twin(f)`, and the read of the
  // global after it (`global.get $fuel; local.set $f`) takes the returned
  // counter instead. Returns the position of the last expression handled.
  wabt::ExprList::iterator call_twin(wabt::ExprList& list, wabt::ExprList::iterator call, wabt::CallExpr& expr) {
    expr.var = var(twin_of_[expr.var.index() - defined_from_]);
    list.insert(call, counter_get());
    auto next = std::next(call);
    if (next != list.end() && is_fuel_get(*next, fuel_global_) && std::next(next) != list.end() &&
        is_local_set(*std::next(next), counter_local_ - 1)) {  // not shifted yet: it comes after the call
      list.extract(next);
      return call;
    }
    // Code the instrumenter left alone (after an unconditional branch):
    // only the types need to fit.
    return list.insert(next, std::make_unique<wabt::LocalSetExpr>(var(counter_local_)));
  }

  wabt::Index fuel_global_;
  wabt::Index params_;
  wabt::Index counter_local_;  // the instrumenter's local, after the shift
  const std::vector<wabt::Index>& twin_of_;
  wabt::Index defined_from_;
};

// Every defined function's body starts by reading the counter: the
// instrumenter's entry charge.
bool instrumented_as_expected(const wabt::Module& module, wabt::Index fuel_global) {
  for (wabt::Index i = module.num_func_imports; i < module.funcs.size(); ++i) {
    const wabt::Func& func = *module.funcs[i];
    if (func.exprs.empty() || !is_fuel_get(func.exprs.front(), fuel_global) || func.GetNumLocals() == 0) return false;
  }
  return true;
}

wabt::TypeVector local_types_of(const wabt::Func& func) {
  wabt::TypeVector types;
  for (wabt::Type type : func.local_types) types.push_back(type);
  return types;
}

// The original function: reads the global and calls its twin.
void make_wrapper(wabt::Func& func, wabt::Index twin, wabt::Index fuel_global) {
  func.local_types.Set({});
  func.exprs.clear();
  for (wabt::Index i = 0; i < func.GetNumParams(); ++i) func.exprs.push_back(std::make_unique<wabt::LocalGetExpr>(var(i)));
  func.exprs.push_back(std::make_unique<wabt::GlobalGetExpr>(var(fuel_global)));
  func.exprs.push_back(std::make_unique<wabt::CallExpr>(var(twin)));
  func.exprs.push_back(std::make_unique<wabt::DropExpr>());  // the twin wrote the counter back already
}

}  // namespace

void pass_fuel_in_registers(wabt::Module& module, wabt::Index fuel_global) {
  if (!instrumented_as_expected(module, fuel_global)) return;
  const wabt::Index defined_from = module.num_func_imports;
  const wabt::Index defined = static_cast<wabt::Index>(module.funcs.size()) - defined_from;
  std::vector<wabt::Index> twin_of(defined);
  for (wabt::Index k = 0; k < defined; ++k) twin_of[k] = defined_from + defined + k;

  for (wabt::Index k = 0; k < defined; ++k) {
    wabt::Func& func = *module.funcs[defined_from + k];
    auto field = std::make_unique<wabt::FuncModuleField>();
    wabt::Func& twin = field->func;
    twin.decl.sig = func.decl.sig;
    twin.decl.sig.param_types.push_back(wabt::Type::I64);
    twin.decl.sig.result_types.push_back(wabt::Type::I64);
    twin.decl.has_func_type = true;
    twin.decl.type_var = var(type_index(module, twin.decl.sig));
    twin.local_types.Set(local_types_of(func));
    twin.exprs = std::move(func.exprs);
    const wabt::Index params = func.GetNumParams();
    TwinBody(fuel_global, params, twin.GetNumParamsAndLocals() - 1, twin_of, defined_from)
        .rewrite(twin.exprs, func.decl.sig.result_types);
    make_wrapper(func, twin_of[k], fuel_global);
    module.AppendField(std::move(field));
  }
}

}  // namespace kiln::backends::aot
