// A fresh registry in a temporary folder, the test extension point
// (tests/guests/platform_behave.c's contract), deploys and an executor on
// it: what the platform tests share.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "deploy/extension_deploy.h"
#include "execute/local_executor.h"
#include "registry/registry.h"
#include "test_support.h"

namespace kiln::test {

// The test extension point: input may carry a "mode" and a cart whose
// lines need a quantity >= 1; output needs "result" to be a number when
// present; config may only have a string "greeting".
inline std::string behave_extension_point(const std::string& name = "test.behave", const std::string& extra = "") {
  return R"({"name": ")" + name + R"(", "abi": "wasi-command",
    "input_schema": {"type": "object", "properties": {
        "mode": {"type": "string"},
        "cart": {"type": "object", "properties": {"lines": {"type": "array", "items": {
            "type": "object", "properties": {"quantity": {"type": "integer", "minimum": 1}},
            "required": ["quantity"]}}}}}},
    "output_schema": {"type": "object", "properties": {"result": {"type": "number"}}},
    "config_schema": {"type": "object", "properties": {"greeting": {"type": "string"}},
                      "additionalProperties": false},
    "limits": {"fuel": 5000000, "fuel_per_kib": 10000, "timeout": "5s", "max_log": 1000,
               "max_output": 20000, "memory": "16MiB"})" + extra + "}";
}

class PlatformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kiln-platform-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto registry = registry::Registry::open(registry_path());
    ASSERT_TRUE(registry) << registry.error().message;
    registry_ = std::move(*registry);
  }
  void TearDown() override {
    executor_.reset();
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string registry_path() const { return (dir_ / "registry.db").string(); }

  void create_ep(const std::string& json) {
    auto ep = registry::parse_extension_point(json, "test");
    ASSERT_TRUE(ep) << ep.error().message;
    auto created = registry_->create_extension_point(*ep, "tester");
    ASSERT_TRUE(created) << created.error().message;
  }

  Result<deploy::ExtensionDeployResult> deploy(const std::string& guest, const std::string& scope,
                                               const std::string& name = "ext", const std::string& config = "",
                                               const std::string& ep = "test.behave", int64_t priority = 0,
                                               std::optional<int> canary_percent = std::nullopt) {
    auto bytes = read_file(guest_path(guest));
    deploy::ExtensionDeployRequest request;
    request.module_name = guest + ".wasm";
    request.extension_point = ep;
    request.scope = scope;
    request.name = name;
    request.config = config;
    request.priority = priority;
    request.who = "tester";
    request.canary_percent = canary_percent;
    return deploy::deploy_extension(*registry_, bytes, request);
  }

  execute::LocalExecutor& executor() {
    if (!executor_) {
      execute::LocalExecutorConfig config;
      config.registry_path = registry_path();
      config.poll_interval = std::chrono::milliseconds(50);
      auto opened = execute::LocalExecutor::open(config);
      EXPECT_TRUE(opened) << opened.error().message;
      executor_ = std::move(*opened);
    }
    EXPECT_TRUE(executor_->refresh());
    return *executor_;
  }

  execute::ExecResult exec(const std::string& input, const std::string& scope = "shop-1",
                           const std::string& ep = "test.behave") {
    return executor().execute(ep, scope, {reinterpret_cast<const uint8_t*>(input.data()), input.size()});
  }

  std::filesystem::path dir_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<execute::LocalExecutor> executor_;
};

}  // namespace kiln::test
