#include "execute/wasi_command.h"

#include <memory>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "base/json_scan.h"
#include "execute/config_splice.h"
#include "execute/guest_format.h"
#include "execute/scratch_document.h"
#include "kiln/store.h"

namespace kiln::execute {
namespace {

Error json_error(ErrorKind kind, std::string_view what, const rapidjson::Document& doc) {
  ErrorLocation where;
  where.offset = doc.GetErrorOffset();
  return make_error(kind,
                    std::string(what) + " is not JSON: " + rapidjson::GetParseError_En(doc.GetParseError()) +
                        " at offset " + std::to_string(doc.GetErrorOffset()),
                    std::move(where));
}

Error pointer_error(ErrorKind kind, std::string pointer, std::string message) {
  ErrorLocation where;
  where.json_pointer = std::move(pointer);
  where.has_json_pointer = true;
  return make_error(kind, std::move(message), std::move(where));
}

// "input: /cart/lines/0: ..." from the schema's own error.
Error prefixed(Error error, std::string_view what) {
  error.message = std::string(what) + " " + error.message;
  return error;
}

}  // namespace

Result<void> check_input(const registry::ExtensionPoint& ep, std::span<const uint8_t> input, bool with_schema,
                         base::DataFormat format) {
  if (input.size() > ep.limits.max_input) {
    return make_error(ErrorKind::InvalidInput, "input is " + std::to_string(input.size()) +
                                                   " bytes, over the extension point's limit of " +
                                                   std::to_string(ep.limits.max_input));
  }
  if (format == base::DataFormat::Msgpack) return check_msgpack_input(ep, input, with_schema);
  // Every call: syntax, depth, an object, no "config" (one streaming pass).
  std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  auto scan = base::scan_json(text, ErrorKind::InvalidInput, "input");
  if (!scan) return scan.error();
  if (!scan->root_is_object) return pointer_error(ErrorKind::InvalidInput, "", "input: the root must be a JSON object");
  if (scan->has_config_member) {
    return pointer_error(ErrorKind::InvalidInput, "/config",
                         "input: /config: the input may not have a top-level \"config\" member; the " + ep.abi +
                             " ABI puts the extension's config there");
  }
  if (!with_schema) return {};
  // The sampled calls: the input schema, on a document.
  rapidjson::Document& doc = scratch_document();
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError()) return json_error(ErrorKind::InvalidInput, "input", doc);
  if (auto valid = ep.input_schema->check(doc, ErrorKind::InvalidInput); !valid) {
    return prefixed(valid.error(), "input:");
  }
  return {};
}

std::string with_config(std::span<const uint8_t> input, std::string_view config_json) {
  ConfigSplice splice(input, config_json);
  std::string out(splice.size(), '\0');
  splice.write_to(reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

std::shared_ptr<host::WasiContext> attach_call_io(Store& store, const registry::ExtensionPoint& ep,
                                                  const registry::Extension& ext, std::string stdin_data,
                                                  uint64_t fuel, std::shared_ptr<host::WasiTape> tape) {
  store.limits().fuel = fuel;
  host::WasiConfig wasi;
  wasi.tape = std::move(tape);
  wasi.args.push_back(ext.name);
  wasi.stdio = host::WasiConfig::Stdio::Buffered;
  wasi.stdin_data = std::move(stdin_data);
  // One byte past each limit tells "over the limit" from "at it".
  wasi.max_output_bytes = std::max(ep.limits.max_output, ep.limits.max_log) + 1;
  auto context = std::make_shared<host::WasiContext>(std::move(wasi));
  host::attach_wasi(store, context);
  return context;
}

void fail_with_trap(const Trap& trap, ExecResult& result) {
  ErrorKind kind = trap.kind == TrapKind::OutOfFuel  ? ErrorKind::OutOfFuel
                   : trap.kind == TrapKind::Deadline ? ErrorKind::Deadline
                                                     : ErrorKind::Trap;
  result.status = kind == ErrorKind::OutOfFuel  ? ExecStatus::OutOfFuel
                  : kind == ErrorKind::Deadline ? ExecStatus::Deadline
                                                : ExecStatus::Trapped;
  std::string detail = kind == ErrorKind::OutOfFuel ? " (limit " + std::to_string(result.fuel_limit) + ")" : "";
  result.error = make_error(kind, result.extension + " v" + std::to_string(result.version) + ": " + trap.describe() +
                                      detail);
}

void read_call(const registry::ExtensionPoint& ep, const host::WasiContext& context, const CallResult& call,
               ExecResult& result) {
  result.fuel_used = call.fuel_used;
  result.memory_peak_bytes = call.memory_peak_bytes;
  result.run_time = call.elapsed;
  std::string_view log = context.stderr_data();
  result.log_truncated = log.size() > ep.limits.max_log;
  result.log.assign(log.substr(0, ep.limits.max_log));
  std::string_view output = context.stdout_data();

  const std::string who = result.extension + " v" + std::to_string(result.version);
  switch (call.status) {
    case CallResult::Status::Returned:
      break;
    case CallResult::Status::Exited:
      result.exit_code = call.exit_code;
      if (call.exit_code != 0) {
        result.status = ExecStatus::ExtensionFailed;
        result.error = make_error(ErrorKind::ExtensionFailed,
                                  who + " exited with code " + std::to_string(call.exit_code) + " (see its log)");
        return;
      }
      break;
    case CallResult::Status::Trapped:
      fail_with_trap(call.trap, result);
      return;
    case CallResult::Status::Failed:
      result.status = ExecStatus::Error;
      result.error = make_error(ErrorKind::Internal, who + ": " + call.error);
      return;
  }
  if (output.size() > ep.limits.max_output) {
    result.status = ExecStatus::InvalidOutput;
    result.error = make_error(ErrorKind::InvalidOutput, "output: over the extension point's limit of " +
                                                            std::to_string(ep.limits.max_output) + " bytes");
    return;
  }
  result.output.assign(output);
  result.status = ExecStatus::Ok;
}

Result<void> check_output(const registry::ExtensionPoint& ep, std::string_view output) {
  if (auto scan = base::scan_json(output, ErrorKind::InvalidOutput, "output"); !scan) return scan.error();
  rapidjson::Document& doc = scratch_document();
  doc.Parse<rapidjson::kParseIterativeFlag>(output.data(), output.size());
  if (doc.HasParseError()) return json_error(ErrorKind::InvalidOutput, "output", doc);
  if (auto valid = ep.output_schema->check(doc, ErrorKind::InvalidOutput); !valid) {
    return prefixed(valid.error(), "output:");
  }
  return {};
}

}  // namespace kiln::execute
