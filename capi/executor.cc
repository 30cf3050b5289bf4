// kiln_executor_* and kiln_exec_result_*: the platform's Executor
// (execute/executor.h) in the C API (include/kiln/kiln.h, "Executing
// extensions"). The config chooses LocalExecutor or RemoteExecutor; nothing
// after that knows which.
#include <chrono>
#include <memory>
#include <string>

#include "capi/internal.h"
#include "execute/exec_result_json.h"
#include "execute/executor.h"
#include "execute/local_executor.h"
#include "execute/remote_executor.h"

struct kiln_executor_t {
  std::unique_ptr<kiln::execute::Executor> executor;
};

struct kiln_exec_result_t {
  kiln::execute::ExecResult result;
  std::string json;  // made on the first kiln_exec_result_json
};

namespace {

using kiln::capi::fail;
using kiln::capi::guarded;
namespace execute = kiln::execute;

static_assert(static_cast<int>(execute::ExecStatus::Ok) == KILN_EXEC_OK);
static_assert(static_cast<int>(execute::ExecStatus::NotRun) == KILN_EXEC_NOT_RUN);
static_assert(static_cast<int>(execute::ExecStatus::InvalidInput) == KILN_EXEC_INVALID_INPUT);
static_assert(static_cast<int>(execute::ExecStatus::InvalidOutput) == KILN_EXEC_INVALID_OUTPUT);
static_assert(static_cast<int>(execute::ExecStatus::ExtensionFailed) == KILN_EXEC_EXTENSION_FAILED);
static_assert(static_cast<int>(execute::ExecStatus::Trapped) == KILN_EXEC_TRAPPED);
static_assert(static_cast<int>(execute::ExecStatus::OutOfFuel) == KILN_EXEC_OUT_OF_FUEL);
static_assert(static_cast<int>(execute::ExecStatus::Deadline) == KILN_EXEC_DEADLINE);
static_assert(static_cast<int>(execute::ExecStatus::Error) == KILN_EXEC_ERROR);
static_assert(execute::kExecStatusCount == KILN_EXEC_ERROR + 1);
static_assert(static_cast<int>(execute::Stage::Total) == KILN_STAGE_TOTAL);
static_assert(execute::kStageCount == KILN_EXEC_STAGE_COUNT);

kiln::Result<std::unique_ptr<execute::Executor>> open_executor(const kiln_executor_config_t& c) {
  if (c.url && *c.url) {
    execute::RemoteExecutorConfig config;
    config.url = c.url;
    if (c.token) config.token = c.token;
    if (c.timeout_ms) config.timeout = std::chrono::milliseconds(c.timeout_ms);
    auto remote = execute::RemoteExecutor::open(std::move(config));
    if (!remote) return remote.error();
    return std::unique_ptr<execute::Executor>(std::move(*remote));
  }
  execute::LocalExecutorConfig config;
  if (c.registry) config.registry_path = c.registry;
  if (c.poll_ms) config.poll_interval = std::chrono::milliseconds(c.poll_ms);
  auto local = execute::LocalExecutor::open(std::move(config));
  if (!local) return local.error();
  return std::unique_ptr<execute::Executor>(std::move(*local));
}

uint64_t ns(std::chrono::nanoseconds d) { return static_cast<uint64_t>(d.count()); }

static_assert(KILN_FORMAT_JSON == static_cast<int>(kiln::base::DataFormat::Json));
static_assert(KILN_FORMAT_MSGPACK == static_cast<int>(kiln::base::DataFormat::Msgpack));

// The Executor interface takes no options; both executors do.
execute::ExecResult execute_with(execute::Executor& executor, const char* ep, const char* scope,
                                 std::span<const uint8_t> input, const execute::CallOptions& options) {
  if (auto* local = dynamic_cast<execute::LocalExecutor*>(&executor)) return local->execute(ep, scope, input, options);
  if (auto* remote = dynamic_cast<execute::RemoteExecutor*>(&executor)) {
    return remote->execute(ep, scope, input, options);
  }
  return executor.execute(ep, scope, input);
}

}  // namespace

