#include "runtime/memory_snapshot.h"

#include <algorithm>
#include <cstring>

#include "kiln/instance.h"

namespace kiln {
namespace {

constexpr uint64_t kChunk = 4096;

bool has_nonzero_byte(std::span<const uint8_t> bytes) {
  return std::any_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; });
}

}  // namespace

std::vector<bool> MemorySnapshot::nonzero_chunks(std::span<const uint8_t> memory) {
  std::vector<bool> flags((memory.size() + kChunk - 1) / kChunk);
  for (size_t i = 0; i < flags.size(); ++i) {
    flags[i] = has_nonzero_byte(memory.subspan(i * kChunk, std::min<uint64_t>(kChunk, memory.size() - i * kChunk)));
  }
  return flags;
}

MemorySnapshot MemorySnapshot::capture(std::span<const uint8_t> initialized, const std::vector<bool>& fresh_nonzero) {
  MemorySnapshot snapshot;
  snapshot.memory_size_ = initialized.size();
  std::vector<bool> keep = nonzero_chunks(initialized);
  for (size_t i = 0; i < keep.size() && i < fresh_nonzero.size(); ++i) keep[i] = keep[i] || fresh_nonzero[i];
  for (size_t i = 0; i < keep.size(); ++i) {
    if (!keep[i]) continue;
    const uint64_t offset = i * kChunk;
    const uint64_t length = std::min<uint64_t>(kChunk, initialized.size() - offset);
    if (!snapshot.runs_.empty() && snapshot.runs_.back().offset + snapshot.runs_.back().length == offset) {
      snapshot.runs_.back().length += length;
    } else {
      snapshot.runs_.push_back(Run{offset, length});
    }
    snapshot.bytes_.insert(snapshot.bytes_.end(), initialized.begin() + offset, initialized.begin() + offset + length);
  }
  return snapshot;
}

bool MemorySnapshot::is_exact_for(const ModuleInfo& info) {
  size_t mutable_globals = std::count_if(info.globals.begin(), info.globals.end(),
                                         [](const GlobalDesc& g) { return g.is_mutable && !g.imported; });
  return info.memories.size() == 1 && mutable_globals <= 1;
}

Result<void> MemorySnapshot::restore(const Instance& instance) const {
  const uint64_t size = instance.memory().size();
  if (size < memory_size_) {
    // Grown by _initialize (its heap): grow the fresh memory to match.
    auto grown = instance.reserve_host_region(static_cast<uint32_t>(memory_size_ - size));
    if (!grown) return grown.error();
  }
  std::span<uint8_t> memory = instance.memory();
  if (memory.size() != memory_size_) {
    return make_error(ErrorKind::Internal, "memory snapshot of " + std::to_string(memory_size_) +
                                               " bytes does not fit a reset memory of " +
                                               std::to_string(memory.size()) + " bytes");
  }
  const uint8_t* from = bytes_.data();
  for (const Run& run : runs_) {
    std::memcpy(memory.data() + run.offset, from, run.length);
    from += run.length;
  }
  return {};
}

}  // namespace kiln
