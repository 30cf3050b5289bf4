#include "deploy/extension_deploy.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/crash_point.h"
#include "base/json_scan.h"

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
  auto extension = registry.deploy(record);
  if (!extension) return extension.error();
  return ExtensionDeployResult{std::move(*extension), std::move(*prepared)};
}

}  // namespace kiln::deploy
