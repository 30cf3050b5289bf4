// Fuel instrumentation: the rewritten module validates, keeps every index
// pointing at the same function or global, and charges what docs/fuel.md
// says, where it says.
#include "wasm/fuel_instrumenter.h"

#include <gtest/gtest.h>
#include <wabt/cast.h>
#include <wabt/ir.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tests/test_support.h"
#include "wasm/decoder.h"
#include "wasm/wat_parser.h"

namespace kiln::wasm {
namespace {

using Bytes = std::vector<uint8_t>;

DecodedModule decode_ok(const Bytes& bytes) {
  Result<DecodedModule> decoded = decode(bytes, "test.wasm");
  EXPECT_TRUE(decoded.ok()) << decoded.error().message;
  return decoded.ok() ? std::move(decoded).value() : DecodedModule{};
}

Bytes assemble(std::string_view wat) {
  Result<Bytes> bytes = wat_to_wasm(wat, "test.wat");
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  return bytes.ok() ? *bytes : Bytes{};
}

// Instruments `wat` and decodes the result, which validates it.
DecodedModule instrumented(std::string_view wat) {
  DecodedModule original = decode_ok(assemble(wat));
  if (!original.ir) return {};
  Result<Bytes> out = instrument_fuel(*original.ir);
  EXPECT_TRUE(out.ok()) << out.error().message;
  return out.ok() ? decode_ok(*out) : DecodedModule{};
}

// Every expression of `list` in text order, nested bodies included.
void walk(const wabt::ExprList& list, const std::function<void(const wabt::Expr&)>& visit) {
  for (const wabt::Expr& expr : list) {
    visit(expr);
    if (auto* block = wabt::dyn_cast<wabt::BlockExpr>(&expr)) walk(block->block.exprs, visit);
    if (auto* loop = wabt::dyn_cast<wabt::LoopExpr>(&expr)) walk(loop->block.exprs, visit);
    if (auto* if_expr = wabt::dyn_cast<wabt::IfExpr>(&expr)) {
      walk(if_expr->true_.exprs, visit);
      walk(if_expr->false_, visit);
    }
  }
}

const wabt::Func& function(const DecodedModule& module, const std::string& export_name) {
  const ExportDesc* desc = module.info.find_export(export_name);
  EXPECT_NE(desc, nullptr) << export_name;
  return *module.ir->funcs[desc ? desc->index : 0];
}

// The charges of a function in text order: the N of every
// `global.get $fuel; i64.const N; i64.sub` (the entry's) and
// `local.get $f; i64.const N; i64.sub` ($f: the instrumenter's local, the
// function's last).
std::vector<uint64_t> charges(const wabt::Func& func, wabt::Index fuel_global) {
  const wabt::Index fuel_local = func.GetNumParamsAndLocals() - 1;
  std::vector<uint64_t> result;
  std::vector<const wabt::Expr*> flat;
  walk(func.exprs, [&flat](const wabt::Expr& expr) { flat.push_back(&expr); });
  for (size_t i = 0; i + 3 < flat.size(); ++i) {
    auto* global = wabt::dyn_cast<wabt::GlobalGetExpr>(flat[i]);
    auto* local = wabt::dyn_cast<wabt::LocalGetExpr>(flat[i]);
    bool counter = (global && global->var.index() == fuel_global) || (local && local->var.index() == fuel_local);
    auto* units = wabt::dyn_cast<wabt::ConstExpr>(flat[i + 1]);
    auto* sub = wabt::dyn_cast<wabt::BinaryExpr>(flat[i + 2]);
    if (counter && units && sub && sub->opcode == wabt::Opcode::I64Sub) result.push_back(units->const_.u64());
  }
  return result;
}

// The expressions of a body in text order, as short names: "set fuel" for
// a write of the fuel global, "get fuel" for a read, "call N", "check" for
// the exhaustion call, "other" for the rest.
std::vector<std::string> outline(const wabt::ExprList& list, wabt::Index fuel_global, wabt::Index exhausted) {
  std::vector<std::string> out;
  walk(list, [&](const wabt::Expr& expr) {
    if (auto* set = wabt::dyn_cast<wabt::GlobalSetExpr>(&expr); set && set->var.index() == fuel_global) {
      out.push_back("set fuel");
    } else if (auto* get = wabt::dyn_cast<wabt::GlobalGetExpr>(&expr); get && get->var.index() == fuel_global) {
      out.push_back("get fuel");
    } else if (auto* call = wabt::dyn_cast<wabt::CallExpr>(&expr)) {
      out.push_back(call->var.index() == exhausted ? "check" : "call " + std::to_string(call->var.index()));
    } else if (expr.type() == wabt::ExprType::Return) {
      out.push_back("return");
    }
  });
  return out;
}

// How many `if; call $__kiln_fuel_exhausted; end` checks a body holds.
int checks(const wabt::ExprList& list, wabt::Index exhausted_func) {
  int count = 0;
  walk(list, [&](const wabt::Expr& expr) {
    auto* call = wabt::dyn_cast<wabt::CallExpr>(&expr);
    if (call && call->var.index() == exhausted_func) ++count;
  });
  return count;
}

struct FuelImports {
  wabt::Index global;
  wabt::Index func;
};

// Where the instrumenter put its imports: last among each kind's imports.
FuelImports fuel_imports(const DecodedModule& module) {
  return {module.ir->num_global_imports - 1, module.ir->num_func_imports - 1};
}

TEST(FuelInstrumenter, AppendsTheFuelImportsAfterTheModulesOwn) {
  DecodedModule out = instrumented(R"((module
    (import "env" "f" (func (param i32)))
    (import "env" "memory" (memory 1))
    (import "env" "g" (global i32))
    (func (export "run"))))");
  ASSERT_EQ(out.info.imports.size(), 5u);
  EXPECT_EQ(out.info.imports[0].name, "f");
  EXPECT_EQ(out.info.imports[1].name, "memory");
  EXPECT_EQ(out.info.imports[2].name, "g");
  EXPECT_EQ(out.info.imports[3].module, kFuelImportModule);
  EXPECT_EQ(out.info.imports[3].name, kFuelGlobalName);
  EXPECT_EQ(out.info.imports[3].type, "global mut i64");
  EXPECT_EQ(out.info.imports[4].module, kFuelImportModule);
  EXPECT_EQ(out.info.imports[4].name, kFuelExhaustedName);
  EXPECT_EQ(out.info.imports[4].type, "() -> ()");
  EXPECT_EQ(fuel_imports(out).global, 1u);
  EXPECT_EQ(fuel_imports(out).func, 1u);
}

// Every kind of reference to a defined function or global moves up by one
// (the new imports come first in both index spaces); imported ones stay.
TEST(FuelInstrumenter, KeepsEveryReferenceToFunctionsAndGlobals) {
  DecodedModule out = instrumented(R"((module
    (import "env" "imported" (func $imported (param i32)))
    (import "env" "base" (global $base i32))
    (type $unary (func (param i32) (result i32)))
    (table 4 funcref)
    (global $counter (mut i32) (i32.const 0))
    (global $ref funcref (ref.func $target))
    (elem (global.get $base) $target $imported)
    (elem declare func $declared)
    (func $target (type $unary) (i32.add (local.get 0) (i32.const 1000)))
    (func $declared)
    (func $caller (param i32) (result i32)
      (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
      (drop (ref.func $declared))
      (call $imported (local.get 0))
      (drop (call $target (local.get 0)))
      (call_indirect (type $unary) (local.get 0) (i32.const 0)))
    (func $start (global.set $counter (global.get $base)))
    (start $start)
    (export "caller" (func $caller))
    (export "target" (func $target))
    (export "counter" (global $counter))))");
  ASSERT_NE(out.ir, nullptr);
  const wabt::Module& m = *out.ir;
  // Functions: imported 0, exhausted 1, target 2, declared 3, caller 4, start 5.
  EXPECT_EQ(out.info.find_export("target")->index, 2u);
  EXPECT_EQ(out.info.find_export("caller")->index, 4u);
  ASSERT_EQ(m.starts.size(), 1u);
  EXPECT_EQ(m.starts[0]->index(), 5u);
  // Globals: base 0, fuel 1, counter 2, ref 3.
  EXPECT_EQ(out.info.find_export("counter")->index, 2u);
  EXPECT_EQ(wabt::cast<wabt::RefFuncExpr>(&m.globals[3]->init_expr.front())->var.index(), 2u);
  ASSERT_EQ(m.elem_segments.size(), 2u);
  EXPECT_EQ(wabt::cast<wabt::GlobalGetExpr>(&m.elem_segments[0]->offset.front())->var.index(), 0u);
  EXPECT_EQ(wabt::cast<wabt::RefFuncExpr>(&m.elem_segments[0]->elem_exprs[0].front())->var.index(), 2u);
  EXPECT_EQ(wabt::cast<wabt::RefFuncExpr>(&m.elem_segments[0]->elem_exprs[1].front())->var.index(), 0u);
  EXPECT_EQ(wabt::cast<wabt::RefFuncExpr>(&m.elem_segments[1]->elem_exprs[0].front())->var.index(), 3u);

  std::vector<std::string> uses;  // what the caller's body refers to, fuel code excluded
  walk(m.funcs[4]->exprs, [&](const wabt::Expr& expr) {
    if (auto* call = wabt::dyn_cast<wabt::CallExpr>(&expr)) uses.push_back("call " + std::to_string(call->var.index()));
    if (auto* ref = wabt::dyn_cast<wabt::RefFuncExpr>(&expr)) uses.push_back("ref.func " + std::to_string(ref->var.index()));
    if (auto* set = wabt::dyn_cast<wabt::GlobalSetExpr>(&expr)) uses.push_back("global.set " + std::to_string(set->var.index()));
    if (auto* indirect = wabt::dyn_cast<wabt::CallIndirectExpr>(&expr)) {
      const wabt::FuncType* type = m.GetFuncType(indirect->decl.type_var);
      ASSERT_NE(type, nullptr);
      EXPECT_EQ(type->sig.param_types, wabt::TypeVector{wabt::Type::I32});
      EXPECT_EQ(type->sig.result_types, wabt::TypeVector{wabt::Type::I32});
    }
  });
  std::erase(uses, "call 1");        // the fuel checks
  std::erase(uses, "global.set 1");  // the fuel charges
  EXPECT_EQ(uses, (std::vector<std::string>{"global.set 2", "ref.func 3", "call 0", "call 2"}));
}

// The example of docs/fuel.md: 2 + 1 + 2 = 5 units whichever branch runs.
TEST(FuelInstrumenter, ChargesEachStraightLineRunOnce) {
  DecodedModule out = instrumented(R"((module
    (func (export "pick") (param i32) (result i32)
      local.get 0
      if (result i32)
        i32.const 1
      else
        i32.const 2
      end
      i32.const 3
      i32.add)))");
  ASSERT_NE(out.ir, nullptr);
  EXPECT_EQ(charges(function(out, "pick"), fuel_imports(out).global), (std::vector<uint64_t>{2, 1, 1, 2}));
}

