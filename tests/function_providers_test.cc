// host/function_providers.h on kiln's own guests: a provider directory
// holding linked_library.wasm as javy_quickjs_provider_v1.wasm, and
// functions importing from it, on both backends. Shopify's real providers
// are exercised through `kiln function-run` (shopify_functions_test.cc).
#include "host/function_providers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "embedding_test_support.h"
#include "kiln/wasi.h"

namespace kiln::test {
namespace {

class FunctionProviders : public OnEachBackend {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kiln-providers-" + std::to_string(::getpid()) + "-" + to_string(GetParam()));
    std::filesystem::create_directories(dir_);
    std::filesystem::copy_file(guest_path("linked_library"), dir_ / "javy_quickjs_provider_v1.wasm",
                               std::filesystem::copy_options::overwrite_existing);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_P(FunctionProviders, AFunctionGetsTheProviderItImports) {
  host::FunctionProviders providers(engine_, dir_.string());
  Module function = load_guest("provider_user");
  Store store(engine_);
  Linker linker;
  host::add_wasi(linker);
  auto provider = providers.link(function, store, linker);
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  ASSERT_TRUE(provider->has_value());
  auto instance = store.instantiate(function, linker);
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  CallResult result = instance->call("run", {});
  ASSERT_TRUE(result.returned()) << result.trap.describe() << result.error;
  EXPECT_EQ(result.values[0].i32, 42u);
  EXPECT_GT(result.fuel_used, 10u);  // the provider's loop is counted with the function's
}

TEST_P(FunctionProviders, TheProviderIsCompiledOnce) {
  host::FunctionProviders providers(engine_, dir_.string());
  auto first = providers.provider("javy_quickjs_provider_v1");
  auto second = providers.provider("javy_quickjs_provider_v1");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(&first->impl(), &second->impl());
}

TEST_P(FunctionProviders, AMissingProviderNamesTheImportAndTheDirectory) {
  std::filesystem::remove(dir_ / "javy_quickjs_provider_v1.wasm");
  host::FunctionProviders providers(engine_, dir_.string());
  Store store(engine_);
  Linker linker;
  auto refused = providers.link(load_guest("provider_user"), store, linker);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Io);
  EXPECT_NE(refused.error().message.find("javy_quickjs_provider_v1"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find(dir_.string()), std::string::npos) << refused.error().message;
}

TEST_P(FunctionProviders, TwoProvidersAreRefused) {
  auto refused = host::function_provider(load_guest("two_providers").info());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Link);
  EXPECT_NE(refused.error().message.find("javy_quickjs_provider_v3 and shopify_functions_javy_v1"), std::string::npos)
      << refused.error().message;
}

TEST_P(FunctionProviders, AModuleWithoutProviderNeedsNone) {
  host::FunctionProviders providers(engine_, "");
  Store store(engine_);
  Linker linker;
  auto none = providers.link(load_guest("linked_library"), store, linker);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, FunctionProviders, ::testing::Values(BackendKind::Interp, BackendKind::Aot),
                         backend_name);

TEST(FunctionProviderNames, AreFunctionRunnersList) {
  for (const char* name : {"javy_quickjs_provider_v1", "javy_quickjs_provider_v3", "shopify_functions_javy_v1",
                           "shopify_functions_javy_v4", "shopify_function_v1", "shopify_function_v2"}) {
    EXPECT_TRUE(host::is_function_provider(name)) << name;
  }
  for (const char* name : {"javy_quickjs_provider_v4", "javy_quickjs_provider_v", "shopify_function_v3",
                           "shopify_function_v1x", "wasi_snapshot_preview1", "env"}) {
    EXPECT_FALSE(host::is_function_provider(name)) << name;
  }
  EXPECT_TRUE(host::provider_uses_memory_io("shopify_functions_javy_v3"));
  EXPECT_FALSE(host::provider_uses_memory_io("shopify_functions_javy_v2"));
  EXPECT_TRUE(host::provider_uses_messagepack("shopify_functions_javy_v2"));
  EXPECT_FALSE(host::provider_uses_messagepack("javy_quickjs_provider_v3"));
  EXPECT_TRUE(host::provider_uses_messagepack("shopify_function_v1"));
}

}  // namespace
}  // namespace kiln::test
