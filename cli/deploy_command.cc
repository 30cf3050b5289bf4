// kiln deploy, kiln extensions list, kiln rollback, kiln enable|disable,
// kiln promote, kiln canary: putting extensions live on an extension point
// for a scope — whole, or as a canary for a share of the scopes — and
// managing the versions that are.
#include <cstdio>
#include <filesystem>
#include <map>
#include <tuple>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/platform_common.h"
#include "deploy/extension_deploy.h"
#include "host/function_providers.h"

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
  int canary = 0;  // deploy: a canary for this percentage of scopes; canary: the new share
  std::string providers;  // deploy: where a Shopify function's provider is read from
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
  if (ext.canary_version == ext.version) {
    std::printf("  canary   for %d%% of scopes; version %lld stays live for the rest "
                "(kiln promote / kiln rollback end it)\n",
                ext.canary_percent, static_cast<long long>(ext.live_version));
  }
  std::printf("  module   sha256:%s, %llu bytes\n", module.sha256.c_str(),
              static_cast<unsigned long long>(module.size));
  std::vector<std::string> imports, exports;
  for (const ImportDesc& import : module.info.imports) imports.push_back(import.module + "." + import.name);
  for (const ExportDesc& export_ : module.info.exports) exports.push_back(export_.name);
  std::printf("  imports  %s\n", joined(imports).c_str());
  std::printf("  exports  %s\n", joined(exports).c_str());
  if (deployed.provider) {
    const deploy::PreparedModule& provider = *deployed.provider;
    std::printf("  provider %s, sha256:%s, %llu bytes, stored with it; %s\n", ext.provider.c_str(),
                provider.sha256.c_str(), static_cast<unsigned long long>(provider.size),
                provider.backend == BackendKind::Interp ? ("runs on the interpreter: " + provider.interp_reason).c_str()
                                                        : "aot");
  }
  if (deployed.provider && deployed.provider->backend == BackendKind::Interp) {
    std::printf("  backend  interp, with its provider\n");
  } else if (module.backend == BackendKind::Interp) {
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
  if (options.canary != 0) request.canary_percent = options.canary;
  request.providers_dir = host::provider_directory(options.providers);
  request.who = registry::current_user();
  auto deployed = deploy::deploy_extension(*registry, *bytes, request);
  if (!deployed) return report(deployed.error());
  print_deployed(*deployed);
  return kExitOk;
}

// One row per live version, and one below it for a canary running beside
// it; SHARE is the percentage of scopes each answers for.
void print_extensions(const std::vector<registry::Extension>& extensions,
                      const std::vector<registry::Extension>& canaries) {
  std::map<std::tuple<std::string, std::string, std::string>, const registry::Extension*> canary_of;
  for (const registry::Extension& canary : canaries) {
    canary_of[{canary.extension_point, canary.scope, canary.name}] = &canary;
  }
  std::printf("%-32s %-16s %-20s %7s %-8s %5s %8s %-7s %-12s %-19s %s\n", "EXTENSION POINT", "SCOPE", "NAME",
              "VERSION", "STATE", "SHARE", "PRIORITY", "BACKEND", "MODULE", "DEPLOYED", "BY");
  auto row = [](const registry::Extension& ext, const char* state, int share) {
    std::string share_text = std::to_string(share) + "%";
    std::printf("%-32s %-16s %-20s %7lld %-8s %5s %8lld %-7s %-12s %-19s %s\n", ext.extension_point.c_str(),
                ext.scope.c_str(), ext.name.c_str(), static_cast<long long>(ext.version), state, share_text.c_str(),
                static_cast<long long>(ext.priority), ext.module.backend.c_str(),
                ext.module.sha256.substr(0, 12).c_str(), short_time(ext.deployed_at).c_str(), ext.deployed_by.c_str());
  };
  for (const registry::Extension& ext : extensions) {
    auto canary = canary_of.find({ext.extension_point, ext.scope, ext.name});
    const int canary_share = canary == canary_of.end() ? 0 : ext.canary_percent;
    row(ext, ext.enabled ? "enabled" : "disabled", 100 - canary_share);
    if (canary != canary_of.end()) row(*canary->second, "canary", canary_share);
  }
}

