// MessagePack ⇄ JSON for the execute endpoint (Content-Type / Accept
// application/msgpack), on msgpack-cxx. The pipeline itself speaks JSON:
// a MessagePack input is turned into JSON text before the call, and the
// JSON result into MessagePack after it.
#pragma once

#include <string>
#include <string_view>

#include "kiln/result.h"

namespace kiln::server {

// One MessagePack value (maps with string keys; nil, bool, integers,
// floats, strings, arrays) as JSON text. Binary, extension types, non-string
// keys and trailing bytes are refused (ErrorKind::InvalidArgument).
Result<std::string> msgpack_to_json(std::string_view bytes);

// JSON text as one MessagePack value.
Result<std::string> json_to_msgpack(std::string_view json);

}  // namespace kiln::server
