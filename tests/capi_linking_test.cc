// Linking module to module through the C API (issue 17, item 1):
// kiln_linker_define_instance makes an instance's exports — its memory and
// functions — importable by another module in the same store, as a Shopify
// function imports its provider; another store's instantiation is refused.
#include <gtest/gtest.h>

#include <string>

#include "kiln/kiln.h"
#include "tests/test_support.h"

namespace {

std::string last_error() { return kiln_last_error(); }

class CapiLinking : public ::testing::TestWithParam<kiln_backend_t> {
 protected:
  void SetUp() override {
    kiln_engine_config_t config;
    kiln_engine_config_init(&config);
    config.backend = GetParam();
    config.cache_dir = KILN_AOT_TEST_CACHE;
    ASSERT_EQ(kiln_engine_new(&config, &engine_), KILN_OK) << last_error();
    ASSERT_EQ(kiln_module_from_file(engine_, kiln::test::guest_path("linked_library").c_str(), &library_), KILN_OK)
        << last_error();
    ASSERT_EQ(kiln_module_from_file(engine_, kiln::test::guest_path("linked_user").c_str(), &user_), KILN_OK)
        << last_error();
    ASSERT_EQ(kiln_linker_new(&empty_), KILN_OK);
    ASSERT_EQ(kiln_linker_new(&linker_), KILN_OK);
    ASSERT_EQ(kiln_store_new(engine_, &store_), KILN_OK);
  }
  void TearDown() override {
    if (other_) kiln_store_delete(other_);
    kiln_store_delete(store_);
    kiln_linker_delete(linker_);
    kiln_linker_delete(empty_);
    kiln_module_delete(user_);
    kiln_module_delete(library_);
    kiln_engine_delete(engine_);
  }

  kiln_engine_t* engine_ = nullptr;
  kiln_module_t *library_ = nullptr, *user_ = nullptr;
  kiln_linker_t *empty_ = nullptr, *linker_ = nullptr;
  kiln_store_t *store_ = nullptr, *other_ = nullptr;
};

TEST_P(CapiLinking, AModuleRunsOnAnotherInstancesMemoryAndFunctions) {
  kiln_instance_t* library = nullptr;
  ASSERT_EQ(kiln_store_instantiate(store_, library_, empty_, &library), KILN_OK) << last_error();
  ASSERT_EQ(kiln_linker_define_instance(linker_, "library", library), KILN_OK) << last_error();
  kiln_instance_t* user = nullptr;
  ASSERT_EQ(kiln_store_instantiate(store_, user_, linker_, &user), KILN_OK) << last_error();
  kiln_val_t n{};
  n.kind = KILN_I32;
  n.of.i32 = 10;
  kiln_val_t sum{};
  ASSERT_EQ(kiln_instance_call(user, "sum_to", &n, 1, &sum, 1, nullptr), KILN_OK) << last_error();
  EXPECT_EQ(sum.of.i32, 55);  // added up by the library, over bytes the user wrote into the shared memory
  size_t library_size = 0, user_size = 0;
  EXPECT_EQ(kiln_instance_memory(user, &user_size), kiln_instance_memory(library, &library_size));
  EXPECT_EQ(user_size, library_size);
}

TEST_P(CapiLinking, AnotherStoresInstantiationIsRefused) {
  kiln_instance_t* library = nullptr;
  ASSERT_EQ(kiln_store_instantiate(store_, library_, empty_, &library), KILN_OK) << last_error();
  ASSERT_EQ(kiln_linker_define_instance(linker_, "library", library), KILN_OK);
  ASSERT_EQ(kiln_store_new(engine_, &other_), KILN_OK);
  kiln_instance_t* user = nullptr;
  EXPECT_EQ(kiln_store_instantiate(other_, user_, linker_, &user), KILN_ERR_LINK);
  EXPECT_NE(last_error().find("another Store"), std::string::npos) << last_error();
  EXPECT_EQ(kiln_linker_define_instance(linker_, "library", nullptr), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_linker_define_instance(nullptr, "library", library), KILN_ERR_INVALID_ARGUMENT);
}

INSTANTIATE_TEST_SUITE_P(Backends, CapiLinking, ::testing::Values(KILN_BACKEND_INTERP, KILN_BACKEND_AOT),
                         [](const ::testing::TestParamInfo<kiln_backend_t>& info) {
                           return std::string(info.param == KILN_BACKEND_AOT ? "aot" : "interp");
                         });

}  // namespace
