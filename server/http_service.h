// kiln serve: the platform over HTTP/1.1 (docs/http-api.md). Boost.Beast on
// one I/O thread does all the reading and writing, asynchronously and with
// a deadline per request, so a slow client holds no worker; a fixed set of
// worker threads runs the handlers (execute, admin) from a bounded queue —
// past it the answer is 503 — and each scope may hold only so many execute
// calls at once (429 beyond). SIGTERM / SIGINT stop accepting, let the
// calls in flight finish and answer, and return.
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
