// The ExecResult JSON codec: what to_json writes, exec_result_from_json
// reads back, field for field (the remote Executor depends on it).
#include <gtest/gtest.h>

#include "execute/exec_result_json.h"

namespace kiln::execute {
namespace {

ExecResult sample() {
  ExecResult r;
  r.status = ExecStatus::InvalidOutput;
  r.error = make_error(ErrorKind::InvalidOutput, "output: /discounts/0: must be an object (type)");
  r.error->where.json_pointer = "/discounts/0";
  r.error->where.has_json_pointer = true;
  r.output = R"({"discounts":[1]})";
  r.log = "two lines\nof log\n";
  r.log_truncated = true;
  r.exit_code = 0;
  r.fuel_used = 91551;
  r.fuel_limit = 11200000;
  r.memory_peak_bytes = 131072;
  r.memory_limit_bytes = 16 << 20;
  r.run_time = std::chrono::nanoseconds(42774);
  r.time_limit = std::chrono::milliseconds(50);
  r.module_size = 52164;
  r.input_bytes = 1037;
  r.input_validated = true;
  r.extension_point = "checkout.discounts";
  r.scope = "shop-1";
  r.matched_scope = "*";
  r.extension = "discount";
  r.version = 3;
  r.module_sha256 = "7dff";
  r.backend = "aot";
  for (int s = 0; s < kStageCount; ++s) r.stages[s] = std::chrono::nanoseconds(100 * (s + 1));
  r.network_time = std::chrono::nanoseconds(31000);
  return r;
}

TEST(ExecResultJson, RoundTripsEveryField) {
  ExecResult original = sample();
  auto back = exec_result_from_json(to_json(original));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->status, original.status);
  ASSERT_TRUE(back->error);
  EXPECT_EQ(back->error->kind, ErrorKind::InvalidOutput);
  EXPECT_EQ(back->error->message, original.error->message);
  EXPECT_EQ(back->error->where.json_pointer, "/discounts/0");
  EXPECT_EQ(back->output, original.output);
  EXPECT_EQ(back->log, original.log);
  EXPECT_TRUE(back->log_truncated);
  EXPECT_EQ(back->fuel_used, original.fuel_used);
  EXPECT_EQ(back->fuel_limit, original.fuel_limit);
  EXPECT_EQ(back->memory_peak_bytes, original.memory_peak_bytes);
  EXPECT_EQ(back->memory_limit_bytes, original.memory_limit_bytes);
  EXPECT_EQ(back->run_time, original.run_time);
  EXPECT_EQ(back->time_limit, original.time_limit);
  EXPECT_EQ(back->module_size, original.module_size);
  EXPECT_EQ(back->input_bytes, original.input_bytes);
  EXPECT_TRUE(back->input_validated);
  EXPECT_EQ(back->extension_point, original.extension_point);
  EXPECT_EQ(back->scope, original.scope);
  EXPECT_EQ(back->matched_scope, original.matched_scope);
  EXPECT_EQ(back->extension, original.extension);
  EXPECT_EQ(back->version, original.version);
  EXPECT_EQ(back->module_sha256, original.module_sha256);
  EXPECT_EQ(back->backend, original.backend);
  EXPECT_EQ(back->stages, original.stages);
  EXPECT_EQ(back->network_time, original.network_time);
}

TEST(ExecResultJson, OutputThatIsNotJsonTravelsAsAString) {
  ExecResult r = sample();
  r.output = "not json";
  auto back = exec_result_from_json(to_json(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->output, "not json");
}

TEST(ExecResultJson, NotRunHasNoExtensionAndNoError) {
  ExecResult r;
  r.status = ExecStatus::NotRun;
  r.extension_point = "a.b";
  r.scope = "s";
  auto back = exec_result_from_json(to_json(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, ExecStatus::NotRun);
  EXPECT_FALSE(back->error);
  EXPECT_TRUE(back->extension.empty());
}

TEST(ExecResultJson, MalformedResultsAreRefused) {
  EXPECT_FALSE(exec_result_from_json("{"));
  EXPECT_FALSE(exec_result_from_json("[]"));
  EXPECT_FALSE(exec_result_from_json(R"({"status": "fine"})"));
  EXPECT_EQ(error_code(ErrorKind::InvalidOutput), "invalid_output");
  EXPECT_EQ(error_code(ErrorKind::OutOfFuel), "out_of_fuel");
}

}  // namespace
}  // namespace kiln::execute
