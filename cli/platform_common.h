// What the platform's commands (ep, deploy, extensions, rollback, enable,
// disable, exec) share: the --registry option, opening the registry, and
// reporting an Error with the exit code of its kind.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "kiln/result.h"
#include "registry/registry.h"

namespace kiln::cli {

// Adds --registry PATH to `command`, stored in `path`.
void add_registry_option(CLI::App* command, std::string& path);

// The registry at `path`, else the default one. Prints the error and sets
// `exit_code` on failure.
std::unique_ptr<registry::Registry> open_registry(const std::string& path, int& exit_code);

// "kiln: <message>" on stderr; returns the exit code for the error's kind.
int report(const Error& error);

// The whole file, or an Io error naming it.
Result<std::string> read_text_file(const std::string& path);
Result<std::vector<uint8_t>> read_binary_file(const std::string& path);

// Text for a table cell: "2026-12-07T10:00:00.123Z" -> "2026-12-07 10:00:00".
std::string short_time(const std::string& iso);

}  // namespace kiln::cli
