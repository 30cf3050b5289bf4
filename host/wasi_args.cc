// args_* and environ_*: the guest's argv and environment, from WasiConfig.
// Both are lists of strings handed over the same way: first their sizes, so
// that the guest can allocate, then an array of pointers into one buffer of
// NUL-terminated strings.
#include <vector>

#include "host/wasi_call.h"

namespace kiln::host::wasi {

namespace {

// Bytes of the strings with their NUL terminators.
uint64_t buffer_size(const std::vector<std::string>& list) {
  uint64_t size = 0;
  for (const std::string& s : list) size += s.size() + 1;
  return size;
}

Errno sizes_get(GuestMemory& memory, const std::vector<std::string>& list, uint32_t count_ptr, uint32_t size_ptr) {
  // The guest's pointers are 32-bit: a list that does not fit cannot be handed over.
  uint64_t size = buffer_size(list);
  if (size > UINT32_MAX) return Errno::TooBig;
  if (!memory.bytes(count_ptr, 4) || !memory.bytes(size_ptr, 4)) return Errno::Fault;
  memory.store(count_ptr, static_cast<uint32_t>(list.size()));
  memory.store(size_ptr, static_cast<uint32_t>(size));
  return Errno::Success;
}

Errno list_get(GuestMemory& memory, const std::vector<std::string>& list, uint32_t pointers_ptr, uint32_t buf_ptr) {
  auto pointers = memory.bytes(pointers_ptr, uint64_t{list.size()} * 4);
  auto buf = memory.bytes(buf_ptr, buffer_size(list));
  if (!pointers || !buf) return Errno::Fault;
  size_t offset = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    put(*pointers, i * 4, static_cast<uint32_t>(buf_ptr + offset));
    std::copy(list[i].begin(), list[i].end(), buf->begin() + static_cast<ptrdiff_t>(offset));
    offset += list[i].size();
    (*buf)[offset++] = 0;
  }
  return Errno::Success;
}

Errno args_sizes_get(WasiCall& call, uint32_t argc_ptr, uint32_t size_ptr) {
  return sizes_get(call.memory(), call.state().config.args, argc_ptr, size_ptr);
}

Errno args_get(WasiCall& call, uint32_t argv_ptr, uint32_t buf_ptr) {
  return list_get(call.memory(), call.state().config.args, argv_ptr, buf_ptr);
}

Errno environ_sizes_get(WasiCall& call, uint32_t count_ptr, uint32_t size_ptr) {
  return sizes_get(call.memory(), call.state().config.env, count_ptr, size_ptr);
}

Errno environ_get(WasiCall& call, uint32_t environ_ptr, uint32_t buf_ptr) {
  return list_get(call.memory(), call.state().config.env, environ_ptr, buf_ptr);
}

}  // namespace

void add_args_functions(Linker& linker) {
  define(linker, "args_sizes_get", args_sizes_get);
  define(linker, "args_get", args_get);
  define(linker, "environ_sizes_get", environ_sizes_get);
  define(linker, "environ_get", environ_get);
}

}  // namespace kiln::host::wasi
