// Base64 (RFC 4648, standard alphabet, padded): binary data inside JSON
// documents such as replay bundles.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/result.h"

namespace kiln::base {

std::string base64_encode(std::span<const uint8_t> bytes);
// Refuses characters outside the alphabet, bad padding and lengths that
// are not a multiple of four (ErrorKind::InvalidArgument, with the offset).
Result<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace kiln::base
