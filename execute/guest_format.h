// Formats at the guest boundary (docs/abi.md, "Formats"): the caller's
// (CallOptions::input_format / output_format, per call) meets the guest's
// (the extension point's `format`).
//
//   same format   the bytes go through as they are: the config spliced in
//                 on the way into the guest, the output copied once out
//   different     one conversion pass each way. The input is converted
//                 with no document between (MessagePack → JSON text, or a
//                 JSON SAX parse → MessagePack), the config added by the
//                 same pass; the output's conversion is written from the
//                 document its schema check needed anyway.
//
// Sizes (max_input, max_output) count the bytes as given: the caller's
// input, the guest's output.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/data_format.h"
#include "execute/config_splice.h"
#include "kiln/result.h"
#include "registry/extension_point.h"

namespace kiln::execute {

// check_input's MessagePack half: one value with a JSON meaning, a map,
// no top-level "config"; the input schema (on a document decoded straight
// from the bytes) when `with_schema`. InvalidInput, with the JSON Pointer.
Result<void> check_msgpack_input(const registry::ExtensionPoint& ep, std::span<const uint8_t> input, bool with_schema);

// What the guest reads: the caller's (checked) input with the config in,
// in the guest's format.
struct GuestInput {
  ConfigSplice splice;
  uint64_t converted_bytes = 0;  // what a conversion wrote; 0 when the formats matched
};

// Plans the guest's input. When the formats differ it converts now, into a
// buffer of this thread's (reused; valid until its next call).
// `config_msgpack` is `config_json` as MessagePack (config_as_msgpack).
Result<GuestInput> guest_input(const registry::ExtensionPoint& ep, std::span<const uint8_t> input,
                               base::DataFormat caller, std::string_view config_json,
                               std::string_view config_msgpack);

// Checks a guest's output in the guest's format — syntax, JSON's data
// model, the output schema; InvalidOutput with the JSON Pointer — and puts
// it in `out` in the format the caller wants. `output` may be a view of
// `out`. Returns the bytes written into `out`; sets `plain_object` when the
// output is an object without a top-level "config" (fit to be an input).
Result<uint64_t> take_guest_output(const registry::ExtensionPoint& ep, std::string_view output,
                                   base::DataFormat wanted, std::string& out, bool* plain_object = nullptr);

// A caller's value in the other format (for combined calls, whose links
// speak JSON): JSON → MessagePack or MessagePack → JSON, one pass.
Result<std::string> convert_value(std::string_view bytes, base::DataFormat from, base::DataFormat to, ErrorKind kind,
                                  std::string_view what);

// The extension's config (compact JSON, valid) as MessagePack: what a
// msgpack guest finds under "config". Done once per binding.
std::string config_as_msgpack(std::string_view config_json);

}  // namespace kiln::execute
