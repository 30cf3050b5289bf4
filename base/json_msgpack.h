// JSON text ⇄ MessagePack, in one pass each, on msgpack-cxx and RapidJSON:
// for guests and clients that speak MessagePack where kiln's pipeline
// speaks JSON (Shopify's memory-I/O providers, the HTTP service's
// application/msgpack bodies).
//
// MessagePack's data model is wider than JSON's: binary and extension
// values, non-string map keys and non-finite floats have no JSON form and
// are refused, as are trailing bytes after the one value.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "kiln/error.h"
#include "kiln/result.h"

namespace kiln::base {

// `kind` is what a refusal reports: InvalidInput for a caller's data,
// InvalidOutput for a guest's; `what` names the data in the message
// ("the function's output: not MessagePack (...)").
Result<std::string> msgpack_to_json(std::string_view bytes, ErrorKind kind, std::string_view what);

// A JSON text that is not JSON is refused with the parser's reason and
// byte offset.
Result<std::string> json_to_msgpack(std::string_view json, ErrorKind kind, std::string_view what);

// The execute pipeline's conversions (docs/abi.md, "Formats"): one pass
// each, no document between, appended to `out` (a buffer the caller
// reuses). `extra_key`, when not empty, adds one member at the end of the
// root object with `extra_value`, already in the target format: the
// extension's config, spliced in by the same pass.
Result<void> append_json_as_msgpack(std::string_view json, std::string& out, ErrorKind kind, std::string_view what,
                                    std::string_view extra_key = {}, std::string_view extra_value = {});
Result<void> append_msgpack_as_json(std::span<const uint8_t> bytes, std::string& out, ErrorKind kind,
                                    std::string_view what, std::string_view extra_key = {},
                                    std::string_view extra_value = {});

// MessagePack decoded straight into `doc` (for the schema check). Strings
// point into `bytes`, which must outlive the document.
Result<void> msgpack_to_document(std::span<const uint8_t> bytes, rapidjson::Document& doc, ErrorKind kind,
                                 std::string_view what);

// A document's value written out, smallest MessagePack forms / compact JSON.
void append_value_as_msgpack(const rapidjson::Value& value, std::string& out);
void append_value_as_json(const rapidjson::Value& value, std::string& out);

}  // namespace kiln::base
