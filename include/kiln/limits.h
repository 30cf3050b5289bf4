// Limits a Store puts on every call it makes into a guest. A guest that hits
// one gets a trap (fuel, deadline) or a failed memory.grow (memory); the host
// and every other guest carry on.
#pragma once

#include <chrono>
#include <cstdint>

namespace kiln {

inline constexpr uint64_t kUnlimitedFuel = ~uint64_t{0};

struct Limits {
  // One unit of fuel is about one WebAssembly instruction (see docs/fuel.md).
  uint64_t fuel = kUnlimitedFuel;
  // Cap on each linear memory. memory.grow beyond it returns -1; a module
  // whose initial memory is larger fails to instantiate.
  uint64_t max_memory_bytes = uint64_t{4} << 30;
  // Wall-clock budget per call; zero means none. Checked where fuel is, every
  // ~65,000 instructions, by reading the clock: no timer and no thread.
  std::chrono::nanoseconds timeout{0};
};

}  // namespace kiln
