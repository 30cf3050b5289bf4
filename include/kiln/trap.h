// A trap is an ordinary outcome of a guest call, not a host failure: the
// guest stopped, the host carries on. Every backend reports the same kinds.
#pragma once

#include <string>

#include "kiln/error.h"

namespace kiln {

enum class TrapKind {
  Unreachable,               // `unreachable` executed
  MemoryOutOfBounds,         // load/store/bulk memory op outside linear memory
  TableOutOfBounds,          // table access or call_indirect index outside a table
  IntegerDivideByZero,
  IntegerOverflow,           // INT_MIN / -1, float -> int out of range
  InvalidConversion,         // float -> int of NaN
  CallStackExhausted,        // recursion too deep
  IndirectCallTypeMismatch,  // call_indirect signature differs
  IndirectCallNull,          // call_indirect through an uninitialized element
  OutOfFuel,                 // the fuel budget ran out
  Deadline,                  // the wall-clock deadline passed
  HostError,                 // a host function failed
};

// A short stable name for the kind, e.g. "out of fuel", "integer divide by zero".
const char* to_string(TrapKind kind);

struct Trap {
  TrapKind kind = TrapKind::Unreachable;
  std::string message;  // detail from the backend or the host, may be empty

  // "trap: integer divide by zero (detail)"
  std::string describe() const;
};

// The error kind a trap is reported as: out of fuel and deadline have their
// own, every other trap is ErrorKind::Trap.
inline ErrorKind error_kind(TrapKind kind) {
  if (kind == TrapKind::OutOfFuel) return ErrorKind::OutOfFuel;
  if (kind == TrapKind::Deadline) return ErrorKind::Deadline;
  return ErrorKind::Trap;
}

}  // namespace kiln
