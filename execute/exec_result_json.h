// ExecResult as JSON: what `kiln exec --json` prints and what the service
// (kiln serve) answers an execute with. One codec, both directions, so
// the remote Executor reads exactly what the server wrote.
#pragma once

#include <string>
#include <string_view>

#include "execute/exec_result.h"
#include "kiln/result.h"

namespace kiln::execute {

// {"status": "ok", "extension_point": ..., "output": <the output inline when
// it is JSON, else a string>, "log": ..., "fuel": {"used", "limit"},
// "memory": {"peak_bytes", "limit_bytes"}, "time": {"run_ns", "limit_ns"},
// "stages_ns": {"lookup", ...}, "error": {"code", "message", "pointer"},
// "extensions": [one object per extension, combine chain or all only]}
// (docs/abi.md, "The result").
// A MessagePack output (output_format) is shown converted to JSON, with
// "output_format": "msgpack".
std::string to_json(const ExecResult& result);

// The same fields as MessagePack (the service's answer to Accept:
// application/msgpack); a MessagePack output goes in as it is, as the
// map's last member, "output".
std::string to_msgpack(const ExecResult& result);

// The inverse of to_json: every field to_json writes is read back.
Result<ExecResult> exec_result_from_json(std::string_view json);

// "invalid_output" for ErrorKind::InvalidOutput: the stable error code.
std::string error_code(ErrorKind kind);

}  // namespace kiln::execute
