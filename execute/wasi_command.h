// The wasi-command ABI (docs/abi.md), one function per step of a call: the
// input JSON object goes to the guest's stdin with the extension's config
// as its top-level "config" member; stdout is the output JSON; stderr is
// the log, cut at the limit; the exit code, traps, fuel and the deadline
// decide the status.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "execute/exec_result.h"
#include "kiln/call_result.h"
#include "kiln/result.h"
#include "kiln/wasi.h"
#include "registry/extension_point.h"
#include "registry/registry.h"

namespace kiln {
class Store;
}

namespace kiln::execute {

// Size, JSON (or MessagePack with a JSON meaning, per `format`), an object
// without "config"; the input schema when `with_schema`. InvalidInput
// errors carry the JSON Pointer of the bad value.
Result<void> check_input(const registry::ExtensionPoint& ep, std::span<const uint8_t> input, bool with_schema,
                         base::DataFormat format = base::DataFormat::Json);

// The input object with `"config": <config_json>` added as its last member,
// in one pass over the bytes (the input is known to be a JSON object).
std::string with_config(std::span<const uint8_t> input, std::string_view config_json);

// Sets this call's fuel and attaches a WASI context reading `stdin_data`
// and capturing stdout and stderr just past their limits; the guest's
// clocks and randomness go through `tape` when there is one (CallOptions).
std::shared_ptr<host::WasiContext> attach_call_io(Store& store, const registry::ExtensionPoint& ep,
                                                  const registry::Extension& ext, std::string stdin_data,
                                                  uint64_t fuel, std::shared_ptr<host::WasiTape> tape = nullptr);

// A trap (out of fuel and the deadline included) as `result`'s status and
// error, naming the extension and version; both ABIs end a trapped call so.
void fail_with_trap(const Trap& trap, ExecResult& result);

// How the call ended, its output and log, into `result`.
void read_call(const registry::ExtensionPoint& ep, const host::WasiContext& context, const CallResult& call,
               ExecResult& result);

// Output size (checked in read_call), JSON, and the output schema: a JSON
// output whatever the guest's format (a combined call's, say);
// guest_format.h checks a guest's output in its own format.
Result<void> check_output(const registry::ExtensionPoint& ep, std::string_view output);

}  // namespace kiln::execute
