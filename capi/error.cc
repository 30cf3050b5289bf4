// Errors, statuses, trap kinds and values: what every part of the C API
// reports with (include/kiln/kiln.h, "Errors" and "Per-call results").
#include <cstring>

#include "capi/internal.h"

namespace kiln::capi {

namespace {
// Per thread, so that concurrent callers never see each other's failures.
thread_local std::string t_last_error = "no error";
}  // namespace

// Every ErrorKind is the kiln_status_t of the same number.
#define KILN_SAME(kind, status) static_assert(static_cast<int>(ErrorKind::kind) == status, #kind " != " #status)
KILN_SAME(InvalidArgument, KILN_ERR_INVALID_ARGUMENT);
KILN_SAME(InvalidModule, KILN_ERR_INVALID_MODULE);
KILN_SAME(Link, KILN_ERR_LINK);
KILN_SAME(Trap, KILN_ERR_TRAP);
KILN_SAME(OutOfFuel, KILN_ERR_OUT_OF_FUEL);
KILN_SAME(Deadline, KILN_ERR_DEADLINE);
KILN_SAME(Exit, KILN_ERR_EXIT);
KILN_SAME(PoolExhausted, KILN_ERR_POOL_EXHAUSTED);
KILN_SAME(Io, KILN_ERR_IO);
KILN_SAME(Unsupported, KILN_ERR_UNSUPPORTED);
KILN_SAME(Internal, KILN_ERR_INTERNAL);
KILN_SAME(NotFound, KILN_ERR_NOT_FOUND);
KILN_SAME(InvalidDefinition, KILN_ERR_INVALID_DEFINITION);
KILN_SAME(Contract, KILN_ERR_CONTRACT);
KILN_SAME(InvalidConfig, KILN_ERR_INVALID_CONFIG);
KILN_SAME(InvalidInput, KILN_ERR_INVALID_INPUT);
KILN_SAME(InvalidOutput, KILN_ERR_INVALID_OUTPUT);
KILN_SAME(ExtensionFailed, KILN_ERR_EXTENSION_FAILED);
KILN_SAME(AlreadyExists, KILN_ERR_ALREADY_EXISTS);
#undef KILN_SAME
constexpr int kLastStatus = KILN_ERR_ALREADY_EXISTS;
static_assert(kLastStatus == static_cast<int>(kLastErrorKind), "a new ErrorKind needs its kiln_status_t");

kiln_status_t fail(kiln_status_t status, std::string message) {
  t_last_error = std::move(message);
  return status;
}

kiln_status_t fail(const Error& error, std::string_view prefix) {
  return fail(status_of(error), std::string(prefix) + error.message);
}

kiln_trap_kind_t to_c(TrapKind kind) {
  switch (kind) {
    case TrapKind::Unreachable: return KILN_TRAP_UNREACHABLE;
    case TrapKind::MemoryOutOfBounds: return KILN_TRAP_MEMORY_OUT_OF_BOUNDS;
    case TrapKind::TableOutOfBounds: return KILN_TRAP_TABLE_OUT_OF_BOUNDS;
    case TrapKind::IntegerDivideByZero: return KILN_TRAP_INTEGER_DIVIDE_BY_ZERO;
    case TrapKind::IntegerOverflow: return KILN_TRAP_INTEGER_OVERFLOW;
    case TrapKind::InvalidConversion: return KILN_TRAP_INVALID_CONVERSION;
    case TrapKind::CallStackExhausted: return KILN_TRAP_CALL_STACK_EXHAUSTED;
    case TrapKind::IndirectCallTypeMismatch: return KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH;
    case TrapKind::IndirectCallNull: return KILN_TRAP_INDIRECT_CALL_NULL;
    case TrapKind::OutOfFuel: return KILN_TRAP_OUT_OF_FUEL;
    case TrapKind::Deadline: return KILN_TRAP_DEADLINE;
    case TrapKind::HostError: return KILN_TRAP_HOST_ERROR;
  }
  return KILN_TRAP_HOST_ERROR;
}

kiln_status_t status_of(const Trap& trap) { return static_cast<kiln_status_t>(error_kind(trap.kind)); }

std::optional<ValType> to_val_type(const kiln_valkind_t& kind) {
  switch (raw_enum(kind)) {
    case KILN_I32: return ValType::I32;
    case KILN_I64: return ValType::I64;
    case KILN_F32: return ValType::F32;
    case KILN_F64: return ValType::F64;
  }
  return std::nullopt;
}

std::optional<kiln_valkind_t> to_c(ValType type) {
  switch (type) {
    case ValType::I32: return KILN_I32;
    case ValType::I64: return KILN_I64;
    case ValType::F32: return KILN_F32;
    case ValType::F64: return KILN_F64;
    default: return std::nullopt;
  }
}

Value to_value(const kiln_val_t& value) {
  switch (raw_enum(value.kind)) {
    case KILN_I32: return Value::from_i32(value.of.i32);
    case KILN_I64: return Value::from_i64(value.of.i64);
    case KILN_F32: return Value::from_f32(value.of.f32);
    case KILN_F64: return Value::from_f64(value.of.f64);
  }
  return Value{};
}

std::optional<kiln_val_t> to_c(const Value& value) {
  kiln_val_t out;
  std::memset(&out, 0, sizeof out);
  switch (value.type) {
    case ValType::I32: out.kind = KILN_I32; out.of.i32 = static_cast<int32_t>(value.i32); return out;
    case ValType::I64: out.kind = KILN_I64; out.of.i64 = static_cast<int64_t>(value.i64); return out;
    case ValType::F32: out.kind = KILN_F32; out.of.f32 = value.f32(); return out;
    case ValType::F64: out.kind = KILN_F64; out.of.f64 = value.f64(); return out;
    default: return std::nullopt;
  }
}

kiln_status_t report_call(kiln_store_t& store, kiln_call_result_t* out, const std::string& what) {
  const CallResult& call = store.last_call;
  kiln_status_t status = KILN_OK;
  std::string message;
  switch (call.status) {
    case CallResult::Status::Returned: break;
    case CallResult::Status::Trapped:
      status = status_of(call.trap);
      message = what + ": " + call.trap.describe();
      break;
    case CallResult::Status::Exited:
      status = KILN_ERR_EXIT;
      message = what + ": the guest exited with code " + std::to_string(call.exit_code);
      break;
    case CallResult::Status::Failed:
      status = KILN_ERR_INVALID_ARGUMENT;
      message = what + ": " + call.error;
      break;
  }
  if (out) {
    out->status = status;
    out->trap_kind = call.trapped() ? to_c(call.trap.kind) : KILN_TRAP_NONE;
    out->trap_message = call.trapped() ? call.trap.message.c_str() : "";
    out->exit_code = call.exit_code;
    out->fuel_used = call.fuel_used;
    out->memory_peak_bytes = call.memory_peak_bytes;
    out->elapsed_ns = static_cast<uint64_t>(call.elapsed.count());
    out->stdout_data = call.stdout_bytes.data();
    out->stdout_size = call.stdout_bytes.size();
    out->stderr_data = call.stderr_bytes.data();
    out->stderr_size = call.stderr_bytes.size();
  }
  if (status != KILN_OK) fail(status, std::move(message));
  return status;
}

}  // namespace kiln::capi

