#include "runtime/call_meter.h"

#include <algorithm>
#include <limits>

namespace kiln::runtime {

int64_t CallMeter::begin(const Limits& limits) {
  budget = limits.fuel;
  consumed_before_slice = 0;
  deadline.reset();
  if (limits.timeout.count() > 0) deadline = std::chrono::steady_clock::now() + limits.timeout;
  active = true;
  slice = next_slice();
  return slice;
}

int64_t CallMeter::next_slice() const {
  uint64_t left = budget - std::min(budget, consumed_before_slice);
  uint64_t cap = deadline ? uint64_t(kDeadlineSlice) : uint64_t(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(std::min(left, cap));
}

uint64_t CallMeter::used(int64_t slot) const {
  // slot <= slice always: the guest only subtracts.
  return consumed_before_slice + static_cast<uint64_t>(slice - slot);
}

int64_t CallMeter::refill(int64_t slot, std::optional<Trap>* trap) {
  if (over_budget(slot)) {
    *trap = Trap{TrapKind::OutOfFuel, "fuel budget of " + std::to_string(budget) + " units used up"};
    return slot;
  }
  if (deadline && std::chrono::steady_clock::now() >= *deadline) {
    *trap = Trap{TrapKind::Deadline, "the call ran past its deadline"};
    return slot;
  }
  consumed_before_slice = used(slot);
  slice = next_slice();
  return slice;
}

}  // namespace kiln::runtime
