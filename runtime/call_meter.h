// CallMeter: the fuel and deadline accounting of the call a Store is running.
//
// The guest's fuel slot (the kiln.__kiln_fuel global) holds what is left of
// the current slice. When the guest sees it negative at a check point it
// calls kiln.__kiln_fuel_exhausted, which lands in refill(): either the
// budget is spent (trap: out of fuel), the deadline has passed (trap:
// deadline), or the slot gets the next slice. With a deadline, slices are
// short so the clock is read every ~65,000 instructions (a vDSO read,
// no system call and no timer thread); without one, the whole budget is a
// single slice. The trap point depends only on the
// budget, never on the slicing: fuel is deterministic.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "kiln/limits.h"
#include "kiln/trap.h"

namespace kiln::runtime {

struct CallMeter {
  // Slice length when a deadline is set: ~0.1-1 ms of guest work.
  static constexpr int64_t kDeadlineSlice = int64_t{1} << 16;

  uint64_t budget = kUnlimitedFuel;
  uint64_t consumed_before_slice = 0;
  int64_t slice = 0;  // the slot's value at the last refill
  // None: no deadline. Host functions that wait honour it too.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  bool active = false;

  // Starts metering a call; returns the value to put in the fuel slot.
  int64_t begin(const Limits& limits);
  // The guest found the slot negative. Returns the new slot value, or the trap.
  int64_t refill(int64_t slot, std::optional<Trap>* trap);
  // Fuel consumed so far, given the slot's current value.
  uint64_t used(int64_t slot) const;
  bool over_budget(int64_t slot) const { return used(slot) > budget; }

 private:
  int64_t next_slice() const;
};

}  // namespace kiln::runtime