TEST(FuelInstrumenter, EndsRunsAtBranchesAndSkipsDeadCode) {
  DecodedModule out = instrumented(R"((module
    (func (export "switch") (param i32) (result i32)
      block $a
        block $b
          local.get 0
          br_if $a
          local.get 0
          br_table $a $b
          i32.const 99
          drop
        end
        i32.const 2
        return
      end
      i32.const 1)))");
  ASSERT_NE(out.ir, nullptr);
  // block block local.get br_if | local.get br_table (then dead code) |
  // i32.const return (after $b, which a branch targets) | i32.const (after $a)
  EXPECT_EQ(charges(function(out, "switch"), fuel_imports(out).global), (std::vector<uint64_t>{4, 2, 2, 1}));
}

// A run flows into a block and out of one that no branch targets; a loop no
// branch targets runs once, so it is no check point either.
TEST(FuelInstrumenter, BlocksNoBranchTargetsDoNotSplitRuns) {
  DecodedModule out = instrumented(R"((module
    (func (export "flat") (param i32) (result i32)
      block
        local.get 0
        i32.const 1
        i32.add
        local.set 0
      end
      loop
        local.get 0
        i32.const 2
        i32.mul
        local.set 0
      end
      local.get 0)))");
  ASSERT_NE(out.ir, nullptr);
  const wabt::Func& flat = function(out, "flat");
  EXPECT_EQ(charges(flat, fuel_imports(out).global), (std::vector<uint64_t>{11}));
  EXPECT_EQ(checks(flat.exprs, fuel_imports(out).func), 0) << "no calls, no loop back: a bounded cost";
}

