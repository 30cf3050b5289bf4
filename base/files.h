// Whole-file reads and crash-safe whole-file writes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/result.h"

namespace kiln::base {

// The whole file, or nullopt when it cannot be read.
std::optional<std::string> read_file(const std::string& path);
std::optional<std::vector<uint8_t>> read_file_bytes(const std::string& path);

// Writes `data` to a temporary file beside `path`, fsyncs it, renames it
// over `path` and fsyncs the directory: a reader, or a run after a kill -9
// or a power cut, sees the old file or the new one, never a part. `mode`
// is the new file's permission bits. ErrorKind::Io on failure (the
// temporary file is removed).
Result<void> write_file_atomically(const std::string& path, std::string_view data, unsigned mode = 0644);

// fsync of a file written by someone else (a compiler's output) before it
// is renamed into place; false when it cannot be opened or synced.
bool sync_file(const std::string& path);

// fsync of a directory, so that a rename into it survives a power cut.
void sync_directory(const std::string& dir);

}  // namespace kiln::base
