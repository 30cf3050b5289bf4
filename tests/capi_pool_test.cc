// Instance pools through the C API: a lease gets a ready instance, takes a
// WASI context and an input for one request, and the next lease sees none
// of it (the examples' guest, examples/checkout_discount.c, on the aot
// backend, which resets instances in place).
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "kiln/kiln.h"

namespace {

std::string last_error() { return kiln_last_error(); }

void tier_rate(void*, kiln_caller_t*, const kiln_val_t* args, size_t, kiln_val_t* results, size_t) {
  results[0].of.i32 = args[0].of.i32 * 10;
}

class CapiPool : public ::testing::Test {
 protected:
  void SetUp() override {
    kiln_engine_config_t config;
    kiln_engine_config_init(&config);
    config.cache_dir = KILN_AOT_TEST_CACHE;
    ASSERT_EQ(kiln_engine_new(&config, &engine_), KILN_OK) << last_error();
    std::string path = std::string(KILN_EXAMPLES_DIR) + "/checkout_discount.wasm";
    ASSERT_EQ(kiln_module_from_file(engine_, path.c_str(), &module_), KILN_OK) << last_error();
    ASSERT_EQ(kiln_linker_new(&linker_), KILN_OK);
    ASSERT_EQ(kiln_linker_define_wasi(linker_), KILN_OK);
    const kiln_valkind_t i32 = KILN_I32;
    ASSERT_EQ(kiln_linker_define_func(linker_, "env", "tier_rate", &i32, 1, &i32, 1, tier_rate, nullptr, nullptr),
              KILN_OK);
    kiln_pool_config_t config_pool;
    kiln_pool_config_init(&config_pool);
    config_pool.max_instances = 2;
    config_pool.limits.fuel = 1'000'000;
    ASSERT_EQ(kiln_pool_new(module_, linker_, &config_pool, &pool_), KILN_OK) << last_error();
  }
  void TearDown() override {
    kiln_pool_delete(pool_);
    kiln_linker_delete(linker_);
    kiln_module_delete(module_);
    kiln_engine_delete(engine_);
  }

  kiln_engine_t* engine_ = nullptr;
  kiln_module_t* module_ = nullptr;
  kiln_linker_t* linker_ = nullptr;
  kiln_pool_t* pool_ = nullptr;
};

kiln_val_t i32(int32_t v) {
  kiln_val_t r{};
  r.kind = KILN_I32;
  r.of.i32 = v;
  return r;
}

TEST_F(CapiPool, ALeaseServesOneRequestAndTheNextSeesNoneOfIt) {
  kiln_lease_t* lease = nullptr;
  ASSERT_EQ(kiln_pool_acquire(pool_, &lease), KILN_OK) << last_error();
  kiln_store_t* store = kiln_lease_store(lease);
  kiln_instance_t* instance = kiln_lease_instance(lease);
  kiln_limits_t limits;
  kiln_store_get_limits(store, &limits);
  EXPECT_EQ(limits.fuel, 1'000'000u);  // the pool's, not the default
  kiln_wasi_config_t wasi{};
  ASSERT_EQ(kiln_store_set_wasi(store, &wasi), KILN_OK) << last_error();

  const char cart[] = "2 5000";
  uint32_t at = 0;
  ASSERT_EQ(kiln_instance_write_input(instance, cart, sizeof cart - 1, &at), KILN_OK) << last_error();
  kiln_val_t args[2] = {i32(static_cast<int32_t>(at)), i32(sizeof cart - 1)};
  kiln_val_t out[1];
  kiln_call_result_t result;
  ASSERT_EQ(kiln_instance_call(instance, "discount", args, 2, out, 1, &result), KILN_OK) << last_error();
  EXPECT_EQ(out[0].of.i32, 1000);
  EXPECT_EQ(std::string(result.stdout_data, result.stdout_size), "tier 2: 20% off 5000 cents\n");
  kiln_val_t secret = i32(1234);
  ASSERT_EQ(kiln_instance_call(instance, "remember", &secret, 1, out, 1, nullptr), KILN_OK) << last_error();
  // A lease's store holds its pooled instance only.
  kiln_instance_t* extra = nullptr;
  EXPECT_EQ(kiln_store_instantiate(store, module_, linker_, &extra), KILN_ERR_INVALID_ARGUMENT);
  kiln_lease_release(lease);

  ASSERT_EQ(kiln_pool_acquire(pool_, &lease), KILN_OK) << last_error();
  instance = kiln_lease_instance(lease);
  kiln_val_t probe = i32(1);
  ASSERT_EQ(kiln_instance_call(instance, "remember", &probe, 1, out, 1, nullptr), KILN_OK) << last_error();
  EXPECT_EQ(out[0].of.i32, 0);  // not 1234
  // The WASI context went with the previous lease.
  ASSERT_EQ(kiln_instance_write_input(instance, cart, sizeof cart - 1, &at), KILN_OK) << last_error();
  args[0] = i32(static_cast<int32_t>(at));
  EXPECT_EQ(kiln_instance_call(instance, "discount", args, 2, out, 1, &result), KILN_ERR_TRAP);
  EXPECT_EQ(result.trap_kind, KILN_TRAP_HOST_ERROR);
  kiln_lease_release(lease);

  kiln_pool_stats_t stats;
  kiln_pool_stats(pool_, &stats);
  EXPECT_EQ(stats.created, 1u);
  EXPECT_EQ(stats.reused, 1u);
  EXPECT_EQ(stats.leased, 0u);
}

}  // namespace
