// Error: what went wrong, of which kind, and where. Every kiln API reports
// failure as an Error value (see result.h). Callers decide what to do by the
// kind, never by reading the message: the kind maps one to one onto the C
// API's kiln_status_t, the CLI's exit codes and the service's HTTP statuses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kiln {

// Values equal kiln_status_t's (kiln.h); a static_assert in capi/ holds them
// together. Append only: the numbers are part of the C ABI.
enum class ErrorKind : uint8_t {
  InvalidArgument = 1,  // a bad value from the caller: wrong type or count, a range outside memory
  InvalidModule = 2,    // malformed, invalid or unsupported module, or compiling it failed
  Link = 3,             // an import missing or mistyped; no such export
  Trap = 4,             // the guest trapped
  OutOfFuel = 5,        // the fuel budget ran out
  Deadline = 6,         // the time limit passed
  Exit = 7,             // the guest ended itself (WASI proc_exit)
  PoolExhausted = 8,    // every instance of a pool is leased
  Io = 9,               // a file or database could not be read or written
  Unsupported = 10,     // not available here (a feature the backend lacks, the interpreter in libkiln.so)
  Internal = 11,        // a bug or resource exhaustion in kiln itself
  NotFound = 12,        // no such extension point, extension or version
  InvalidDefinition = 13,  // an extension point definition or schema that kiln refuses
  Contract = 14,        // a module that breaks its extension point's contract (imports, exports, size)
  InvalidConfig = 15,   // an extension's config that fails the config schema
  InvalidInput = 16,    // an execute input that is not JSON, too large, or fails the input schema
  InvalidOutput = 17,   // an extension's output that is too large, not JSON, or fails the output schema
  ExtensionFailed = 18, // the extension exited non-zero (its log says why)
  AlreadyExists = 19,   // creating what exists: an extension point of that name
};

// The last kind: loops over every kind and tables indexed by kind use it.
inline constexpr ErrorKind kLastErrorKind = ErrorKind::AlreadyExists;

// A short stable name, e.g. "invalid module", "out of fuel". Also the
// service's error `code`, with spaces as underscores.
const char* to_string(ErrorKind kind);

// Where the problem is, as far as it is known. Every field is optional.
struct ErrorLocation {
  std::string file;                     // a path or module name
  std::optional<uint32_t> func_index;   // a function of the module
  std::optional<uint64_t> offset;       // a byte offset in the module or file
  std::string json_pointer;             // RFC 6901, into a JSON document ("" is the root)
  bool has_json_pointer = false;

  bool empty() const { return file.empty() && !func_index && !offset && !has_json_pointer; }
};

struct Error {
  std::string message;  // one line saying what went wrong and where
  ErrorKind kind = ErrorKind::Internal;
  ErrorLocation where;
};

}  // namespace kiln
