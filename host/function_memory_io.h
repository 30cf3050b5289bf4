// The memory I/O of Shopify's newer providers (shopify_function_v2,
// shopify_functions_javy_v3 and later): instead of WASI streams, the host
// hands the input to the provider's `initialize(length) -> offset` and
// copies it into the provider's memory there; after the function has run,
// the provider's `finalize() -> offset` points at six little-endian u32s:
// the output's offset and length, then two log ranges (a ring buffer's two
// halves, in order). The data are MessagePack. Neither call counts towards
// the function's instructions (the caller ignores their fuel).
#pragma once

#include <string>
#include <string_view>

#include "kiln/instance.h"
#include "kiln/result.h"

namespace kiln::host {

// Copies `input` into the provider's memory through its `initialize`.
Result<void> write_memory_input(const Instance& provider, std::string_view input);

struct MemoryOutput {
  std::string output;
  std::string logs;
};

// Calls the provider's `finalize` and copies out what the function wrote.
Result<MemoryOutput> read_memory_output(const Instance& provider);

}  // namespace kiln::host