TEST(FuelInstrumenter, ChecksEveryFunctionEntryAndLoopHeader) {
  DecodedModule out = instrumented(R"((module
    (func (export "loops") (param i32)
      (loop $outer
        (loop $inner
          (br_if $inner (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (br_if $outer (local.get 0))))
    (func (export "leaf") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func (export "caller") (call $leaf_ref (i32.const 1)) drop)
    (func $leaf_ref (param i32) (result i32) (local.get 0))))");
  ASSERT_NE(out.ir, nullptr);
  FuelImports fuel = fuel_imports(out);
  const wabt::Func& loops = function(out, "loops");
  EXPECT_EQ(checks(loops.exprs, fuel.func), 3);
  EXPECT_EQ(checks(function(out, "leaf").exprs, fuel.func), 0) << "a function that neither calls nor loops";
  EXPECT_EQ(checks(function(out, "caller").exprs, fuel.func), 1);
  // Inside the loop, every iteration charges its run, then checks.
  const wabt::LoopExpr* outer = nullptr;
  for (const wabt::Expr& expr : loops.exprs) {
    if (auto* loop = wabt::dyn_cast<wabt::LoopExpr>(&expr)) outer = loop;
  }
  ASSERT_NE(outer, nullptr);
  std::vector<const wabt::Expr*> body;
  for (const wabt::Expr& expr : outer->block.exprs) body.push_back(&expr);
  ASSERT_GE(body.size(), 8u);
  EXPECT_TRUE(wabt::isa<wabt::LocalSetExpr>(body[3]));  // the charge, into $f
  EXPECT_TRUE(wabt::isa<wabt::IfExpr>(body[7]));        // the check
  EXPECT_EQ(charges(loops, fuel.global), (std::vector<uint64_t>{1, 1, 5, 2}));
}

// The counter lives in a local; the global is brought up to date wherever
// someone else may read it: before a call (the callee reads it), before a
// return, and before the exhaustion call of a check. After a call it is read
// back.
TEST(FuelInstrumenter, WritesTheCounterBackBeforeCallsAndReturns) {
  DecodedModule out = instrumented(R"((module
    (import "env" "host" (func $host))
    (func $callee (result i32) (i32.const 7))
    (func (export "f") (param i32) (result i32)
      call $host
      local.get 0
      if
        call $callee
        return
      end
      call $callee)))");
  ASSERT_NE(out.ir, nullptr);
  FuelImports fuel = fuel_imports(out);
  // Functions: host 0, exhausted 1, callee 2, f 3.
  EXPECT_EQ(outline(function(out, "f").exprs, fuel.global, fuel.func),
            (std::vector<std::string>{"get fuel", "set fuel", "check", "get fuel",  // entry: charge, check
                                      "set fuel", "call 0", "get fuel",             // host call
                                      "set fuel", "call 2", "get fuel",             // call in the if
                                      "set fuel", "return",                         // return
                                      "set fuel", "call 2", "get fuel",             // last call
                                      "set fuel"}));                                // the end returns
}

TEST(FuelInstrumenter, KeepsUnusualControlFlowValid) {
  // Multi-value blocks, if with parameters, stack-polymorphic code after
  // unreachable and br, br_table, tail calls, empty bodies: the output is
  // decoded, hence validated, by instrumented().
  DecodedModule out = instrumented(R"((module
    (func $pair (param i32) (result i32 i32)
      local.get 0
      block (param i32) (result i32 i32) i32.const 7 end)
    (func $if_params (param i32) (result i32)
      i32.const 5 local.get 0
      if (param i32) (result i32) i32.const 1 i32.add else unreachable i32.add end)
    (func $polymorphic (result i32)
      unreachable
      loop $x br $x end
      i32.add)
    (func $after_br (result i32)
      block (result i32) i32.const 1 br 0 i64.const 2 i32.wrap_i64 end)
    (func $table (param i32) (result i32)
      block $a (result i32)
        i32.const 10 local.get 0 br_table $a $a
      end)
    (func $tail (export "tail") (param i32) (result i32) local.get 0 return_call $table)
    (func $empty)
    (func $empty_blocks block end loop end i32.const 0 if end)))");
  ASSERT_NE(out.ir, nullptr);
  EXPECT_EQ(out.info.defined_functions, 8u);
}

