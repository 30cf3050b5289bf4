// kiln serve: the platform as an HTTP service (server/, docs/http-api.md).
// Tokens come from the environment or the configuration's tokens file,
// never from the command line.
#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/platform_common.h"
#include "server/http_service.h"

namespace kiln::cli {
namespace {

struct ServeOptions {
  std::string config_file;
  std::string registry;
  std::string listen;
  std::string unix_socket;
};

int run_serve(const ServeOptions& options) {
  server::ServeConfig config;
  if (!options.config_file.empty()) {
    if (auto loaded = server::load_config_file(options.config_file, config); !loaded) return report(loaded.error());
  }
  if (!options.registry.empty()) config.registry = options.registry;
  if (!options.listen.empty()) config.listen = options.listen;
  if (!options.unix_socket.empty()) config.unix_socket = options.unix_socket;
  if (auto finished = server::finish_config(config); !finished) return report(finished.error());
  if (auto served = server::serve(config); !served) return report(served.error());
  return kExitOk;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* serve = app.add_subcommand("serve", "Serve the platform over HTTP (docs/http-api.md)");
  serve->add_option("--config", options->config_file, "a JSON configuration file (docs/http-api.md)");
  add_registry_option(serve, options->registry);
  serve->add_option("--listen", options->listen, "HOST:PORT to listen on (port 0: any free port)");
  serve->add_option("--unix", options->unix_socket, "a Unix domain socket to listen on");
  serve->callback([options, &exit_code] { exit_code = run_serve(*options); });
}

}  // namespace kiln::cli