extern "C" {

void kiln_executor_config_init(kiln_executor_config_t* config) {
  if (config) *config = kiln_executor_config_t{};
}

kiln_status_t kiln_executor_new(const kiln_executor_config_t* config, kiln_executor_t** out) {
  return guarded("kiln_executor_new", [&] {
    KILN_CAPI_REQUIRE("kiln_executor_new", out);
    *out = nullptr;
    kiln_executor_config_t c{};
    if (config) c = *config;
    auto executor = open_executor(c);
    if (!executor) return fail(executor.error(), "kiln_executor_new: ");
    *out = new kiln_executor_t{std::move(*executor)};
    return KILN_OK;
  });
}

void kiln_executor_delete(kiln_executor_t* executor) { delete executor; }

void kiln_exec_options_init(kiln_exec_options_t* options) {
  if (options) *options = kiln_exec_options_t{KILN_FORMAT_JSON, KILN_FORMAT_JSON};
}

kiln_status_t kiln_executor_execute_with(kiln_executor_t* executor, const char* extension_point, const char* scope,
                                         const uint8_t* input, size_t size, const kiln_exec_options_t* options,
                                         kiln_exec_result_t** out) {
  return guarded("kiln_executor_execute_with", [&] {
    KILN_CAPI_REQUIRE("kiln_executor_execute_with", out);
    *out = nullptr;
    KILN_CAPI_REQUIRE("kiln_executor_execute_with", executor);
    KILN_CAPI_REQUIRE("kiln_executor_execute_with", extension_point);
    KILN_CAPI_REQUIRE("kiln_executor_execute_with", scope);
    if (!input && size != 0) {
      return fail(KILN_ERR_INVALID_ARGUMENT, "kiln_executor_execute_with: input is NULL with a size of " +
                                                 std::to_string(size));
    }
    execute::CallOptions call;
    if (options) {
      // Read as ints, never as the enum: a caller's stray value is not one.
      for (const kiln_data_format_t* format : {&options->input_format, &options->output_format}) {
        const int raw = kiln::capi::raw_enum(*format);
        if (raw != KILN_FORMAT_JSON && raw != KILN_FORMAT_MSGPACK) {
          return fail(KILN_ERR_INVALID_ARGUMENT,
                      "kiln_executor_execute_with: unknown data format " + std::to_string(raw) +
                          " (KILN_FORMAT_JSON or KILN_FORMAT_MSGPACK)");
        }
      }
      call.input_format = static_cast<kiln::base::DataFormat>(options->input_format);
      call.output_format = static_cast<kiln::base::DataFormat>(options->output_format);
    }
    auto result = std::make_unique<kiln_exec_result_t>();
    result->result = execute_with(*executor->executor, extension_point, scope, {input, size}, call);
    *out = result.release();
    return KILN_OK;
  });
}

kiln_status_t kiln_executor_execute(kiln_executor_t* executor, const char* extension_point, const char* scope,
                                    const uint8_t* input, size_t size, kiln_exec_result_t** out) {
  return guarded("kiln_executor_execute", [&] {
    KILN_CAPI_REQUIRE("kiln_executor_execute", out);
    *out = nullptr;
    KILN_CAPI_REQUIRE("kiln_executor_execute", executor);
    KILN_CAPI_REQUIRE("kiln_executor_execute", extension_point);
    KILN_CAPI_REQUIRE("kiln_executor_execute", scope);
    if (!input && size != 0) {
      return fail(KILN_ERR_INVALID_ARGUMENT, "kiln_executor_execute: input is NULL with a size of " +
                                                 std::to_string(size));
    }
    auto result = std::make_unique<kiln_exec_result_t>();
    result->result = executor->executor->execute(extension_point, scope, {input, size});
    *out = result.release();
    return KILN_OK;
  });
}

const char* kiln_exec_status_name(kiln_exec_status_t status) {
  int raw = kiln::capi::raw_enum(status);
  if (raw < 0 || raw >= execute::kExecStatusCount) return "unknown";
  return execute::to_string(static_cast<execute::ExecStatus>(raw));
}

const char* kiln_exec_stage_name(kiln_exec_stage_t stage) {
  int raw = kiln::capi::raw_enum(stage);
  if (raw < 0 || raw >= execute::kStageCount) return "unknown";
  return execute::to_string(static_cast<execute::Stage>(raw));
}

void kiln_exec_result_details(const kiln_exec_result_t* result, kiln_exec_details_t* out) {
  if (!result || !out) return;
  const execute::ExecResult& r = result->result;
  *out = kiln_exec_details_t{};
  out->status = static_cast<kiln_exec_status_t>(r.status);
  out->error_kind = r.error ? kiln::capi::status_of(*r.error) : KILN_OK;
  out->error_message = r.error ? r.error->message.c_str() : "";
  out->error_pointer = r.error && r.error->where.has_json_pointer ? r.error->where.json_pointer.c_str() : "";
  out->extension_point = r.extension_point.c_str();
  out->scope = r.scope.c_str();
  out->matched_scope = r.matched_scope.c_str();
  out->extension = r.extension.c_str();
  out->version = r.version;
  out->module_sha256 = r.module_sha256.c_str();
  out->backend = r.backend.c_str();
  out->exit_code = r.exit_code;
  out->log_truncated = r.log_truncated;
  out->input_validated = r.input_validated;
  out->input_bytes = r.input_bytes;
  out->fuel_used = r.fuel_used;
  out->fuel_limit = r.fuel_limit;
  out->memory_peak_bytes = r.memory_peak_bytes;
  out->memory_limit_bytes = r.memory_limit_bytes;
  out->run_ns = ns(r.run_time);
  out->time_limit_ns = ns(r.time_limit);
  out->network_ns = ns(r.network_time);
  for (int s = 0; s < execute::kStageCount; ++s) out->stage_ns[s] = ns(r.stages[s]);
}

bool kiln_exec_result_canary(const kiln_exec_result_t* result) { return result && result->result.canary; }

const char* kiln_exec_result_output(const kiln_exec_result_t* result, size_t* size) {
  const bool has = result && !result->result.output.empty();
  if (size) *size = has ? result->result.output.size() : 0;
  return has ? result->result.output.c_str() : nullptr;
}

kiln_data_format_t kiln_exec_result_output_format(const kiln_exec_result_t* result) {
  return result ? static_cast<kiln_data_format_t>(result->result.output_format) : KILN_FORMAT_JSON;
}

const char* kiln_exec_result_log(const kiln_exec_result_t* result, size_t* size) {
  if (size) *size = result ? result->result.log.size() : 0;
  return result ? result->result.log.c_str() : "";
}

const char* kiln_exec_result_json(kiln_exec_result_t* result, size_t* size) {
  if (!result) {
    if (size) *size = 0;
    return nullptr;
  }
  try {
    if (result->json.empty()) result->json = execute::to_json(result->result);
  } catch (...) {  // out of memory: no JSON, as for a NULL result
    if (size) *size = 0;
    return nullptr;
  }
  if (size) *size = result->json.size();
  return result->json.c_str();
}

void kiln_exec_result_delete(kiln_exec_result_t* result) { delete result; }

}  // extern "C"
