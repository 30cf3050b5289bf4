// The clocks a guest can read (WASI clock ids), shared by clock_* and
// poll_oneoff's clock subscriptions.
#pragma once

#include <cstdint>
#include <optional>

namespace kiln::host::wasi {

// Nanoseconds on WASI clock `id` now; nullopt for an unknown id.
std::optional<uint64_t> clock_now(uint32_t id);

}  // namespace kiln::host::wasi
