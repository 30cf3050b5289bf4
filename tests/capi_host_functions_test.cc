// Host functions written against the C API: several signatures (none, i64,
// mixed kinds, two results), the caller's memory read and written, a trap
// and an exit raised from C, and the user data's finalizer. On both
// backends: host code is written once, whatever runs the guest.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "kiln/kiln.h"
#include "tests/test_support.h"

namespace {

std::string last_error() { return kiln_last_error(); }

// What the host functions record, reached through user data.
struct HostState {
  int nothing_calls = 0;
  int finalized = 0;
  std::string seen;
};

void nothing(void* data, kiln_caller_t*, const kiln_val_t*, size_t nargs, kiln_val_t*, size_t nresults) {
  EXPECT_EQ(nargs, 0u);
  EXPECT_EQ(nresults, 0u);
  ++static_cast<HostState*>(data)->nothing_calls;
}

void add_i64(void*, kiln_caller_t*, const kiln_val_t* args, size_t, kiln_val_t* results, size_t) {
  EXPECT_EQ(args[0].kind, KILN_I64);
  EXPECT_EQ(results[0].kind, KILN_I64);
  results[0].of.i64 = args[0].of.i64 + args[1].of.i64;
}

void mix(void*, kiln_caller_t*, const kiln_val_t* args, size_t nargs, kiln_val_t* results, size_t) {
  EXPECT_EQ(nargs, 4u);
  EXPECT_EQ(args[2].kind, KILN_F32);
  results[0].of.f64 = args[0].of.i32 + static_cast<double>(args[1].of.i64) + args[2].of.f32 + args[3].of.f64;
}

void pair(void*, kiln_caller_t*, const kiln_val_t* args, size_t, kiln_val_t* results, size_t nresults) {
  EXPECT_EQ(nresults, 2u);
  results[0].of.i32 = args[0].of.i32 * 2;
  results[1].of.i64 = 7;
}

// Reads the caller's memory: four bytes at the argument's address.
void peek(void* data, kiln_caller_t* caller, const kiln_val_t* args, size_t, kiln_val_t* results, size_t) {
  size_t size = 0;
  uint8_t* memory = kiln_caller_memory(caller, &size);
  uint32_t at = static_cast<uint32_t>(args[0].of.i32);
  if (!memory || at > size || size - at < 4) {
    kiln_caller_trap(caller, "peek outside memory");
    return;
  }
  static_cast<HostState*>(data)->seen.assign(reinterpret_cast<char*>(memory + at), 4);
  results[0].of.i32 = static_cast<int32_t>(size / 65536);
}

void poke(void*, kiln_caller_t* caller, const kiln_val_t* args, size_t, kiln_val_t*, size_t) {
  size_t size = 0;
  uint8_t* memory = kiln_caller_memory(caller, &size);
  memory[static_cast<uint32_t>(args[0].of.i32)] = static_cast<uint8_t>(args[1].of.i32);
}

void fail(void*, kiln_caller_t* caller, const kiln_val_t* args, size_t, kiln_val_t* results, size_t) {
  if (args[0].of.i32 < 0) {
    kiln_caller_trap(caller, ("negative input " + std::to_string(args[0].of.i32)).c_str());
    return;
  }
  results[0].of.i32 = args[0].of.i32;
}

void quit(void*, kiln_caller_t* caller, const kiln_val_t* args, size_t, kiln_val_t*, size_t) {
  kiln_caller_exit(caller, args[0].of.i32);
}

class CapiHostFunctions : public ::testing::TestWithParam<kiln_backend_t> {
 protected:
  void SetUp() override {
    kiln_engine_config_t config;
    kiln_engine_config_init(&config);
    config.backend = GetParam();
    config.cache_dir = KILN_AOT_TEST_CACHE;
    ASSERT_EQ(kiln_engine_new(&config, &engine_), KILN_OK) << last_error();
    ASSERT_EQ(kiln_linker_new(&linker_), KILN_OK);
    const kiln_valkind_t i32 = KILN_I32, i64 = KILN_I64;
    const kiln_valkind_t mix_params[] = {KILN_I32, KILN_I64, KILN_F32, KILN_F64};
    const kiln_valkind_t f64 = KILN_F64;
    const kiln_valkind_t two_i64[] = {KILN_I64, KILN_I64};
    const kiln_valkind_t pair_results[] = {KILN_I32, KILN_I64};
    const kiln_valkind_t two_i32[] = {KILN_I32, KILN_I32};
    auto finalize = [](void* data) { ++static_cast<HostState*>(data)->finalized; };
    define("nothing", nullptr, 0, nullptr, 0, nothing, finalize);
    define("add_i64", two_i64, 2, &i64, 1, add_i64);
    define("mix", mix_params, 4, &f64, 1, mix);
    define("pair", &i32, 1, pair_results, 2, pair);
    define("peek", &i32, 1, &i32, 1, peek);
    define("poke", two_i32, 2, nullptr, 0, poke);
    define("fail", &i32, 1, &i32, 1, fail);
    define("quit", &i32, 1, nullptr, 0, quit);
    ASSERT_EQ(kiln_module_from_file(engine_, kiln::test::guest_path("capi_host_calls").c_str(), &module_), KILN_OK)
        << last_error();
    ASSERT_EQ(kiln_store_new(engine_, &store_), KILN_OK);
    ASSERT_EQ(kiln_store_instantiate(store_, module_, linker_, &instance_), KILN_OK) << last_error();
  }
  void TearDown() override {
    kiln_store_delete(store_);
    kiln_module_delete(module_);
    kiln_linker_delete(linker_);
    kiln_engine_delete(engine_);
  }
  void define(const char* name, const kiln_valkind_t* params, size_t nparams, const kiln_valkind_t* results,
              size_t nresults, kiln_host_callback_t callback, void (*finalizer)(void*) = nullptr) {
    ASSERT_EQ(kiln_linker_define_func(linker_, "host", name, params, nparams, results, nresults, callback, &state_,
                                      finalizer),
              KILN_OK)
        << last_error();
  }
  kiln_status_t call(const char* name, std::initializer_list<kiln_val_t> args, kiln_val_t* results, size_t nresults,
                     kiln_call_result_t* result = nullptr) {
    return kiln_instance_call(instance_, name, args.begin(), args.size(), results, nresults, result);
  }

