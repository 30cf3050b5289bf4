// Guest memory as WASI functions see it: every pointer and length a guest
// passes is checked against the calling instance's linear memory before a
// byte is touched, so a bad one becomes Errno::Fault for the guest, never a
// host crash and never a trap. Views are valid for one host call: nothing a
// WASI function does grows memory, but the next guest instruction may.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>
#include <variant>

#include "host/wasi_errno.h"

namespace kiln::host::wasi {

// WebAssembly memory is little-endian; kiln copies integers in and out as
// they are, which is only right on a little-endian host.
static_assert(std::endian::native == std::endian::little, "kiln's WASI assumes a little-endian host");

// Writes `value` at `offset` of `out`; the caller has checked that it fits.
template <class T>
void put(std::span<uint8_t> out, size_t offset, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::memcpy(out.data() + offset, &value, sizeof value);
}

template <class T>
T get(std::span<const uint8_t> in, size_t offset) {
  static_assert(std::is_trivially_copyable_v<T>);
  T value;
  std::memcpy(&value, in.data() + offset, sizeof value);
  return value;
}

class GuestMemory {
 public:
  explicit GuestMemory(std::span<uint8_t> memory) : memory_(memory) {}

  // The `len` bytes at `ptr`, or nullopt if any of them is outside memory.
  // 64-bit arithmetic: ptr + len cannot wrap.
  std::optional<std::span<uint8_t>> bytes(uint32_t ptr, uint64_t len) const {
    if (uint64_t{ptr} + len > memory_.size()) return std::nullopt;
    return memory_.subspan(ptr, static_cast<size_t>(len));
  }

  template <class T>
  std::optional<T> load(uint32_t ptr) const {
    auto span = bytes(ptr, sizeof(T));
    if (!span) return std::nullopt;
    return get<T>(*span, 0);
  }

  // False (and nothing written) if the value would not fit in memory.
  template <class T>
  bool store(uint32_t ptr, T value) {
    auto span = bytes(ptr, sizeof(T));
    if (!span) return false;
    put(*span, 0, value);
    return true;
  }

 private:
  std::span<uint8_t> memory_;
};

// A guest's array of iovecs (or ciovecs), every buffer checked to lie inside
// memory, so that a read or write either starts with all of them valid or
// fails before any I/O happens.
class IovecList {
 public:
  // As POSIX's IOV_MAX: it bounds the host's work per call, and a guest
  // written for POSIX never passes more.
  static constexpr uint32_t kMaxCount = 1024;

  // Fault if the array or any buffer it names is outside memory, Inval if
  // it holds more than kMaxCount iovecs.
  static std::variant<IovecList, Errno> check(const GuestMemory& memory, uint32_t iovs, uint32_t count);

  uint32_t size() const { return count_; }
  uint64_t total_bytes() const { return total_; }
  // Buffer `i`. check() found it valid; only a concurrent writer to a shared
  // memory could change the entry since, and then the guest gets an empty
  // buffer, never a view outside its memory.
  std::span<uint8_t> operator[](uint32_t i) const;

 private:
  IovecList(const GuestMemory& memory, std::span<const uint8_t> entries, uint32_t count, uint64_t total)
      : memory_(memory), entries_(entries), count_(count), total_(total) {}

  GuestMemory memory_;
  std::span<const uint8_t> entries_;
  uint32_t count_;
  uint64_t total_;
};

}  // namespace kiln::host::wasi
