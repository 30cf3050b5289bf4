// JSON text ⇄ MessagePack, in one pass each, on msgpack-cxx and RapidJSON:
// for guests and clients that speak MessagePack where kiln's pipeline
// speaks JSON (Shopify's memory-I/O providers, the HTTP service's
// application/msgpack bodies).
//
// MessagePack's data model is wider than JSON's: binary and extension
// values, non-string map keys and non-finite floats have no JSON form and
// are refused, as are trailing bytes after the one value.
#pragma once

#include <string>
#include <string_view>

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

}  // namespace kiln::base
