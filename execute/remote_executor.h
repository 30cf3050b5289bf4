// RemoteExecutor: the Executor interface over HTTP, against a kiln service
// (`kiln serve`): POST /v1/execute/{extension_point}?scope=S with the input
// as the body and the execute token as a bearer token; the answer's body is
// execute::to_json(result), read back with exec_result_from_json. A host
// holds a std::unique_ptr<Executor> and picks LocalExecutor or
// RemoteExecutor by configuration (docs/remote-executor.md).
//
// Synchronous Boost.Beast on TCP or a Unix domain socket, with a pool of
// keep-alive connections, a deadline per call that covers connect, write
// and read, and a circuit breaker. When the service cannot be reached or
// cannot answer — connection refused or reset, the deadline passed, a 5xx
// without a result, an overloaded 429/503, a malformed answer, or the
// breaker is open — the result is ExecStatus::NotRun with `error` saying
// why (ErrorKind::Io; ErrorKind::PoolExhausted for 429/503), so that a host
// which treats "not run" as "no customisation" degrades gracefully, and one
// that wants to know looks at `error`.
//
// execute() is safe from many threads at once and never throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "execute/call_options.h"
#include "execute/executor.h"
#include "kiln/result.h"

namespace kiln::execute {

struct RemoteExecutorConfig {
  // "http://host:port" (port 80 when left out; an optional path prefix,
  // "http://host:port/kiln", is put before /v1) or "unix:/path/to.sock".
  std::string url;
  // The execute token, sent as "Authorization: Bearer <token>". From the
  // host's configuration or environment (kiln exec: KILN_EXEC_TOKEN);
  // never logged, never put in a result. Empty: no Authorization header.
  std::string token;
  // The whole call — connect (when a new connection is needed), write,
  // wait, read — must finish in this time, or the result is NotRun with an
  // Io error "timed out". 250 ms: above an extension point's default time
  // limit (100 ms) plus queueing, so that a slow extension shows as the
  // service's own Deadline result rather than as a client timeout; hosts
  // with a tighter budget set less.
  std::chrono::milliseconds timeout{250};
  // Idle keep-alive connections kept for reuse. Calls beyond it at once
  // open connections of their own, which are closed after their answer.
  std::size_t pool_size = 16;
  // The circuit breaker: after `breaker_failures` consecutive failures
  // (refused, reset, timed out, 503, a 5xx without a result, a malformed
  // answer) it opens; calls then
  // fail fast, NotRun, without touching the network. After
  // `breaker_cool_down` (or the service's Retry-After, in seconds, when a
  // 503 opened it and asked for longer; at most a minute) one call goes
  // through (half-open): success closes the breaker, failure opens it for
  // another cool-down. 0 failures: no breaker.
  uint32_t breaker_failures = 5;
  std::chrono::milliseconds breaker_cool_down{1000};
  // How long a call polls its socket, while it waits for the service's
  // answer, before it sleeps in the kernel — only while it is this
  // client's only call in flight. A sleeping thread costs a wake-up when
  // the answer comes, tens of µs on a virtual machine; polling costs that
  // time on a core the caller is blocking anyway. Concurrent calls never
  // poll: their cores are better left to each other and to a service on
  // the same machine. 0: never poll.
  std::chrono::microseconds spin{200};
};

// What the client saw since it was opened (RemoteExecutor::client_stats).
struct RemoteClientStats {
  uint64_t calls = 0;                // execute() calls
  uint64_t connections_opened = 0;   // TCP / Unix connections established
  uint64_t connections_reused = 0;   // calls that went out on a pooled connection
  uint64_t stale_retries = 0;        // calls retried once on a new connection after a stale one
  uint64_t failures = 0;             // calls that counted against the breaker
  uint64_t short_circuited = 0;      // calls failed fast by the open breaker
  uint64_t breaker_opened = 0;       // times the breaker opened
  bool breaker_open = false;         // open or half-open now
  Percentiles network;               // network_time of answered calls
  Percentiles round_trip;            // whole call, answered calls
};

class RemoteExecutor final : public Executor {
 public:
  // Checks the URL and resolves the host; connects lazily, on the first
  // call, so opening succeeds while the service is still down.
  static Result<std::unique_ptr<RemoteExecutor>> open(RemoteExecutorConfig config);
  ~RemoteExecutor() override;

  // The service's result (200, 422, and any error answer whose body is a
  // result), with network_time = this call's round trip minus the service's
  // stages[Total]. The service's 404 (unknown extension point) is status
  // Error, ErrorKind::NotFound; 401/403 are status Error,
  // ErrorKind::InvalidArgument ("the execute token was refused"); 413 is
  // InvalidInput. The whole table: docs/remote-executor.md.
  ExecResult execute(std::string_view extension_point, std::string_view scope,
                     std::span<const uint8_t> input) override;
  // The same in the caller's formats (CallOptions::input_format and
  // output_format; the rest of CallOptions is for in-process calls and is
  // not sent): a MessagePack input is sent as application/msgpack, and a
  // MessagePack output is converted here from the service's JSON result.
  ExecResult execute(std::string_view extension_point, std::string_view scope, std::span<const uint8_t> input,
                     const CallOptions& options);

  // Client-side figures, per extension point called through this client:
  // `stages` are the service's stages as reported in the answers, `overhead`
  // is round trip minus the guest's run (what the host paid beyond the
  // guest, network included), `by_status` counts every result returned,
  // degraded ones (NotRun) too. The service's own figures are at its
  // /metrics.
  std::vector<StageStats> stats() const override;
  RemoteClientStats client_stats() const;

  struct Impl;

 private:
  explicit RemoteExecutor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::execute