extern "C" {

const char* kiln_last_error(void) { return kiln::capi::t_last_error.c_str(); }

const char* kiln_status_name(kiln_status_t status) {
  const int raw = kiln::capi::raw_enum(status);
  if (raw == KILN_OK) return "ok";
  if (raw < 1 || raw > kiln::capi::kLastStatus) return "unknown status";
  return kiln::to_string(static_cast<kiln::ErrorKind>(raw));
}

const char* kiln_trap_kind_name(kiln_trap_kind_t kind) {
  using kiln::TrapKind;
  switch (kiln::capi::raw_enum(kind)) {
    case KILN_TRAP_NONE: return "none";
    case KILN_TRAP_UNREACHABLE: return to_string(TrapKind::Unreachable);
    case KILN_TRAP_MEMORY_OUT_OF_BOUNDS: return to_string(TrapKind::MemoryOutOfBounds);
    case KILN_TRAP_TABLE_OUT_OF_BOUNDS: return to_string(TrapKind::TableOutOfBounds);
    case KILN_TRAP_INTEGER_DIVIDE_BY_ZERO: return to_string(TrapKind::IntegerDivideByZero);
    case KILN_TRAP_INTEGER_OVERFLOW: return to_string(TrapKind::IntegerOverflow);
    case KILN_TRAP_INVALID_CONVERSION: return to_string(TrapKind::InvalidConversion);
    case KILN_TRAP_CALL_STACK_EXHAUSTED: return to_string(TrapKind::CallStackExhausted);
    case KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH: return to_string(TrapKind::IndirectCallTypeMismatch);
    case KILN_TRAP_INDIRECT_CALL_NULL: return to_string(TrapKind::IndirectCallNull);
    case KILN_TRAP_OUT_OF_FUEL: return to_string(TrapKind::OutOfFuel);
    case KILN_TRAP_DEADLINE: return to_string(TrapKind::Deadline);
    case KILN_TRAP_HOST_ERROR: return to_string(TrapKind::HostError);
  }
  return "unknown trap kind";
}

}  // extern "C"
