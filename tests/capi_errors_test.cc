// Errors through the C API (include/kiln/kiln.h): every failure comes back
// as a status with a message saying what and where; traps, fuel and
// deadlines are outcomes the store survives. Runs on libkiln.a, both
// backends where the outcome comes from the guest.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "kiln/kiln.h"
#include "tests/test_support.h"
#include "wasm/wat_parser.h"

namespace {

using kiln::test::guest_path;

std::vector<uint8_t> wat(const std::string& text) {
  auto bytes = kiln::wasm::wat_to_wasm(text, "test.wat");
  if (!bytes.ok()) throw std::runtime_error(bytes.error().message);
  return std::move(bytes).value();
}

std::string last_error() { return kiln_last_error(); }

kiln_engine_t* new_engine(kiln_backend_t backend) {
  kiln_engine_config_t config;
  kiln_engine_config_init(&config);
  config.backend = backend;
  config.cache_dir = KILN_AOT_TEST_CACHE;
  kiln_engine_t* engine = nullptr;
  EXPECT_EQ(kiln_engine_new(&config, &engine), KILN_OK) << last_error();
  return engine;
}

// Owns what one test makes, in the order the C API allows any.
struct Fixture {
  kiln_engine_t* engine = nullptr;
  kiln_module_t* module = nullptr;
  kiln_linker_t* linker = nullptr;
  kiln_store_t* store = nullptr;
  kiln_instance_t* instance = nullptr;

