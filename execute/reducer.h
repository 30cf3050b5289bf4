// Reducer: how `combine: all` joins the outputs of the extensions that
// succeeded into the call's one output. The outputs come in priority order
// (highest first); each already passed the output schema.
//
//   first   the first output, as it is.
//   concat  the arrays at `pointer`, in order, into the first output's
//           (created there when the first has none). An output without a
//           value there adds nothing; one with a non-array is rejected.
//   merge   the objects at `pointer` (default: the root), shallow: each key
//           from the first output that has it — the higher priority wins.
//           Absent adds nothing; a non-object is rejected.
//   min/max the whole output whose number at `pointer` is smallest /
//           largest; the earlier wins a tie. An output without a number
//           there is rejected.
//   sum     the first output, its number at `pointer` replaced by the sum
//           of every output's (an integer when all are integers that fit
//           int64, else a double). An output without a number is rejected.
//
// A rejected output is that extension's invalid output (the call skips it,
// or fails when the extension point is fail_closed).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/error.h"
#include "registry/extension_point.h"

namespace kiln::execute {

struct Reduction {
  std::string output;  // empty when every output was rejected
  // The output the result is (first, min, max) or is built on (concat,
  // merge, sum): an index into the outputs; none when all were rejected.
  std::optional<size_t> base;
  std::vector<std::optional<Error>> rejected;  // one per output: why the reducer could not use it
};

Reduction reduce(const registry::Reducer& reducer, std::span<const std::string_view> outputs);

}  // namespace kiln::execute
