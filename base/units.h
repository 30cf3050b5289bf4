// Sizes and durations as people write them: the CLI's SIZE and DURATION
// arguments and the limits of extension point definitions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "kiln/result.h"

namespace kiln::base {

// "65536", "64K", "64KiB", "16M", "16MiB", "1G", "1GiB" (case-insensitive,
// optional trailing "B"). K, M and G mean powers of 1024, as KiB, MiB and GiB do.
Result<uint64_t> parse_size(std::string_view text);

// "250ms", "2s", "1.5s", "1m". A unit is required.
Result<std::chrono::nanoseconds> parse_duration(std::string_view text);

}  // namespace kiln::base
