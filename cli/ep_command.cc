// kiln ep create|update FILE, kiln ep list, kiln ep show NAME: extension
// points, defined by JSON files (docs/extension-points.md), kept by the
// registry with every version.
#include <cstdio>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/platform_common.h"

namespace kiln::cli {
namespace {

struct EpOptions {
  std::string registry;
  std::string file;
  std::string name;
  int64_t version = 0;
};

int create_or_update(const EpOptions& options, bool create) {
  auto text = read_text_file(options.file);
  if (!text) return report(text.error());
  auto ep = registry::parse_extension_point(*text, options.file);
  if (!ep) return report(ep.error());
  int exit_code = kExitOk;
  auto registry = open_registry(options.registry, exit_code);
  if (!registry) return exit_code;
  std::string who = registry::current_user();
  auto version = create ? registry->create_extension_point(*ep, who) : registry->update_extension_point(*ep, who);
  if (!version) return report(version.error());
  std::printf("%s extension point %s, version %lld\n", create ? "created" : "updated", ep->name.c_str(),
              static_cast<long long>(*version));
  return kExitOk;
}

int list(const EpOptions& options) {
  int exit_code = kExitOk;
  auto registry = open_registry(options.registry, exit_code);
  if (!registry) return exit_code;
  auto eps = registry->list_extension_points();
  if (!eps) return report(eps.error());
  std::printf("%-36s %7s %10s  %-19s  %s\n", "NAME", "VERSION", "EXTENSIONS", "UPDATED", "BY");
  for (const auto& ep : *eps) {
    std::printf("%-36s %7lld %10lld  %-19s  %s\n", ep.name.c_str(), static_cast<long long>(ep.version),
                static_cast<long long>(ep.live_extensions), short_time(ep.updated_at).c_str(), ep.updated_by.c_str());
  }
  return kExitOk;
}

// The definition as stored, pretty-printed: `kiln ep show X > f.json` and
// `kiln ep update f.json` round-trip.
int show(const EpOptions& options) {
  int exit_code = kExitOk;
  auto registry = open_registry(options.registry, exit_code);
  if (!registry) return exit_code;
  auto ep = registry->extension_point(options.name,
                                      options.version > 0 ? std::optional<int64_t>(options.version) : std::nullopt);
  if (!ep) return report(ep.error());
  rapidjson::Document doc;
  doc.Parse(ep->definition.c_str(), ep->definition.size());
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  doc.Accept(writer);
  std::printf("%s\n", buffer.GetString());
  std::fprintf(stderr, "extension point %s, version %lld\n", ep->name.c_str(), static_cast<long long>(ep->version));
  return kExitOk;
}

}  // namespace

void add_ep_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<EpOptions>();
  CLI::App* ep = app.add_subcommand("ep", "Create, update, list and show extension points");
  ep->require_subcommand(1);

  CLI::App* create = ep->add_subcommand("create", "Create an extension point from a JSON definition");
  create->add_option("file", options->file, "the definition (docs/extension-points.md)")->required();
  add_registry_option(create, options->registry);
  create->callback([options, &exit_code] { exit_code = create_or_update(*options, true); });

  CLI::App* update = ep->add_subcommand("update", "Make a new version of an extension point");
  update->add_option("file", options->file, "the definition (docs/extension-points.md)")->required();
  add_registry_option(update, options->registry);
  update->callback([options, &exit_code] { exit_code = create_or_update(*options, false); });

  CLI::App* list_cmd = ep->add_subcommand("list", "List extension points (latest versions)");
  add_registry_option(list_cmd, options->registry);
  list_cmd->callback([options, &exit_code] { exit_code = list(*options); });

  CLI::App* show_cmd = ep->add_subcommand("show", "Print an extension point's definition");
  show_cmd->add_option("name", options->name, "the extension point")->required();
  show_cmd->add_option("--version", options->version, "an earlier version (default: the latest)");
  add_registry_option(show_cmd, options->registry);
  show_cmd->callback([options, &exit_code] { exit_code = show(*options); });
}

}  // namespace kiln::cli
