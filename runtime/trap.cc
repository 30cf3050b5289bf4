#include "kiln/trap.h"

namespace kiln {

const char* to_string(TrapKind kind) {
  switch (kind) {
    case TrapKind::Unreachable: return "unreachable executed";
    case TrapKind::MemoryOutOfBounds: return "out of bounds memory access";
    case TrapKind::TableOutOfBounds: return "out of bounds table access";
    case TrapKind::IntegerDivideByZero: return "integer divide by zero";
    case TrapKind::IntegerOverflow: return "integer overflow";
    case TrapKind::InvalidConversion: return "invalid conversion to integer";
    case TrapKind::CallStackExhausted: return "call stack exhausted";
    case TrapKind::IndirectCallTypeMismatch: return "indirect call type mismatch";
    case TrapKind::IndirectCallNull: return "indirect call to null";
    case TrapKind::OutOfFuel: return "out of fuel";
    case TrapKind::Deadline: return "deadline exceeded";
    case TrapKind::HostError: return "host error";
  }
  return "unknown trap";
}

std::string Trap::describe() const {
  std::string text = std::string("trap: ") + to_string(kind);
  if (!message.empty() && message != to_string(kind)) text += " (" + message + ")";
  return text;
}

}  // namespace kiln
