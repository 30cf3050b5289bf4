// The AOT path's speed work must not change what a guest does. Fuel kept in
// a local per function (c_translator.cc) charges exactly what the
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