  HostState state_;
  kiln_engine_t* engine_ = nullptr;
  kiln_linker_t* linker_ = nullptr;
  kiln_module_t* module_ = nullptr;
  kiln_store_t* store_ = nullptr;
  kiln_instance_t* instance_ = nullptr;
};

kiln_val_t i32(int32_t v) { kiln_val_t r{}; r.kind = KILN_I32; r.of.i32 = v; return r; }
kiln_val_t i64(int64_t v) { kiln_val_t r{}; r.kind = KILN_I64; r.of.i64 = v; return r; }
kiln_val_t f32(float v) { kiln_val_t r{}; r.kind = KILN_F32; r.of.f32 = v; return r; }
kiln_val_t f64(double v) { kiln_val_t r{}; r.kind = KILN_F64; r.of.f64 = v; return r; }

TEST_P(CapiHostFunctions, SignaturesRoundTrip) {
  ASSERT_EQ(call("call_nothing", {}, nullptr, 0), KILN_OK) << last_error();
  ASSERT_EQ(call("call_nothing", {}, nullptr, 0), KILN_OK) << last_error();
  EXPECT_EQ(state_.nothing_calls, 2);

  kiln_val_t out[1];
  ASSERT_EQ(call("call_add_i64", {i64(int64_t{1} << 40), i64(-3)}, out, 1), KILN_OK) << last_error();
  EXPECT_EQ(out[0].kind, KILN_I64);
  EXPECT_EQ(out[0].of.i64, (int64_t{1} << 40) - 3);

  ASSERT_EQ(call("call_mix", {i32(-2), i64(10), f32(0.5f), f64(0.25)}, out, 1), KILN_OK) << last_error();
  EXPECT_EQ(out[0].kind, KILN_F64);
  EXPECT_DOUBLE_EQ(out[0].of.f64, 8.75);

  ASSERT_EQ(call("call_pair", {i32(21)}, out, 1), KILN_OK) << last_error();
  EXPECT_EQ(out[0].of.i64, (int64_t{42} << 32) + 7);
}

TEST_P(CapiHostFunctions, HostFunctionsReachTheCallersMemory) {
  kiln_val_t out[1];
  ASSERT_EQ(call("call_peek", {i32(100)}, out, 1), KILN_OK) << last_error();
  EXPECT_EQ(state_.seen, "kiln");
  EXPECT_EQ(out[0].of.i32, 1);  // pages

  ASSERT_EQ(call("call_poke", {i32(200), i32(0xab)}, out, 1), KILN_OK) << last_error();
  EXPECT_EQ(out[0].of.i32, 0xab);
  uint8_t byte = 0;
  ASSERT_EQ(kiln_instance_read_memory(instance_, 200, &byte, 1), KILN_OK);
  EXPECT_EQ(byte, 0xab);

  // A host function that refuses an address traps the call, not the host.
  kiln_call_result_t result;
  EXPECT_EQ(call("call_peek", {i32(65534)}, out, 1, &result), KILN_ERR_TRAP);
  EXPECT_EQ(result.trap_kind, KILN_TRAP_HOST_ERROR);
  EXPECT_STREQ(result.trap_message, "peek outside memory");
}

TEST_P(CapiHostFunctions, TrapAndExitFromC) {
  kiln_val_t out[1];
  kiln_call_result_t result;
  EXPECT_EQ(call("call_fail", {i32(-5)}, out, 1, &result), KILN_ERR_TRAP);
  EXPECT_EQ(result.status, KILN_ERR_TRAP);
  EXPECT_EQ(result.trap_kind, KILN_TRAP_HOST_ERROR);
  EXPECT_STREQ(result.trap_message, "negative input -5");
  EXPECT_NE(last_error().find("negative input -5"), std::string::npos) << last_error();
  EXPECT_NE(last_error().find("export 'call_fail'"), std::string::npos) << last_error();

  ASSERT_EQ(call("call_fail", {i32(5)}, out, 1, &result), KILN_OK) << last_error();
  EXPECT_EQ(out[0].of.i32, 5);
  EXPECT_EQ(result.trap_kind, KILN_TRAP_NONE);

  EXPECT_EQ(call("call_quit", {i32(3)}, nullptr, 0, &result), KILN_ERR_EXIT);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.trap_kind, KILN_TRAP_NONE);
  EXPECT_NE(last_error().find("exited with code 3"), std::string::npos) << last_error();
}

