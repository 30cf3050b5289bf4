// CallOptions: what one call may set beyond its extension point's
// definition — for recording it (a tape that keeps what the guest read
// from the clocks and the random source), for replaying it (that tape
// served back, and the limits the recording ran under), and for the
// caller's data format.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "base/data_format.h"
#include "kiln/wasi_tape.h"

namespace kiln::execute {

struct CallOptions {
  // Given to the guest's WASI context (record or replay); null: none.
  std::shared_ptr<host::WasiTape> tape;
  // Instead of the extension point's fuel (base + per KiB of input) and
  // timeout. A replay of a deadline sets the fuel the call had used when
  // the deadline fired, so the replay ends at the same instruction.
  std::optional<uint64_t> fuel_limit;
  std::optional<std::chrono::nanoseconds> time_limit;
  // The caller's formats: the input as given, and the output wanted
  // (ExecResult::output_format says which it got). Where they differ from
  // the extension point's `format` the pipeline converts, in one pass;
  // where they match the bytes go through as they are (docs/abi.md).
  base::DataFormat input_format = base::DataFormat::Json;
  base::DataFormat output_format = base::DataFormat::Json;
};

}  // namespace kiln::execute