int run_list(const DeployOptions& options) {
  int exit_code = kExitOk;
  auto registry = open_registry(options.registry, exit_code);
  if (!registry) return exit_code;
  auto extensions = registry->list_extensions({options.ep, options.scope});
  if (!extensions) return report(extensions.error());
  auto canaries = registry->list_canaries({options.ep, options.scope});
  if (!canaries) return report(canaries.error());
  print_extensions(*extensions, *canaries);
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

int run_promote(const DeployOptions& options) {
  int exit_code = kExitOk;
  auto registry = open_registry(options.registry, exit_code);
  if (!registry) return exit_code;
  auto ext = registry->promote(options.ep, options.scope, options.name, registry::current_user());
  if (!ext) return report(ext.error());
  std::printf("promoted %s on %s for scope %s: version %lld is live for every scope\n", ext->name.c_str(),
              ext->extension_point.c_str(), ext->scope.c_str(), static_cast<long long>(ext->version));
  return kExitOk;
}

int run_canary_share(const DeployOptions& options) {
  int exit_code = kExitOk;
  auto registry = open_registry(options.registry, exit_code);
  if (!registry) return exit_code;
  auto ext = registry->set_canary_share(options.ep, options.scope, options.name, options.canary,
                                        registry::current_user());
  if (!ext) return report(ext.error());
  std::printf("canary %s version %lld on %s for scope %s now runs for %d%% of scopes\n", ext->name.c_str(),
              static_cast<long long>(ext->version), ext->extension_point.c_str(), ext->scope.c_str(),
              ext->canary_percent);
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
  deploy->add_option("--canary", options->canary,
                     "go live as a canary for this percentage of scopes (1-100; chosen by a stable hash of the "
                     "scope), beside the live version")
      ->check(CLI::Range(1, 100));
  deploy->add_option("--providers", options->providers,
                     "where a Shopify function's provider module is read from (<import module>.wasm); default "
                     "$KILN_PROVIDERS. The provider is stored with the function");
  add_registry_option(deploy, options->registry);
  deploy->callback([options, &exit_code] { exit_code = run_deploy(*options); });

  CLI::App* extensions = app.add_subcommand("extensions", "List deployed extensions");
  extensions->require_subcommand(1);
  CLI::App* list = extensions->add_subcommand(
      "list", "List the live version of every extension, and any canary beside it, with the share of scopes each runs for");
  list->add_option("--ep", options->ep, "only this extension point");
  list->add_option("--scope", options->scope, "only this scope");
  add_registry_option(list, options->registry);
  list->callback([options, &exit_code] { exit_code = run_list(*options); });

  CLI::App* rollback = app.add_subcommand(
      "rollback", "Make an earlier version of an extension live; with a canary running, end the canary");
  add_target_options(rollback, *options);
  rollback->add_option("--to", options->to, "the version (default: the one before the live one)");
  rollback->callback([options, &exit_code] { exit_code = run_rollback(*options); });

  CLI::App* promote = app.add_subcommand("promote", "Make an extension's canary live for every scope");
  add_target_options(promote, *options);
  promote->callback([options, &exit_code] { exit_code = run_promote(*options); });

  CLI::App* canary = app.add_subcommand("canary", "Change the share of scopes an extension's canary runs for");
  add_target_options(canary, *options);
  canary->add_option("--percent", options->canary, "the new share (1-100)")->required()->check(CLI::Range(1, 100));
  canary->callback([options, &exit_code] { exit_code = run_canary_share(*options); });

  CLI::App* enable = app.add_subcommand("enable", "Enable an extension");
  add_target_options(enable, *options);
  enable->callback([options, &exit_code] { exit_code = run_enable(*options, true); });
  CLI::App* disable = app.add_subcommand("disable", "Disable an extension (it stays deployed)");
  add_target_options(disable, *options);
  disable->callback([options, &exit_code] { exit_code = run_enable(*options, false); });
}

}  // namespace kiln::cli
