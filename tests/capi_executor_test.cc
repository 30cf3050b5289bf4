// kiln_executor_* (include/kiln/kiln.h, "Executing extensions"): the
// platform's Executor through the C API, on a registry the test deploys to,
// and a remote executor whose service is down.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "kiln/kiln.h"
#include "platform_test_support.h"

namespace {

using kiln::test::behave_extension_point;
using kiln::test::PlatformTest;

// A result freed at scope exit.
struct ResultHandle {
  kiln_exec_result_t* result = nullptr;
  ~ResultHandle() { kiln_exec_result_delete(result); }
  kiln_exec_details_t details() const {
    kiln_exec_details_t d;
    kiln_exec_result_details(result, &d);
    return d;
  }
  std::string output() const {
    size_t size = 0;
    const char* text = kiln_exec_result_output(result, &size);
    return text ? std::string(text, size) : std::string();
  }
  std::string log() const {
    size_t size = 0;
    const char* text = kiln_exec_result_log(result, &size);
    return std::string(text, size);
  }
};

class CapiExecutorTest : public PlatformTest {
 protected:
  void SetUp() override {
    PlatformTest::SetUp();
    create_ep(behave_extension_point());
    ASSERT_TRUE(deploy("platform_behave", "shop-1", "behave", R"({"greeting": "hi"})"));
    kiln_executor_config_t config;
    kiln_executor_config_init(&config);
    registry_file_ = registry_path();
    config.registry = registry_file_.c_str();
    config.poll_ms = 20;
    ASSERT_EQ(kiln_executor_new(&config, &executor_), KILN_OK) << kiln_last_error();
  }
  void TearDown() override {
    kiln_executor_delete(executor_);
    PlatformTest::TearDown();
  }

  ResultHandle run(const std::string& input, const char* scope = "shop-1", const char* ep = "test.behave") {
    ResultHandle handle;
    EXPECT_EQ(kiln_executor_execute(executor_, ep, scope, reinterpret_cast<const uint8_t*>(input.data()),
                                    input.size(), &handle.result),
              KILN_OK)
        << kiln_last_error();
    return handle;
  }

