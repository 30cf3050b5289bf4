#include "deploy/extension_deploy.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/crash_point.h"
#include "base/json_scan.h"
#include "base/function_provider_names.h"

namespace kiln::deploy {

registry::ModuleRecord compile_record(const PreparedModule& prepared) {
  registry::ModuleRecord record;
  record.sha256 = prepared.sha256;
  record.size = prepared.size;
  record.backend = prepared.backend == BackendKind::Aot ? "aot" : "interp";
  record.interp_reason = prepared.interp_reason;
  record.compile_seconds = prepared.compile_seconds;
  return record;
}

Result<std::string> normalize_config(const registry::ExtensionPoint& ep, const std::string& config_text) {
  std::string_view text = config_text.empty() ? std::string_view("{}") : std::string_view(config_text);
  if (auto scan = base::scan_json(text, ErrorKind::InvalidConfig, "config"); !scan) return scan.error();
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    ErrorLocation where;
    where.offset = doc.GetErrorOffset();
    return make_error(ErrorKind::InvalidConfig,
                      std::string("config is not JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
                          " at offset " + std::to_string(doc.GetErrorOffset()),
                      std::move(where));
  }
  if (ep.config_schema) {
    if (auto valid = ep.config_schema->check(doc, ErrorKind::InvalidConfig); !valid) {
      Error error = valid.error();
      error.message = "config: " + error.message;
      return error;
    }
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

namespace {

struct ResolvedProvider {
  std::string name;
  std::vector<uint8_t> bytes;
  std::optional<PreparedModule> prepared;  // unset: the module links no provider
};

// The provider a Shopify function imports, read from the request's folder
// and put through the same pipeline (validated, instrumented, compiled
// and cached). QuickJS-sized providers stay on the interpreter, and the
// function runs there with them (base::kLargestAotProvider).
Result<ResolvedProvider> prepare_provider(const PreparedModule& function, const ExtensionDeployRequest& request,
                                          const std::string& cache_dir) {
  ResolvedProvider resolved;
  auto name = base::function_provider(function.info);
  if (!name) return name.error();
  if (!*name) return resolved;
  resolved.name = **name;
  auto bytes = base::read_provider(request.providers_dir, resolved.name);
  if (!bytes) return make_error(bytes.error().kind, request.module_name + ": " + bytes.error().message,
                                bytes.error().where);
  resolved.bytes = std::move(*bytes);
  PipelineOptions options;
  options.name = resolved.name + ".wasm";
  options.max_module_bytes = uint64_t{64} << 20;
  options.cache_dir = cache_dir;
  options.compile_aot = resolved.bytes.size() <= base::kLargestAotProvider;
  auto prepared = prepare_module(resolved.bytes, options);
  if (!prepared) return make_error(prepared.error().kind, "provider " + resolved.name + ": " + prepared.error().message);
  if (!options.compile_aot) {
    prepared->interp_reason = "a provider over " + std::to_string(base::kLargestAotProvider) +
                              " bytes: wasm2c's C of it is more than the C compiler builds in time";
  }
  resolved.prepared = std::move(*prepared);
  return resolved;
}

}  // namespace

Result<ExtensionDeployResult> deploy_extension(registry::Registry& registry, std::span<const uint8_t> bytes,
                                               const ExtensionDeployRequest& request) {
  base::crash_point("deploy.start");
  auto ep = registry.extension_point(request.extension_point);
  if (!ep) return ep.error();
  if (request.scope.empty()) return make_error(ErrorKind::InvalidArgument, "the scope may not be empty (\"*\" is every scope)");
  if (request.name.empty()) return make_error(ErrorKind::InvalidArgument, "the extension needs a name");
  if (bytes.size() > ep->limits.max_module) {
    return make_error(ErrorKind::Contract, request.module_name + ": module is " + std::to_string(bytes.size()) +
                                               " bytes, over extension point " + ep->name + "'s limit of " +
                                               std::to_string(ep->limits.max_module) + " (limits.max_module)");
  }
  std::string config;
  PipelineOptions options;
  options.name = request.module_name;
  options.max_module_bytes = ep->limits.max_module;
  options.cache_dir = registry.cache_dir();
  options.contract = [&](const ModuleInfo& info) -> Result<void> {
    if (auto kept = ep->check_module(info, request.module_name); !kept) return kept.error();
    auto normalized = normalize_config(*ep, request.config);
    if (!normalized) return normalized.error();
    config = std::move(*normalized);
    return {};
  };
  auto prepared = prepare_module(bytes, options);
  if (!prepared) return prepared.error();
  auto provider = prepare_provider(*prepared, request, registry.cache_dir());
  if (!provider) return provider.error();
  base::crash_point("deploy.compiled");

  registry::DeployRecord record;
  record.extension_point = ep->name;
  record.scope = request.scope;
  record.name = request.name;
  record.config = request.config.empty() ? std::string() : config;
  record.priority = request.priority;
  record.extension_point_version = ep->version;
  record.module = compile_record(*prepared);
  record.bytes = bytes;
  record.who = request.who;
  record.canary_percent = request.canary_percent;
  if (provider->prepared) {
    record.provider = provider->name;
    record.provider_module = compile_record(*provider->prepared);
    record.provider_bytes = provider->bytes;
  }
  auto extension = registry.deploy(record);
  if (!extension) return extension.error();
  return ExtensionDeployResult{std::move(*extension), std::move(*prepared), std::move(provider->prepared)};
}

}  // namespace kiln::deploy
