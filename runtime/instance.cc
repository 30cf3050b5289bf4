#include "kiln/instance.h"

#include <array>
#include <cstring>

#include "kiln/module.h"
#include "kiln/store.h"
#include "runtime/backend.h"
#include "runtime/store_internals.h"

namespace kiln {

namespace {

constexpr uint64_t kPageBytes = 65536;

std::string describe(GuestSlice slice) {
  return "[" + std::to_string(slice.offset) + ", " + std::to_string(uint64_t{slice.offset} + slice.length) + ")";
}

// The allocators allocate() looks for, in order, and how each is called.
struct AllocatorShape {
  std::string_view name;
  FuncType type;
};

const std::array<AllocatorShape, 3>& known_allocators() {
  static const std::array<AllocatorShape, 3> shapes = {{
      {"kiln_alloc", FuncType{{ValType::I32}, {ValType::I32}}},
      {"cabi_realloc", FuncType{{ValType::I32, ValType::I32, ValType::I32, ValType::I32}, {ValType::I32}}},
      {"malloc", FuncType{{ValType::I32}, {ValType::I32}}},
  }};
  return shapes;
}

}  // namespace

std::optional<Extern> Instance::get_export(std::string_view name) const {
  const auto& store = store_->impl();
  return store.backend->instance_export(store.record(index_).backend_index, name);
}

CallResult Instance::call(std::string_view export_name, std::span<const Value> args) const {
  auto func = get_export(export_name);
  if (!func || func->kind != ExternKind::Func) {
    CallResult result;
    result.status = CallResult::Status::Failed;
    result.error = module().name() + ": no exported function '" + std::string(export_name) + "'";
    return result;
  }
  CallResult result = store_->call(*func, args);
  // Memories only grow, so the size at the end is the call's peak.
  result.memory_peak_bytes = memory().size();
  return result;
}

Result<Extern> Instance::typed_export(std::string_view name, const FuncType& type) const {
  const ExportDesc* desc = module().info().find_export(name);
  if (!desc || desc->kind != ExternKind::Func) {
    return make_error(ErrorKind::Link, module().name() + ": no exported function '" + std::string(name) + "'");
  }
  if (desc->func_type != type) {
    return make_error(ErrorKind::InvalidArgument, module().name() + ": export '" + std::string(name) + "' has type " + to_string(desc->func_type) +
                      ", not " + to_string(type));
  }
  auto func = get_export(name);
  if (!func) return make_error(ErrorKind::Link, module().name() + ": no exported function '" + std::string(name) + "'");
  return *func;
}

std::span<uint8_t> Instance::memory() const {
  const auto& store = store_->impl();
  auto memory = store.backend->instance_memory(store.record(index_).backend_index);
  return memory ? store.backend->memory_data(*memory) : std::span<uint8_t>{};
}

Result<std::span<uint8_t>> Instance::memory_range(GuestSlice slice) const {
  std::span<uint8_t> bytes = memory();
  if (uint64_t{slice.offset} + slice.length > bytes.size()) {
    return make_error(ErrorKind::InvalidArgument, module().name() + ": range " + describe(slice) + " is outside memory 0 (" +
                      std::to_string(bytes.size()) + " bytes)");
  }
  return bytes.subspan(slice.offset, slice.length);
}

Result<void> Instance::write_memory(uint32_t offset, std::span<const uint8_t> bytes) const {
  if (bytes.size() > UINT32_MAX) return make_error(ErrorKind::InvalidArgument, module().name() + ": input larger than 4 GiB");
  auto range = memory_range(GuestSlice{offset, static_cast<uint32_t>(bytes.size())});
  if (!range) return range.error();
  if (!bytes.empty()) std::memcpy(range->data(), bytes.data(), bytes.size());
  return {};
}

Result<GuestSlice> Instance::allocate(uint32_t size, uint32_t align, std::string_view allocator) const {
  const ModuleInfo& info = module().info();
  const AllocatorShape* chosen = nullptr;
  for (const AllocatorShape& shape : known_allocators()) {
    const ExportDesc* desc = info.find_export(allocator.empty() ? shape.name : allocator);
    if (desc && desc->kind == ExternKind::Func && desc->func_type == shape.type) {
      chosen = &shape;
      break;
    }
  }
  std::string name(allocator.empty() ? (chosen ? chosen->name : "") : allocator);
  if (!chosen) {
    if (!allocator.empty()) {
      return make_error(ErrorKind::InvalidArgument, module().name() + ": no exported allocator '" + name +
                        "' of type (i32) -> (i32) or (i32, i32, i32, i32) -> (i32)");
    }
    return make_error(ErrorKind::InvalidArgument, module().name() + ": the guest exports no allocator (kiln_alloc, cabi_realloc or malloc)");
  }
  std::vector<Value> args;
  if (chosen->type.params.size() == 4) {
    args = {Value::from_i32(0), Value::from_i32(0), Value::from_i32(static_cast<int32_t>(align)),
            Value::from_i32(static_cast<int32_t>(size))};
  } else {
    args = {Value::from_i32(static_cast<int32_t>(size))};
  }
  CallResult result = call(name, args);
  if (result.trapped()) return make_error(error_kind(result.trap.kind), module().name() + ": allocator '" + name + "' " + result.trap.describe());
  if (!result.returned()) return make_error(ErrorKind::Internal, module().name() + ": allocator '" + name + "' did not return");
  GuestSlice slice{result.values[0].i32, size};
  if (slice.offset == 0) {
    return make_error(ErrorKind::InvalidArgument, module().name() + ": allocator '" + name + "' returned null for " + std::to_string(size) +
                      " bytes");
  }
  if (auto range = memory_range(slice); !range) return range.error();
  return slice;
}

Result<GuestSlice> Instance::write_input(std::span<const uint8_t> bytes, std::string_view allocator) const {
  if (bytes.size() > UINT32_MAX) return make_error(ErrorKind::InvalidArgument, module().name() + ": input larger than 4 GiB");
  auto slice = allocate(static_cast<uint32_t>(bytes.size()), 1, allocator);
  if (!slice) return slice.error();
  if (auto written = write_memory(slice->offset, bytes); !written) return written.error();
  return *slice;
}

Result<GuestSlice> Instance::reserve_host_region(uint32_t size) const {
  auto& store = store_->impl();
  auto memory = store.backend->instance_memory(store.record(index_).backend_index);
  if (!memory) return make_error(ErrorKind::InvalidArgument, module().name() + ": the instance has no memory");
  uint64_t pages = (uint64_t{size} + kPageBytes - 1) / kPageBytes;
  uint64_t max_pages = store.limits.max_memory_bytes / kPageBytes;
  auto before = store.backend->memory_grow(*memory, pages, max_pages);
  if (!before) {
    return make_error(ErrorKind::InvalidArgument, module().name() + ": cannot grow memory 0 by " + std::to_string(pages) +
                      " pages for a host region of " + std::to_string(size) + " bytes (memory limit " +
                      std::to_string(store.limits.max_memory_bytes) + " bytes, or the module's maximum)");
  }
  uint64_t offset = *before * kPageBytes;
  if (offset + size > UINT32_MAX + uint64_t{1}) return make_error(ErrorKind::InvalidArgument, module().name() + ": host region beyond 4 GiB");
  return GuestSlice{static_cast<uint32_t>(offset), size};
}

const Module& Instance::module() const { return store_->impl().record(index_).module; }

}  // namespace kiln