  std::string registry_file_;
  kiln_executor_t* executor_ = nullptr;
};

TEST_F(CapiExecutorTest, RunsTheBoundExtensionAndReportsWhatItCost) {
  ResultHandle r = run(R"({"mode":"echo","cart":{"lines":[{"quantity":2}]}})");
  kiln_exec_details_t d = r.details();
  ASSERT_EQ(d.status, KILN_EXEC_OK) << d.error_message;
  EXPECT_STREQ(kiln_exec_status_name(d.status), "ok");
  EXPECT_EQ(d.error_kind, KILN_OK);
  EXPECT_STREQ(d.error_message, "");
  // The guest echoes its stdin: the input with the config spliced in.
  EXPECT_EQ(r.output(), R"({"mode":"echo","cart":{"lines":[{"quantity":2}]},"config":{"greeting":"hi"}})");
  EXPECT_EQ(r.log(), "echo: 76 bytes\n");
  EXPECT_STREQ(d.extension_point, "test.behave");
  EXPECT_STREQ(d.scope, "shop-1");
  EXPECT_STREQ(d.matched_scope, "shop-1");
  EXPECT_STREQ(d.extension, "behave");
  EXPECT_EQ(d.version, 1);
  EXPECT_EQ(std::string(d.module_sha256).size(), 64u);
  EXPECT_GT(d.fuel_used, 0u);
  EXPECT_LE(d.fuel_used, d.fuel_limit);
  EXPECT_EQ(d.memory_limit_bytes, 16u << 20);
  EXPECT_GT(d.memory_peak_bytes, 0u);
  EXPECT_EQ(d.time_limit_ns, 5'000'000'000u);
  EXPECT_EQ(d.network_ns, 0u);
  EXPECT_GT(d.stage_ns[KILN_STAGE_RUN], 0u);
  EXPECT_GE(d.stage_ns[KILN_STAGE_TOTAL], d.stage_ns[KILN_STAGE_RUN]);
  EXPECT_STREQ(kiln_exec_stage_name(KILN_STAGE_VALIDATE_OUTPUT), "validate_output");
  size_t size = 0;
  std::string json(kiln_exec_result_json(r.result, &size), size);
  EXPECT_NE(json.find(R"("status":"ok")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("extension":"behave")"), std::string::npos) << json;
}

TEST_F(CapiExecutorTest, AResultSaysWhenACanaryAnswered) {
  EXPECT_FALSE(kiln_exec_result_canary(run("{}").result));
  ASSERT_TRUE(deploy("platform_v2", "shop-1", "behave", "", "test.behave", 0, 100));
  for (int i = 0; i < 500; ++i) {  // the executor's poller picks the deploy up
    ResultHandle r = run("{}");
    if (r.details().version != 2) {
      EXPECT_FALSE(kiln_exec_result_canary(r.result));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    EXPECT_TRUE(kiln_exec_result_canary(r.result));
    EXPECT_EQ(r.output(), R"({"result":2})");
    EXPECT_FALSE(kiln_exec_result_canary(nullptr));
    return;
  }
  FAIL() << "the executor never saw the canary";
}

TEST_F(CapiExecutorTest, EveryOutcomeIsAResultWithItsStatusAndError) {
  ResultHandle none = run("{}", "shop-2");
  EXPECT_EQ(none.details().status, KILN_EXEC_NOT_RUN);
  EXPECT_EQ(none.details().error_kind, KILN_OK);
  EXPECT_EQ(kiln_exec_result_output(none.result, nullptr), nullptr);

  ResultHandle bad = run(R"({"cart":{"lines":[{"quantity":0}]}})");
  EXPECT_EQ(bad.details().status, KILN_EXEC_INVALID_INPUT);
  EXPECT_EQ(bad.details().error_kind, KILN_ERR_INVALID_INPUT);
  EXPECT_STREQ(bad.details().error_pointer, "/cart/lines/0/quantity");

  ResultHandle failed = run(R"({"mode":"exit3"})");
  EXPECT_EQ(failed.details().status, KILN_EXEC_EXTENSION_FAILED);
  EXPECT_EQ(failed.details().exit_code, 3);
  EXPECT_EQ(failed.log(), "giving up: bad cart\n");

  ResultHandle trapped = run(R"({"mode":"trap"})");
  EXPECT_EQ(trapped.details().status, KILN_EXEC_TRAPPED);
  EXPECT_EQ(trapped.details().error_kind, KILN_ERR_TRAP);

  ResultHandle spun = run(R"({"mode":"spin"})");
  EXPECT_EQ(spun.details().status, KILN_EXEC_OUT_OF_FUEL);
  EXPECT_GE(spun.details().fuel_used, spun.details().fuel_limit);

  ResultHandle wrong = run(R"({"mode":"badshape"})");
  EXPECT_EQ(wrong.details().status, KILN_EXEC_INVALID_OUTPUT);
  EXPECT_STREQ(wrong.details().error_pointer, "/result");

  ResultHandle unknown = run("{}", "shop-1", "no.such.point");
  EXPECT_EQ(unknown.details().status, KILN_EXEC_ERROR);
  EXPECT_EQ(unknown.details().error_kind, KILN_ERR_NOT_FOUND);
  EXPECT_NE(std::string(unknown.details().error_message).find("no.such.point"), std::string::npos);
}

TEST_F(CapiExecutorTest, ADeployMadeAfterOpeningIsPickedUp) {
  EXPECT_EQ(run("{}", "shop-9").details().status, KILN_EXEC_NOT_RUN);
  ASSERT_TRUE(deploy("platform_behave", "shop-9", "late"));
  for (int i = 0; i < 500; ++i) {
    ResultHandle r = run("{}", "shop-9");
    if (r.details().status == KILN_EXEC_OK) {
      EXPECT_STREQ(r.details().extension, "late");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL() << "the executor never saw the new deploy";
}

TEST_F(CapiExecutorTest, BadArgumentsAreRefusedByName) {
  kiln_exec_result_t* out = nullptr;
  EXPECT_EQ(kiln_executor_execute(nullptr, "test.behave", "s", nullptr, 0, &out), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(kiln_last_error()).find("executor is NULL"), std::string::npos) << kiln_last_error();
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(kiln_executor_execute(executor_, "test.behave", nullptr, nullptr, 0, &out), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_executor_execute(executor_, "test.behave", "s", nullptr, 3, &out), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(kiln_last_error()).find("input is NULL"), std::string::npos) << kiln_last_error();
  EXPECT_EQ(kiln_executor_new(nullptr, nullptr), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_exec_status_name(static_cast<kiln_exec_status_t>(99)), "unknown");
  // NULL results are harmless everywhere.
  kiln_exec_result_details(nullptr, nullptr);
  EXPECT_EQ(kiln_exec_result_json(nullptr, nullptr), nullptr);
  kiln_exec_result_delete(nullptr);
  kiln_executor_delete(nullptr);
}

TEST(CapiExecutor, ARegistryThatCannotBeOpenedIsAnIoError) {
  kiln_executor_config_t config;
  kiln_executor_config_init(&config);
  config.registry = "/proc/kiln-no-such-dir/registry.db";
  kiln_executor_t* executor = nullptr;
  EXPECT_EQ(kiln_executor_new(&config, &executor), KILN_ERR_IO) << kiln_last_error();
  EXPECT_EQ(executor, nullptr);
  EXPECT_NE(std::string(kiln_last_error()).find("/proc/kiln-no-such-dir"), std::string::npos) << kiln_last_error();
}

TEST(CapiExecutor, ARemoteServiceThatIsDownGivesNotRun) {
  kiln_executor_config_t config;
  kiln_executor_config_init(&config);
  config.url = "http://127.0.0.1:1";
  config.token = "secret";
  config.timeout_ms = 200;
  kiln_executor_t* executor = nullptr;
  ASSERT_EQ(kiln_executor_new(&config, &executor), KILN_OK) << kiln_last_error();
  kiln_exec_result_t* result = nullptr;
  const std::string input = "{}";
  ASSERT_EQ(kiln_executor_execute(executor, "checkout.discounts", "shop-1",
                                  reinterpret_cast<const uint8_t*>(input.data()), input.size(), &result),
            KILN_OK);
  kiln_exec_details_t d;
  kiln_exec_result_details(result, &d);
  EXPECT_EQ(d.status, KILN_EXEC_NOT_RUN);
  EXPECT_EQ(d.error_kind, KILN_ERR_IO);
  EXPECT_NE(std::string(d.error_message).find("127.0.0.1:1"), std::string::npos) << d.error_message;
  EXPECT_EQ(std::string(d.error_message).find("secret"), std::string::npos);
  kiln_exec_result_delete(result);
  kiln_executor_delete(executor);

  config.url = "ftp://example.com";
  EXPECT_EQ(kiln_executor_new(&config, &executor), KILN_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(kiln_last_error()).find("ftp://example.com"), std::string::npos) << kiln_last_error();
}

}  // namespace
