// kiln deploy, kiln extensions list, kiln rollback, kiln enable|disable:
// putting extensions live on an extension point for a scope, and managing
// the versions that are.
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/platform_common.h"
#include "deploy/extension_deploy.h"

namespace kiln::cli {
namespace {

struct DeployOptions {
  std::string registry;
  std::string module_path;
  std::string ep;
  std::string scope;
  std::string name;
  std::string config;
  int64_t priority = 0;
  int64_t to = 0;
};

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "(none)" : out;
}

void print_deployed(const deploy::ExtensionDeployResult& deployed) {
  const registry::Extension& ext = deployed.extension;
  const deploy::PreparedModule& module = deployed.module;
  std::printf("deployed %s version %lld to %s for scope %s\n", ext.name.c_str(), static_cast<long long>(ext.version),
              ext.extension_point.c_str(), ext.scope.c_str());
  std::printf("  module   sha256:%s, %llu bytes\n", module.sha256.c_str(),
              static_cast<unsigned long long>(module.size));
  std::vector<std::string> imports, exports;
  for (const ImportDesc& import : module.info.imports) imports.push_back(import.module + "." + import.name);
  for (const ExportDesc& export_ : module.info.exports) exports.push_back(export_.name);
  std::printf("  imports  %s\n", joined(imports).c_str());
  std::printf("  exports  %s\n", joined(exports).c_str());
  if (module.backend == BackendKind::Interp) {
    std::printf("  backend  interp (AOT cannot run it: %s)\n", module.interp_reason.c_str());
  } else if (module.artifact_cached) {
    std::printf("  backend  aot (artifact cached, no compile)\n");
  } else {
    std::printf("  backend  aot (compiled in %.2f s)\n", module.compile_seconds);
  }
}

int run_deploy(const DeployOptions& options) {
  auto bytes = read_binary_file(options.module_path);
  if (!bytes) return report(bytes.error());
  std::string config = options.config;
  if (!config.empty() && config[0] == '@') {
    auto text = read_text_file(config.substr(1));
    if (!text) return report(text.error());
    config = std::move(*text);
  }
  int exit_code = kExitOk;
  auto registry = open_registry(options.registry, exit_code);
  if (!registry) return exit_code;
  deploy::ExtensionDeployRequest request;
  request.module_name = options.module_path;
  request.extension_point = options.ep;
  request.scope = options.scope;
  request.name = options.name.empty() ? std::filesystem::path(options.module_path).stem().string() : options.name;
  request.config = config;
  request.priority = options.priority;
  request.who = registry::current_user();
  auto deployed = deploy::deploy_extension(*registry, *bytes, request);
  if (!deployed) return report(deployed.error());
  print_deployed(*deployed);
  return kExitOk;
}

void print_extensions(const std::vector<registry::Extension>& extensions) {
  std::printf("%-32s %-16s %-20s %7s %-8s %8s %-7s %-12s %-19s %s\n", "EXTENSION POINT", "SCOPE", "NAME", "VERSION",
              "STATE", "PRIORITY", "BACKEND", "MODULE", "DEPLOYED", "BY");
  for (const registry::Extension& ext : extensions) {
    std::printf("%-32s %-16s %-20s %7lld %-8s %8lld %-7s %-12s %-19s %s\n", ext.extension_point.c_str(),
                ext.scope.c_str(), ext.name.c_str(), static_cast<long long>(ext.version),
                ext.enabled ? "enabled" : "disabled", static_cast<long long>(ext.priority), ext.module.backend.c_str(),
                ext.module.sha256.substr(0, 12).c_str(), short_time(ext.deployed_at).c_str(), ext.deployed_by.c_str());
  }
}

int run_list(const DeployOptions& options) {
  int exit_code = kExitOk;
  auto registry = open_registry(options.registry, exit_code);
  if (!registry) return exit_code;
  auto extensions = registry->list_extensions({options.ep, options.scope});
  if (!extensions) return report(extensions.error());
  print_extensions(*extensions);
  return kExitOk;
}

int run_rollback(const DeployOptions& options) {
  int exit_code = kExitOk;
  auto registry = open_registry(options.registry, exit_code);
  if (!registry) return exit_code;
  auto ext = registry->rollback(options.ep, options.scope, options.name,
                                options.to > 0 ? std::optional<int64_t>(options.to) : std::nullopt,
                                registry::current_user());
  if (!ext) return report(ext.error());
  std::printf("rolled back %s on %s for scope %s to version %lld\n", ext->name.c_str(), ext->extension_point.c_str(),
              ext->scope.c_str(), static_cast<long long>(ext->version));
  return kExitOk;
}

int run_enable(const DeployOptions& options, bool enable) {
  int exit_code = kExitOk;
  auto registry = open_registry(options.registry, exit_code);
  if (!registry) return exit_code;
  auto ext = registry->set_enabled(options.ep, options.scope, options.name, enable, registry::current_user());
  if (!ext) return report(ext.error());
  std::printf("%s %s on %s for scope %s (version %lld)\n", enable ? "enabled" : "disabled", ext->name.c_str(),
              ext->extension_point.c_str(), ext->scope.c_str(), static_cast<long long>(ext->version));
  return kExitOk;
}

// --ep, --scope and --extension, as rollback, enable and disable take them.
void add_target_options(CLI::App* command, DeployOptions& options) {
  command->add_option("--ep", options.ep, "the extension point")->required();
  command->add_option("--scope", options.scope, "the scope (\"*\": the default binding)")->required();
  command->add_option("--extension", options.name, "the extension (needed when the scope has several)");
  add_registry_option(command, options.registry);
}

}  // namespace

void add_deploy_commands(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DeployOptions>();
  CLI::App* deploy = app.add_subcommand("deploy", "Deploy a module as an extension for a scope");
  deploy->add_option("module", options->module_path, "the module (.wasm)")->required();
  deploy->add_option("--ep", options->ep, "the extension point")->required();
  deploy->add_option("--scope", options->scope, "a scope (shop, tenant), or \"*\" for every scope")->required();
  deploy->add_option("--name", options->name, "the extension's name (default: the module's file name)");
  deploy->add_option("--config", options->config, "the extension's config: JSON, or @FILE");
  deploy->add_option("--priority", options->priority, "higher runs first (default 0)");
  add_registry_option(deploy, options->registry);
  deploy->callback([options, &exit_code] { exit_code = run_deploy(*options); });

  CLI::App* extensions = app.add_subcommand("extensions", "List deployed extensions");
  extensions->require_subcommand(1);
  CLI::App* list = extensions->add_subcommand("list", "List the live version of every extension");
  list->add_option("--ep", options->ep, "only this extension point");
  list->add_option("--scope", options->scope, "only this scope");
  add_registry_option(list, options->registry);
  list->callback([options, &exit_code] { exit_code = run_list(*options); });

  CLI::App* rollback = app.add_subcommand("rollback", "Make an earlier version of an extension live");
  add_target_options(rollback, *options);
  rollback->add_option("--to", options->to, "the version (default: the one before the live one)");
  rollback->callback([options, &exit_code] { exit_code = run_rollback(*options); });

  CLI::App* enable = app.add_subcommand("enable", "Enable an extension");
  add_target_options(enable, *options);
  enable->callback([options, &exit_code] { exit_code = run_enable(*options, true); });
  CLI::App* disable = app.add_subcommand("disable", "Disable an extension (it stays deployed)");
  add_target_options(disable, *options);
  disable->callback([options, &exit_code] { exit_code = run_enable(*options, false); });
}

}  // namespace kiln::cli
