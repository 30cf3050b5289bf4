// What a trap leaves behind must be the same on both backends: the stores
// that ran before it and the fuel charged before it. A C compiler sees a
// faulting load or store (the aot backend's guard pages) as an ordinary
// access, so it may move other stores across it: a store to another address
// of a memory whose base it keeps in a register, a fuel write-back that a
// later write-back through the same pointer makes look dead.
// Both cases were found by the differential fuzzer (tests/fuzz/, seeds 10483
// and 1104) after the aot backend began keeping the memory base and the fuel
// pointer in function locals (d03cd40). The C translator now puts a compiler
// barrier after every guest store, the fuel counter is written back only
// before calls, returns and the exhaustion handler, and the module index is
// keyed by the translator version (a stale index had kept running the
// artifact these cases were found in).
#include <gtest/gtest.h>

#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "tests/aot_test_support.h"
#include "wasm/wat_parser.h"

namespace kiln {
namespace {

struct TrapRun {
  CallResult trapped;      // the call that traps
  CallResult after;        // a call on the same instance afterwards, if any
};

TrapRun run_until_trap(BackendKind backend, const char* wat, const char* trapping, const char* after = nullptr) {
  Engine engine = test::make_engine(backend, test::aot_test_cache_dir(), /*fallback=*/false);
  auto bytes = wasm::wat_to_wasm(wat, "trap_state.wat");
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  auto module = Module::compile(engine, *bytes, "trap_state.wasm");
  EXPECT_TRUE(module.ok()) << module.error().message;
  Store store(engine);
  auto instance = store.instantiate(*module, Linker());
  EXPECT_TRUE(instance.ok());
  TrapRun result{instance->call(trapping, {}), {}};
  if (after) result.after = instance->call(after, {});
  return result;
}

// The store to byte 5 comes first; the load far out of bounds traps (its
// value passed on, so that the C compiler must do the load before the call,
// but may do the store after it).
constexpr const char* kStoreThenTrap = R"((module
  (memory 1)
  (func $use (param f32) (result f32) (local.get 0))
  (func (export "store_then_trap") (result f32)
    (i32.store8 (i32.const 5) (i32.const 1))
    (call $use (f32.load (i32.const 16777217))))
  (func (export "peek") (result i32)
    (i32.load8_u (i32.const 5)))))";

TEST(AotTrapState, AStoreBeforeATrappingLoadIsKept) {
  for (BackendKind backend : {BackendKind::Interp, BackendKind::Aot}) {
    SCOPED_TRACE(to_string(backend));
    TrapRun result = run_until_trap(backend, kStoreThenTrap, "store_then_trap", "peek");
    ASSERT_TRUE(result.trapped.trapped());
    EXPECT_EQ(result.trapped.trap.kind, TrapKind::MemoryOutOfBounds);
    ASSERT_TRUE(result.after.returned());
    EXPECT_EQ(result.after.values.at(0).i32, 1u);
  }
}

// A leaf function (no calls, no loops) writes its entry charge to the fuel
// global, charges the runs after the `if` to its local, and traps before its
// return writes them back: the fuel used is what the global holds.
constexpr const char* kTrapInLeaf = R"((module
  (memory 1)
  (func $leaf (param i32)
    (if (local.get 0) (then (nop)))
    (i32.store16 (local.get 0) (i32.const 7)))
  (func (export "store_out_of_bounds")
    (call $leaf (i32.const 0x7fffffff)))))";

TEST(AotTrapState, FuelChargedBeforeATrapIsCounted) {
  TrapRun expected = run_until_trap(BackendKind::Interp, kTrapInLeaf, "store_out_of_bounds");
  TrapRun got = run_until_trap(BackendKind::Aot, kTrapInLeaf, "store_out_of_bounds");
  ASSERT_TRUE(expected.trapped.trapped());
  ASSERT_TRUE(got.trapped.trapped());
  EXPECT_EQ(got.trapped.trap.kind, expected.trapped.trap.kind);
  EXPECT_GT(expected.trapped.fuel_used, 0u);
  EXPECT_EQ(got.trapped.fuel_used, expected.trapped.fuel_used);
}

}  // namespace
}  // namespace kiln
