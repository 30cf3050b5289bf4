// The parts of the wasi_snapshot_preview1 ABI kiln's WASI functions use:
// enum values, flag bits and the byte layout of the structs they read from
// and write to guest memory (all little-endian, wasm32 pointers). Errors are
// in wasi_errno.h.
#pragma once

#include <cstdint>

namespace kiln::host::wasi {

inline constexpr const char* kModuleName = "wasi_snapshot_preview1";

enum ClockId : uint32_t {
  kClockRealtime = 0,
  kClockMonotonic = 1,
  kClockProcessCputime = 2,
  kClockThreadCputime = 3,
};

enum FileType : uint8_t { kFileTypeCharacterDevice = 2 };

// whence: set = 0, cur = 1, end = 2 (the largest)
inline constexpr uint32_t kWhenceEnd = 2;

// fdflags
inline constexpr uint16_t kFdFlagAppend = 1 << 0;
inline constexpr uint16_t kFdFlagNonblock = 1 << 2;

// rights (only those stdio may hold)
inline constexpr uint64_t kRightFdRead = uint64_t{1} << 1;
inline constexpr uint64_t kRightFdFdstatSetFlags = uint64_t{1} << 3;
inline constexpr uint64_t kRightFdWrite = uint64_t{1} << 6;
inline constexpr uint64_t kRightFdFilestatGet = uint64_t{1} << 21;
inline constexpr uint64_t kRightPollFdReadwrite = uint64_t{1} << 27;

enum EventType : uint8_t { kEventClock = 0, kEventFdRead = 1, kEventFdWrite = 2 };

inline constexpr uint16_t kSubclockAbstime = 1 << 0;
inline constexpr uint16_t kEventRwHangup = 1 << 0;

// iovec / ciovec: { u32 buf; u32 buf_len; }
inline constexpr uint32_t kIovecSize = 8;

// fdstat: { u8 filetype; u16 flags @2; u64 rights_base @8; u64 rights_inheriting @16; }
inline constexpr uint32_t kFdstatSize = 24;

// filestat: { u64 dev; u64 ino; u8 filetype @16; u64 nlink @24; u64 size @32;
//             u64 atim @40; u64 mtim @48; u64 ctim @56; }
inline constexpr uint32_t kFilestatSize = 64;
inline constexpr uint32_t kFilestatFiletypeOffset = 16;

// subscription: { u64 userdata; u8 tag @8; union @16 {
//   clock: { u32 id @16; u64 timeout @24; u64 precision @32; u16 flags @40; }
//   fd_read / fd_write: { u32 fd @16; } } }
inline constexpr uint32_t kSubscriptionSize = 48;

// event: { u64 userdata; u16 error @8; u8 type @10;
//          fd_readwrite: { u64 nbytes @16; u16 flags @24; } }
inline constexpr uint32_t kEventSize = 32;

}  // namespace kiln::host::wasi
