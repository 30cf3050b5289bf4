// Differential tests: every test guest (build/guests/*.wasm) runs on the
// interpreter and on the aot backend, and both must agree on the outcome
// (returned values, trap kind, exit code), the output and the fuel used.
// WASI guests run through host::add_wasi with buffered stdio.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "kiln/wasi.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "tests/aot_test_support.h"
#include "tests/test_support.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  std::string status;  // "instantiate: ...", or the call's outcome
  std::string out, err;
  uint64_t fuel_used = 0;
};

std::string describe(const CallResult& result) {
  switch (result.status) {
    case CallResult::Status::Returned: {
      std::string text = "returned";
      for (const Value& value : result.values) text += " " + to_string(value);
      return text;
    }
    case CallResult::Status::Trapped: return std::string("trapped: ") + to_string(result.trap.kind);
    case CallResult::Status::Exited: return "exited " + std::to_string(result.exit_code);
    case CallResult::Status::Failed: return "failed: " + result.error;
  }
  return "?";
}

// Guests whose output or work depends on the clock or randomness: only the
// outcome is compared.
const std::set<std::string> kNondeterministic = {"wasi_clock", "wasi_random", "wasi_sleep", "wasi_poll",
                                                  "wasi_time_random", "platform_entropy"};

Outcome run(const Engine& engine, const std::string& stem, const std::string& export_name) {
  Linker linker;
  host::add_wasi(linker);
  auto module = Module::from_file(engine, test::guest_path(stem));
  if (!module.ok()) return {"load: " + module.error().message, {}, {}, 0};
  Store store(engine);
  store.limits().fuel = 20'000'000;
  store.limits().max_memory_bytes = uint64_t{64} << 20;
  auto wasi = std::make_shared<host::WasiContext>(host::WasiConfig{.args = {stem, "arg"}, .stdin_data = "hello aot\n"});
  host::attach_wasi(store, wasi);
  auto instance = store.instantiate(*module, linker);
  if (!instance.ok()) return {"instantiate failed", {}, {}, 0};
  CallResult result = instance->call(export_name, {});
  return {describe(result), std::string(wasi->stdout_data()), std::string(wasi->stderr_data()), result.fuel_used};
}

TEST(AotDifferential, EveryGuestAgreesWithTheInterpreter) {
  Engine interp = test::make_engine(BackendKind::Interp);
  Engine aot = test::make_engine(BackendKind::Aot);
  size_t calls = 0;
  for (const auto& entry : fs::directory_iterator(KILN_GUEST_DIR)) {
    if (entry.path().extension() != ".wasm") continue;
    const std::string stem = entry.path().stem().string();
    auto module = Module::from_file(interp, entry.path().string());
    ASSERT_TRUE(module.ok()) << module.error().message;
    // Commands run _start; libraries every export that takes no arguments.
    std::vector<std::string> exports;
    for (const ExportDesc& item : module->info().exports) {
      if (item.kind == ExternKind::Func && item.func_type.params.empty()) exports.push_back(item.name);
    }
    if (std::find(exports.begin(), exports.end(), "_start") != exports.end()) exports = {"_start"};
    for (const std::string& name : exports) {
      SCOPED_TRACE(stem + " " + name);
      Outcome expected = run(interp, stem, name);
      Outcome got = run(aot, stem, name);
      EXPECT_EQ(got.status, expected.status);
      if (kNondeterministic.count(stem)) continue;
      EXPECT_EQ(got.out, expected.out);
      EXPECT_EQ(got.err, expected.err);
      // Native frames are smaller than the interpreter's: unbounded recursion
      // runs deeper before it exhausts the stack, spending more fuel.
      if (expected.status != "trapped: call stack exhausted") EXPECT_EQ(got.fuel_used, expected.fuel_used);
      ++calls;
    }
  }
  EXPECT_GT(calls, 20u);
}

// Calls with arguments, where the trap kinds live.
TEST(AotDifferential, TrapKindsAndRecursionAgree) {
  Engine interp = test::make_engine(BackendKind::Interp);
  Engine aot = test::make_engine(BackendKind::Aot);
  auto outcome = [](const Engine& engine, const std::string& stem, const std::string& name,
                    std::vector<Value> args) -> std::string {
    auto module = Module::from_file(engine, test::guest_path(stem));
    EXPECT_TRUE(module.ok());
    Store store(engine);
    auto instance = store.instantiate(*module, Linker());
    EXPECT_TRUE(instance.ok());
    CallResult result = instance->call(name, args);
    if (result.trapped() && result.trap.kind == TrapKind::CallStackExhausted) return describe(result);
    return describe(result) + " fuel " + std::to_string(result.fuel_used);
  };
  // Depths both backends reach (the interpreter's stack is the shallower),
  // and unbounded recursion, which exhausts both.
  for (int32_t n : {0, 1, 100, 1000, -1}) {
    SCOPED_TRACE(n);
    EXPECT_EQ(outcome(aot, "limits_recursion", "depth", {Value::from_i32(n)}),
              outcome(interp, "limits_recursion", "depth", {Value::from_i32(n)}));
  }
}

}  // namespace
}  // namespace kiln
