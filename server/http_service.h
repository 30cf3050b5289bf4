// kiln serve: the platform over HTTP/1.1 (docs/http-api.md). Boost.Beast
// reads and writes asynchronously, with a deadline per request, so a slow
// client holds no worker. `workers` + 1 threads run the event loop and
// `workers` slots bound the work (execute, admin): a request runs on the
// thread that read it when a slot is free, else waits in a bounded queue —
// past it the answer is 503 — and each scope may hold only so many execute
// calls at once (429 beyond); connections past max_connections get 503.
// SIGTERM / SIGINT stop accepting, let the calls in flight finish and
// answer, and return.
#pragma once

#include "kiln/result.h"
#include "server/serve_config.h"

namespace kiln::server {

// Opens the registry and an executor on it, listens, prints one line per
// listener ("kiln serve: listening on http://127.0.0.1:8080", "... on
// unix:/run/kiln.sock") and serves until SIGTERM or SIGINT has drained.
// An error only when it cannot start (registry, address in use, ...).
Result<void> serve(const ServeConfig& config);

}  // namespace kiln::server