TEST_P(CapiHostFunctions, FinalizerRunsWhenTheLastUserIsGone) {
  ASSERT_EQ(call("call_nothing", {}, nullptr, 0), KILN_OK);
  kiln_linker_delete(linker_);
  linker_ = nullptr;
  // The store still holds the host function.
  EXPECT_EQ(state_.finalized, 0);
  ASSERT_EQ(call("call_nothing", {}, nullptr, 0), KILN_OK) << last_error();
  kiln_store_delete(store_);
  store_ = nullptr;
  EXPECT_EQ(state_.finalized, 1);
}

TEST_P(CapiHostFunctions, ResolvedFunctionHandles) {
  kiln_func_t* add = nullptr;
  ASSERT_EQ(kiln_instance_get_func(instance_, "call_add_i64", &add), KILN_OK) << last_error();
  kiln_val_t out[1];
  kiln_call_result_t result;
  for (int64_t i = 0; i < 3; ++i) {
    kiln_val_t args[2] = {i64(i), i64(100)};
    ASSERT_EQ(kiln_func_call(add, args, 2, out, 1, &result), KILN_OK) << last_error();
    EXPECT_EQ(out[0].of.i64, 100 + i);
  }
  EXPECT_EQ(result.memory_peak_bytes, 65536u);
  EXPECT_GT(result.fuel_used, 0u);

  kiln_val_t wrong[2] = {i32(1), i64(2)};
  EXPECT_EQ(kiln_func_call(add, wrong, 2, out, 1, nullptr), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("export 'call_add_i64' has type (i64, i64) -> (i64): argument 0 is of another kind"),
            std::string::npos)
      << last_error();
  kiln_func_t* missing = nullptr;
  EXPECT_EQ(kiln_instance_get_func(instance_, "nope", &missing), KILN_ERR_LINK);
  EXPECT_EQ(missing, nullptr);
  EXPECT_NE(last_error().find("export 'nope': no such exported function"), std::string::npos) << last_error();
}

INSTANTIATE_TEST_SUITE_P(Backends, CapiHostFunctions, ::testing::Values(KILN_BACKEND_INTERP, KILN_BACKEND_AOT),
                         [](const auto& info) { return info.param == KILN_BACKEND_AOT ? "aot" : "interp"; });

}  // namespace
