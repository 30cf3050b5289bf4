// The AOT path's speed work must not change what a guest does. Fuel passed
// between functions in registers (fuel_passing.h) charges exactly what the
// interpreter charges, also when the budget runs out in the middle of a loop;
// the benchmark-only build variants (c_compiler.h's BuildVariant) get
// artifacts of their own and never change the key the module index records.
#include <gtest/gtest.h>

#include "backends/aot/artifact_cache.h"
#include "backends/aot/c_compiler.h"
#include "kiln/wasi.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "tests/aot_test_support.h"
#include "tests/test_support.h"
#include "wasm/wat_parser.h"

namespace kiln {
namespace {

struct StepsRun {
  CallResult::Status status = CallResult::Status::Failed;
  TrapKind trap = TrapKind::HostError;
  std::string out;
  uint64_t fuel_used = 0;
};

// limits_steps reads a number of rounds from stdin; each round is a loop of
// 1,000 iterations and a printf, so a run is loops, calls and host calls.
StepsRun run_steps(const Engine& engine, const Module& module, const std::string& rounds, uint64_t fuel) {
  Linker linker;
  host::add_wasi(linker);
  Store store(engine);
  store.limits().fuel = fuel;
  auto wasi = std::make_shared<host::WasiContext>(host::WasiConfig{.args = {"limits_steps"}, .stdin_data = rounds});
  host::attach_wasi(store, wasi);
  auto instance = store.instantiate(module, linker);
  EXPECT_TRUE(instance.ok()) << instance.error().message;
  if (!instance.ok()) return {};
  CallResult result = instance->call("_start", {});
  return {result.status, result.trap.kind, std::string(wasi->stdout_data()), result.fuel_used};
}

Module load(const Engine& engine, const std::string& stem) {
  auto module = Module::from_file(engine, test::guest_path(stem));
  if (!module.ok()) throw std::runtime_error(module.error().message);
  return std::move(module).value();
}

TEST(AotPerfFuel, LoopsAndCallsChargeWhatTheInterpreterCharges) {
  Engine interp = test::make_engine(BackendKind::Interp);
  Engine aot = test::make_engine(BackendKind::Aot);
  Module on_interp = load(interp, "limits_steps");
  Module on_aot = load(aot, "limits_steps");
  StepsRun expected = run_steps(interp, on_interp, "40\n", 100'000'000);
  StepsRun got = run_steps(aot, on_aot, "40\n", 100'000'000);
  EXPECT_NE(expected.status, CallResult::Status::Trapped);
  EXPECT_EQ(got.status, expected.status);
  EXPECT_EQ(got.out, expected.out);
  EXPECT_GT(expected.fuel_used, 40'000u) << "each round runs a 1,000-iteration loop";
  EXPECT_EQ(got.fuel_used, expected.fuel_used);
}

TEST(AotPerfFuel, RunningOutInALoopStopsAtTheSameInstruction) {
  Engine interp = test::make_engine(BackendKind::Interp);
  Engine aot = test::make_engine(BackendKind::Aot);
  Module on_interp = load(interp, "limits_steps");
  Module on_aot = load(aot, "limits_steps");
  const uint64_t full = run_steps(interp, on_interp, "40\n", 100'000'000).fuel_used;
  // Budgets that end in different places: mid-loop, near the start, near the end.
  for (uint64_t budget : {full / 2, full / 7 + 13, full - 1000}) {
    SCOPED_TRACE("budget " + std::to_string(budget));
    StepsRun expected = run_steps(interp, on_interp, "40\n", budget);
    StepsRun got = run_steps(aot, on_aot, "40\n", budget);
    ASSERT_EQ(expected.status, CallResult::Status::Trapped);
    EXPECT_EQ(expected.trap, TrapKind::OutOfFuel);
    EXPECT_EQ(got.status, expected.status);
    EXPECT_EQ(got.trap, expected.trap);
    EXPECT_EQ(got.out, expected.out) << "both stop after the same round";
    EXPECT_EQ(got.fuel_used, expected.fuel_used);
  }
}

// Puts the default variant back even when an assertion fails.
struct VariantScope {
  explicit VariantScope(backends::aot::BuildVariant variant) { backends::aot::set_build_variant(variant); }
  ~VariantScope() { backends::aot::set_build_variant({}); }
};

TEST(AotPerfVariant, VariantsGetArtifactsOfTheirOwnAndLeaveTheKeyAlone) {
  backends::aot::ArtifactCache cache(test::aot_test_cache_dir());
  const std::vector<uint8_t> wasm = test::read_file(test::guest_path("limits_steps"));
  auto key = cache.key_for(wasm);
  ASSERT_TRUE(key.ok()) << key.error().message;
  auto standard = cache.get_or_build(wasm, "limits_steps");
  ASSERT_TRUE(standard.ok()) << standard.error().message;
  VariantScope scope({.fuel = false, .conformance = false});
  auto key_under_variant = cache.key_for(wasm);
  ASSERT_TRUE(key_under_variant.ok());
  EXPECT_EQ(*key_under_variant, *key) << "the module index must only ever name the default artifact";
  auto plain = cache.get_or_build(wasm, "limits_steps");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_NE(plain->so_path, standard->so_path);
}

TEST(AotPerfVariant, TheUnmeteredVariantChargesNothingAndTheDefaultDoes) {
  Engine aot = test::make_engine(BackendKind::Aot);
  Module metered = load(aot, "limits_steps");
  Module unmetered = [&] {
    VariantScope scope({.fuel = false});
    return load(aot, "limits_steps");
  }();
  StepsRun with_fuel = run_steps(aot, metered, "3\n", 100'000'000);
  StepsRun without = run_steps(aot, unmetered, "3\n", 100'000'000);
  EXPECT_EQ(without.out, with_fuel.out);
  EXPECT_GT(with_fuel.fuel_used, 3'000u);
  EXPECT_EQ(without.fuel_used, 0u);
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

// A loop of 1,000 iterations through a direct call, then an out-of-bounds
// load: the fuel a trapping call reports includes the work before the trap
// (the counter is written back at every loop header and call), and is the
// same on both backends. `pair` returns two values, so its twin returns
// three (fuel_passing.h), and `br 0` leaves a function from inside a block.
constexpr std::string_view kWorkThenTrap = R"((module
  (memory 1)
  (func $step (param i32) (result i32) (i32.add (local.get 0) (i32.const 3)))
  (func $pair (param i32) (result i32 i32)
    (block (result i32 i32)
      (br 1 (local.get 0) (i32.const 1))))
  (func $work (param i32) (result i32)
    (local i32)
    (loop $again
      (local.set 1 (call $step (local.get 1)))
      (local.set 1 (i32.add (call $pair (local.get 1))))
      (br_if $again (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 1))
  (func (export "work") (param i32) (result i32) (call $work (local.get 0)))
  (func (export "work_then_trap") (param i32) (result i32)
    (i32.load (i32.add (call $work (local.get 0)) (i32.const 65536)))))
)";

CallResult call_once(const Engine& engine, const std::string& name, int32_t arg, uint64_t fuel) {
  auto bytes = wasm::wat_to_wasm(kWorkThenTrap, "work_then_trap.wat");
  if (!bytes.ok()) throw std::runtime_error(bytes.error().message);
  auto module = Module::compile(engine, *bytes, "work_then_trap");
  if (!module.ok()) throw std::runtime_error(module.error().message);
  Store store(engine);
  store.limits().fuel = fuel;
  auto instance = store.instantiate(*module, Linker());
  if (!instance.ok()) throw std::runtime_error(instance.error().message);
  const Value args[] = {Value::from_i32(arg)};
  return instance->call(name, args);
}

TEST(AotPerfFuel, ATrapReportsTheWorkBeforeItOnBothBackends) {
  Engine interp = test::make_engine(BackendKind::Interp);
  Engine aot = test::make_engine(BackendKind::Aot);
  CallResult done = call_once(interp, "work", 1000, 100'000'000);
  ASSERT_TRUE(done.returned());
  CallResult on_interp = call_once(interp, "work_then_trap", 1000, 100'000'000);
  CallResult on_aot = call_once(aot, "work_then_trap", 1000, 100'000'000);
  ASSERT_EQ(on_interp.status, CallResult::Status::Trapped);
  EXPECT_EQ(on_interp.trap.kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(on_aot.status, CallResult::Status::Trapped);
  EXPECT_EQ(on_aot.trap.kind, on_interp.trap.kind);
  EXPECT_EQ(on_aot.fuel_used, on_interp.fuel_used);
  EXPECT_GE(on_interp.fuel_used, done.fuel_used) << "the loop's work is charged although the call trapped";
  for (uint64_t budget : {done.fuel_used / 3, done.fuel_used - 5, done.fuel_used + 2}) {
    SCOPED_TRACE("budget " + std::to_string(budget));
    CallResult a = call_once(interp, "work", 1000, budget);
    CallResult b = call_once(aot, "work", 1000, budget);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.fuel_used, b.fuel_used);
    if (a.returned() && b.returned()) EXPECT_EQ(a.values.at(0).i32, b.values.at(0).i32);
  }
}

}  // namespace
}  // namespace kiln