TEST(FuelInstrumenter, RejectsAModuleThatImportsTheReservedNames) {
  for (const char* name : {"__kiln_fuel", "__kiln_fuel_exhausted"}) {
    std::string wat = std::string(R"((module (import "kiln" ")") + name + R"(" (func))))";
    DecodedModule original = decode_ok(assemble(wat));
    ASSERT_NE(original.ir, nullptr);
    Result<Bytes> out = instrument_fuel(*original.ir);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().message,
              std::string("the module imports kiln.") + name + ", a name kiln reserves for fuel metering");
  }
}

TEST(FuelInstrumenter, ReusesAnEmptyFunctionTypeOrAddsOne) {
  DecodedModule with = instrumented("(module (type (func)) (func (type 0)))");
  DecodedModule without = instrumented("(module (func (param i32)))");
  ASSERT_NE(with.ir, nullptr);
  ASSERT_NE(without.ir, nullptr);
  EXPECT_EQ(with.ir->types.size(), 1u);
  EXPECT_EQ(without.ir->types.size(), 2u);
}

TEST(FuelInstrumenter, ProducesTheSameBinaryEveryTime) {
  Bytes bytes = kiln::test::read_file(kiln::test::guest_path("wasm_inspect"));
  DecodedModule first = decode_ok(bytes);
  DecodedModule second = decode_ok(bytes);
  ASSERT_NE(first.ir, nullptr);
  ASSERT_NE(second.ir, nullptr);
  Result<Bytes> a = instrument_fuel(*first.ir);
  Result<Bytes> b = instrument_fuel(*second.ir);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

// Every test guest (C programs from wasi-libc, hand-written .wat) that
// decodes also instruments into a valid module.
TEST(FuelInstrumenter, InstrumentsEveryTestGuest) {
  int instrumented_guests = 0;
  for (const auto& entry : std::filesystem::directory_iterator(KILN_GUEST_DIR)) {
    if (entry.path().extension() != ".wasm") continue;
    Result<DecodedModule> original = decode(kiln::test::read_file(entry.path()), entry.path().string());
    if (!original.ok()) continue;  // some guests are invalid on purpose
    Result<Bytes> out = instrument_fuel(*original->ir);
    ASSERT_TRUE(out.ok()) << entry.path() << ": " << out.error().message;
    Result<DecodedModule> check = decode(*out, entry.path().string());
    EXPECT_TRUE(check.ok()) << check.error().message;
    ++instrumented_guests;
  }
  EXPECT_GT(instrumented_guests, 0);
}

// Passive segments need no memory or table (bulk memory); instrumenting
// such a module must neither fail nor leave a placeholder behind.
TEST(FuelInstrumenter, PassiveSegmentsWithoutAMemoryOrTable) {
  DecodedModule data = instrumented(R"((module (data "a") (data "b") (func (export "f") (data.drop 1))))");
  ASSERT_TRUE(data.ir);
  EXPECT_TRUE(data.ir->memories.empty());
  EXPECT_EQ(data.ir->data_segments.size(), 2u);
  DecodedModule elems = instrumented(R"((module (elem funcref (ref.func 0)) (func (export "f") (elem.drop 0))))");
  ASSERT_TRUE(elems.ir);
  EXPECT_TRUE(elems.ir->tables.empty());
  EXPECT_EQ(elems.ir->elem_segments.size(), 1u);
}

}  // namespace
}  // namespace kiln::wasm
