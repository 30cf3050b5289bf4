// SHA-256 as lowercase hex: the content address of modules and artifacts.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kiln::base {

// The raw digest.
std::array<uint8_t, 32> sha256(std::string_view text);
std::string sha256_hex(std::span<const uint8_t> bytes);
std::string sha256_hex(std::string_view text);
// Empty when the file cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace kiln::base
