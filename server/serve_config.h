// The configuration of `kiln serve`: a JSON file (docs/http-api.md,
// "Configuration"), then the command line's flags over it, then the tokens
// from the environment or the tokens file. Everything is checked before
// the server starts; an error names the option.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "kiln/result.h"

namespace kiln::server {

struct ServeConfig {
  std::string listen;  // "HOST:PORT" (port 0: any free port); empty: no TCP listener
  std::string unix_socket;  // a path; empty: no Unix socket
  std::string tokens_file;  // JSON {"admin": "...", "execute": "..."}
  std::string registry;     // empty: Registry::default_path()
  std::string providers;    // Shopify's provider modules for deploys; empty: $KILN_PROVIDERS
  int workers = 4;          // threads running handlers
  int queue = 64;           // requests waiting for a worker; more: 503
  int per_scope_limit = 0;  // execute calls of one scope queued or running; 0: max(1, workers / 2)
  int max_connections = 1024;  // open at once; one more is answered 503 and closed
  bool access_log = false;     // one line per answer on stdout (never a token or a body)
  uint64_t max_body = uint64_t{1} << 20;          // request bodies except module uploads
  uint64_t max_module_body = uint64_t{16} << 20;  // POST /v1/modules
  uint32_t max_header = 16 * 1024;                // request line and headers
  std::chrono::milliseconds read_timeout{10000};  // to read one whole request
  // Replay bundles of failed (and slow) calls (docs/replay.md); empty: none.
  std::string replay_dir;
  uint64_t replay_max_files = 100;
  uint64_t replay_max_bytes = uint64_t{256} << 20;
  std::chrono::milliseconds replay_slow{0};  // 0: failed calls only
  // Never printed or logged.
  std::string admin_token, execute_token;
};

// Reads the file's options into `config` (unknown options refused).
Result<void> load_config_file(const std::string& path, ServeConfig& config);
// Checks the whole configuration and reads the tokens: KILN_ADMIN_TOKEN /
// KILN_EXEC_TOKEN, else tokens_file's. Both tokens are required.
Result<void> finish_config(ServeConfig& config);

}  // namespace kiln::server
