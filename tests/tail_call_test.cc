// Tail calls run as a call and a return (wasm/fuel_instrumenter.cc says
// why): the same results and fuel on both backends, the AOT backend
// translates them, and a module that imports functions (every metered one
// does) and tail-calls across different parameter counts runs to the end.
#include <gtest/gtest.h>

#include "kiln/host_function.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "tests/aot_test_support.h"
#include "wasm/wat_parser.h"

namespace kiln {
namespace {

constexpr const char* kTailCalls = R"((module
  (import "env" "note" (func $note (param i32)))
  (type $unary (func (param i32 i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $sum_to)
  (memory 1)
  (func $sum_to (param $n i32) (param $acc i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $sum_to (i32.sub (local.get $n) (i32.const 1))
                                 (i32.add (local.get $acc) (local.get $n))))))
  (func $widen (param i32 i32 i32) (result i32)
    (local i32 i32 i32)
    (call $note (local.get 0))
    (i32.add (local.get 0) (i32.add (local.get 1) (local.get 2))))
  (func (export "sum") (param i32) (result i32)
    (return_call_indirect (type $unary) (local.get 0) (i32.const 0) (i32.const 0)))
  (func (export "narrow_to_wide") (param i32 i32) (result i32)
    (local i32)
    (local.set 2 (i32.const 16))
    (i32.store (i32.const 8) (local.get 2))
    (return_call $widen (i32.const 4304) (local.get 0) (local.get 1))))
)";

struct Outcome {
  CallResult sum;
  CallResult narrow;
  int notes = 0;
};

Outcome run(BackendKind backend) {
  Engine engine = test::make_engine(backend, test::aot_test_cache_dir(), /*fallback=*/false);
  auto bytes = wasm::wat_to_wasm(kTailCalls, "tail_calls.wat");
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  auto module = Module::compile(engine, *bytes, "tail_calls.wasm");
  EXPECT_TRUE(module.ok()) << module.error().message;
  Outcome out;
  Linker linker;
  linker.define("env", "note",
                HostFunc{FuncType{{ValType::I32}, {}}, [&out](HostContext&, std::span<const Value>, std::span<Value>) {
                  ++out.notes;
                  return HostResult::ok();
                }});
  Store store(engine);
  auto instance = store.instantiate(*module, linker);
  EXPECT_TRUE(instance.ok()) << instance.error().message;
  const Value n[] = {Value::from_i32(1000)};
  out.sum = instance->call("sum", n);
  const Value pair[] = {Value::from_i32(5), Value::from_i32(7)};
  out.narrow = instance->call("narrow_to_wide", pair);
  return out;
}

TEST(TailCalls, RunAsCallAndReturnWithTheSameFuelOnBothBackends) {
  Outcome interp = run(BackendKind::Interp);
  Outcome aot = run(BackendKind::Aot);
  for (const Outcome* out : {&interp, &aot}) {
    ASSERT_TRUE(out->sum.returned()) << out->sum.trap.message;
    EXPECT_EQ(out->sum.values.at(0).i32, 500500u);
    ASSERT_TRUE(out->narrow.returned()) << out->narrow.trap.message;
    EXPECT_EQ(out->narrow.values.at(0).i32, 4304u + 5 + 7);
    EXPECT_EQ(out->notes, 1);
  }
  EXPECT_EQ(aot.sum.fuel_used, interp.sum.fuel_used);
  EXPECT_EQ(aot.narrow.fuel_used, interp.narrow.fuel_used);
}

}  // namespace
}  // namespace kiln