  explicit Fixture(kiln_backend_t backend) : engine(new_engine(backend)) { kiln_linker_new(&linker); }
  ~Fixture() {
    kiln_store_delete(store);
    kiln_module_delete(module);
    kiln_linker_delete(linker);
    kiln_engine_delete(engine);
  }
  void load(const std::string& path) {
    ASSERT_EQ(kiln_module_from_file(engine, path.c_str(), &module), KILN_OK) << last_error();
    ASSERT_EQ(kiln_store_new(engine, &store), KILN_OK);
    ASSERT_EQ(kiln_store_instantiate(store, module, linker, &instance), KILN_OK) << last_error();
  }
  kiln_status_t call0(const char* name, kiln_call_result_t* result, size_t nresults = 1) {
    kiln_val_t out[1];
    return kiln_instance_call(instance, name, nullptr, 0, out, nresults, result);
  }
};

class CapiTraps : public ::testing::TestWithParam<kiln_backend_t> {};

TEST_P(CapiTraps, EachTrapKindIsAStatusAndTheInstanceCarriesOn) {
  Fixture f(GetParam());
  f.load(guest_path("trap_kinds"));
  struct Case {
    const char* export_name;
    size_t results;
    kiln_trap_kind_t kind;
  };
  const Case cases[] = {
      {"unreachable", 0, KILN_TRAP_UNREACHABLE},
      {"load_out_of_bounds", 1, KILN_TRAP_MEMORY_OUT_OF_BOUNDS},
      {"table_out_of_bounds", 1, KILN_TRAP_TABLE_OUT_OF_BOUNDS},
      {"divide_by_zero", 1, KILN_TRAP_INTEGER_DIVIDE_BY_ZERO},
      {"integer_overflow", 1, KILN_TRAP_INTEGER_OVERFLOW},
      {"convert_nan", 1, KILN_TRAP_INVALID_CONVERSION},
      {"recurse_forever", 0, KILN_TRAP_CALL_STACK_EXHAUSTED},
      {"indirect_type_mismatch", 1, KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH},
      {"indirect_null", 1, KILN_TRAP_INDIRECT_CALL_NULL},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.export_name);
    kiln_call_result_t result;
    EXPECT_EQ(f.call0(c.export_name, &result, c.results), KILN_ERR_TRAP);
    EXPECT_EQ(result.status, KILN_ERR_TRAP);
    EXPECT_EQ(result.trap_kind, c.kind) << kiln_trap_kind_name(result.trap_kind);
    // The message names the module, the export and the trap.
    std::string message = last_error();
    EXPECT_NE(message.find("trap_kinds.wasm"), std::string::npos) << message;
    EXPECT_NE(message.find(std::string("export '") + c.export_name + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(kiln_trap_kind_name(c.kind)), std::string::npos) << message;

    kiln_val_t answer[1];
    ASSERT_EQ(kiln_instance_call(f.instance, "answer", nullptr, 0, answer, 1, nullptr), KILN_OK) << last_error();
    EXPECT_EQ(answer[0].kind, KILN_I32);
    EXPECT_EQ(answer[0].of.i32, 42);
  }
}

TEST_P(CapiTraps, OutOfFuelAndDeadlineHaveTheirOwnStatus) {
  Fixture f(GetParam());
  f.load(guest_path("limits_loop"));
  kiln_limits_t limits;
  kiln_store_get_limits(f.store, &limits);
  EXPECT_EQ(limits.fuel, KILN_UNLIMITED_FUEL);
  limits.fuel = 100000;
  ASSERT_EQ(kiln_store_set_limits(f.store, &limits), KILN_OK);
  kiln_call_result_t result;
  EXPECT_EQ(f.call0("_start", &result, 0), KILN_ERR_OUT_OF_FUEL);
  EXPECT_EQ(result.trap_kind, KILN_TRAP_OUT_OF_FUEL);
  EXPECT_GE(result.fuel_used, 100000u);
  EXPECT_NE(last_error().find("out of fuel"), std::string::npos) << last_error();

  limits.fuel = KILN_UNLIMITED_FUEL;
  limits.timeout_ns = 20'000'000;
  ASSERT_EQ(kiln_store_set_limits(f.store, &limits), KILN_OK);
  EXPECT_EQ(f.call0("_start", &result, 0), KILN_ERR_DEADLINE);
  EXPECT_EQ(result.trap_kind, KILN_TRAP_DEADLINE);
  EXPECT_NE(last_error().find("_start"), std::string::npos) << last_error();
}

INSTANTIATE_TEST_SUITE_P(Backends, CapiTraps, ::testing::Values(KILN_BACKEND_INTERP, KILN_BACKEND_AOT),
                         [](const auto& info) { return info.param == KILN_BACKEND_AOT ? "aot" : "interp"; });

TEST(CapiErrors, MalformedModuleNamesTheModuleAndTheOffset) {
  kiln_engine_t* engine = new_engine(KILN_BACKEND_INTERP);
  const uint8_t bytes[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01};
  kiln_module_t* module = reinterpret_cast<kiln_module_t*>(1);
  EXPECT_EQ(kiln_module_new(engine, bytes, sizeof bytes, "broken.wasm", &module), KILN_ERR_INVALID_MODULE);
  EXPECT_EQ(module, nullptr);
  EXPECT_EQ(last_error().rfind("broken.wasm: ", 0), 0u) << last_error();
  EXPECT_NE(last_error().find("offset"), std::string::npos) << last_error();

  const uint8_t not_wasm[] = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(kiln_module_new(engine, not_wasm, sizeof not_wasm, nullptr, &module), KILN_ERR_INVALID_MODULE);
  EXPECT_EQ(last_error().rfind("module.wasm: ", 0), 0u) << last_error();

  EXPECT_EQ(kiln_module_from_file(engine, "/nonexistent/guest.wasm", &module), KILN_ERR_IO);
  EXPECT_EQ(last_error(), "/nonexistent/guest.wasm: cannot read the file");
  kiln_engine_delete(engine);
}

TEST(CapiErrors, MissingAndMistypedImportsAreLinkErrors) {
  Fixture f(KILN_BACKEND_INTERP);
  auto bytes = wat(R"((module (import "host" "log" (func (param i32))) (func (export "run"))))");
  ASSERT_EQ(kiln_module_new(f.engine, bytes.data(), bytes.size(), "needs_log.wasm", &f.module), KILN_OK);
  ASSERT_EQ(kiln_store_new(f.engine, &f.store), KILN_OK);
  EXPECT_EQ(kiln_store_instantiate(f.store, f.module, f.linker, &f.instance), KILN_ERR_LINK);
  EXPECT_EQ(f.instance, nullptr);
  EXPECT_NE(last_error().find("needs_log.wasm"), std::string::npos) << last_error();
  EXPECT_NE(last_error().find("host.log"), std::string::npos) << last_error();

  // Defined, but with another type.
  kiln_valkind_t i64[1] = {KILN_I64};
  ASSERT_EQ(kiln_linker_define_func(f.linker, "host", "log", i64, 1, nullptr, 0,
                                    [](void*, kiln_caller_t*, const kiln_val_t*, size_t, kiln_val_t*, size_t) {},
                                    nullptr, nullptr),
            KILN_OK);
  EXPECT_EQ(kiln_store_instantiate(f.store, f.module, f.linker, &f.instance), KILN_ERR_LINK);
  EXPECT_NE(last_error().find("incompatible import type for host.log"), std::string::npos) << last_error();

  // A pool resolves imports up front and says the same.
  kiln_pool_t* pool = nullptr;
  kiln_linker_t* empty = nullptr;
  kiln_linker_new(&empty);
  EXPECT_EQ(kiln_pool_new(f.module, empty, nullptr, &pool), KILN_ERR_LINK);
  EXPECT_EQ(pool, nullptr);
  EXPECT_NE(last_error().find("host.log"), std::string::npos) << last_error();
  kiln_linker_delete(empty);
}

TEST(CapiErrors, TrapInTheStartFunctionIsATrapNotALinkError) {
  Fixture f(KILN_BACKEND_INTERP);
  ASSERT_EQ(kiln_module_from_file(f.engine, guest_path("trap_in_start").c_str(), &f.module), KILN_OK) << last_error();
  ASSERT_EQ(kiln_store_new(f.engine, &f.store), KILN_OK);
  EXPECT_EQ(kiln_store_instantiate(f.store, f.module, f.linker, &f.instance), KILN_ERR_TRAP);
  EXPECT_NE(last_error().find("trap_in_start.wasm"), std::string::npos) << last_error();
}

TEST(CapiErrors, BadArgumentsSayWhichArgument) {
  kiln_engine_t* engine = nullptr;
  EXPECT_EQ(kiln_engine_new(nullptr, nullptr), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(last_error(), "kiln_engine_new: out is NULL");
  kiln_module_t* module = nullptr;
  EXPECT_EQ(kiln_module_new(nullptr, nullptr, 0, nullptr, &module), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(last_error(), "kiln_module_new: engine is NULL");
  kiln_engine_config_t config;
  kiln_engine_config_init(&config);
  config.backend = static_cast<kiln_backend_t>(7);
  EXPECT_EQ(kiln_engine_new(&config, &engine), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(last_error(), "kiln_engine_new: unknown backend 7");

  Fixture f(KILN_BACKEND_INTERP);
  kiln_valkind_t bogus[1] = {static_cast<kiln_valkind_t>(9)};
  EXPECT_EQ(kiln_linker_define_func(f.linker, "m", "f", bogus, 1, nullptr, 0,
                                    [](void*, kiln_caller_t*, const kiln_val_t*, size_t, kiln_val_t*, size_t) {},
                                    nullptr, nullptr),
            KILN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(last_error(), "kiln_linker_define_func: params[0] is not a value kind (9)");

  f.load(guest_path("trap_kinds"));
  kiln_val_t out[1];
  EXPECT_EQ(kiln_instance_call(f.instance, "no_such_export", nullptr, 0, out, 1, nullptr), KILN_ERR_LINK);
  EXPECT_EQ(last_error(), guest_path("trap_kinds") + ": export 'no_such_export': no such exported function");
  kiln_val_t arg{};
  arg.kind = KILN_I32;
  EXPECT_EQ(kiln_instance_call(f.instance, "answer", &arg, 1, out, 1, nullptr), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(last_error(), guest_path("trap_kinds") +
                              ": export 'answer' has type () -> (i32): called with 1 arguments and room for 1 results");

  // Guest memory is bounds-checked: nothing is read or written outside it.
  char buffer[8];
  EXPECT_EQ(kiln_instance_read_memory(f.instance, 65535, buffer, 2), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("65536"), std::string::npos) << last_error();
  EXPECT_EQ(kiln_instance_write_memory(f.instance, 0xfffffff0u, "abc", 3), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_instance_write_memory(f.instance, 16, "abc", 3), KILN_OK);
  EXPECT_EQ(kiln_instance_read_memory(f.instance, 16, buffer, 3), KILN_OK);
  EXPECT_EQ(std::string(buffer, 3), "abc");
  // trap_kinds exports no allocator.
  uint32_t at = 0;
  EXPECT_EQ(kiln_instance_write_input(f.instance, "abc", 3, &at), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("trap_kinds.wasm"), std::string::npos) << last_error();
}

// On the aot backend, which resets a returned instance in place.
TEST(CapiErrors, AnExhaustedPoolSaysSo) {
  Fixture f(KILN_BACKEND_AOT);
  ASSERT_EQ(kiln_module_from_file(f.engine, guest_path("trap_kinds").c_str(), &f.module), KILN_OK) << last_error();
  kiln_pool_config_t config;
  kiln_pool_config_init(&config);
  config.max_instances = 1;
  kiln_pool_t* pool = nullptr;
  ASSERT_EQ(kiln_pool_new(f.module, f.linker, &config, &pool), KILN_OK) << last_error();
  kiln_lease_t* first = nullptr;
  ASSERT_EQ(kiln_pool_acquire(pool, &first), KILN_OK) << last_error();
  kiln_lease_t* second = nullptr;
  EXPECT_EQ(kiln_pool_acquire(pool, &second), KILN_ERR_POOL_EXHAUSTED);
  EXPECT_EQ(second, nullptr);
  EXPECT_FALSE(last_error().empty());
  kiln_pool_stats_t stats;
  kiln_pool_stats(pool, &stats);
  EXPECT_EQ(stats.leased, 1u);
  kiln_lease_release(first);
  ASSERT_EQ(kiln_pool_acquire(pool, &second), KILN_OK) << last_error();
  kiln_pool_stats(pool, &stats);
  EXPECT_EQ(stats.reused, 1u);
  // A lease outlives its pool's handle.
  kiln_pool_delete(pool);
  kiln_val_t out[1];
  EXPECT_EQ(kiln_instance_call(kiln_lease_instance(second), "answer", nullptr, 0, out, 1, nullptr), KILN_OK);
  EXPECT_EQ(out[0].of.i32, 42);
  kiln_lease_release(second);
}

TEST(CapiErrors, StatusAndTrapKindsHaveNames) {
  EXPECT_STREQ(kiln_status_name(KILN_OK), "ok");
  EXPECT_STREQ(kiln_status_name(KILN_ERR_POOL_EXHAUSTED), "pool exhausted");
  EXPECT_STREQ(kiln_trap_kind_name(KILN_TRAP_OUT_OF_FUEL), "out of fuel");
  EXPECT_STREQ(kiln_status_name(static_cast<kiln_status_t>(99)), "unknown status");
}

}  // namespace
