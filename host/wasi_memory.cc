#include "host/wasi_memory.h"

#include "host/wasi_abi.h"

namespace kiln::host::wasi {

namespace {

struct Iovec {
  uint32_t buf;
  uint32_t len;
};

Iovec entry(std::span<const uint8_t> entries, uint32_t i) {
  return {get<uint32_t>(entries, size_t{i} * kIovecSize), get<uint32_t>(entries, size_t{i} * kIovecSize + 4)};
}

}  // namespace

std::variant<IovecList, Errno> IovecList::check(const GuestMemory& memory, uint32_t iovs, uint32_t count) {
  auto entries = memory.bytes(iovs, uint64_t{count} * kIovecSize);
  if (!entries) return Errno::Fault;
  if (count > kMaxCount) return Errno::Inval;
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    Iovec iov = entry(*entries, i);
    if (!memory.bytes(iov.buf, iov.len)) return Errno::Fault;
    total += iov.len;
  }
  return IovecList(memory, *entries, count, total);
}

std::span<uint8_t> IovecList::operator[](uint32_t i) const {
  Iovec iov = entry(entries_, i);
  return memory_.bytes(iov.buf, iov.len).value_or(std::span<uint8_t>{});
}

}  // namespace kiln::host::wasi
