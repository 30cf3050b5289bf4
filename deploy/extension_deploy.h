// Deploying an extension: a module, checked against its extension point's
// contract, compiled, and made live for one scope in one registry
// transaction. The steps, in order, each failing with its own error kind:
// size limit → decode + validate → contract (imports, exports) → config
// against the config schema → instrument → AOT compile (cached) → record.
//
// Crash-safe: compiling writes only content-addressed files by atomic
// rename, and the registry changes in one transaction, so a process killed
// at any step leaves the previous state live and usable.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "deploy/module_pipeline.h"
#include "kiln/result.h"
#include "registry/registry.h"

namespace kiln::deploy {

struct ExtensionDeployRequest {
  std::string module_name;  // for messages: the file name as given
  std::string extension_point;
  std::string scope = "*";
  std::string name;          // the extension's name
  std::string config;        // JSON text; empty: none (checked as {} when there is a config schema)
  int64_t priority = 0;
  std::string who;
  // Go live as a canary for this percentage of the scopes (registry.h).
  std::optional<int> canary_percent;
  // Where a Shopify function's provider module is read from
  // (<dir>/<import module>.wasm); it is compiled and stored with the
  // function, so executors never read this folder.
  std::string providers_dir;
};

struct ExtensionDeployResult {
  registry::Extension extension;
  PreparedModule module;
  std::optional<PreparedModule> provider;  // the provider it links, when it links one
};

Result<ExtensionDeployResult> deploy_extension(registry::Registry& registry, std::span<const uint8_t> bytes,
                                               const ExtensionDeployRequest& request);

// What the registry keeps of how a module was compiled.
registry::ModuleRecord compile_record(const PreparedModule& prepared);

// Parses config JSON and checks it against the extension point's config
// schema; returns it compact, as it will be spliced into inputs.
Result<std::string> normalize_config(const registry::ExtensionPoint& ep, const std::string& config_text);

}  // namespace kiln::deploy
