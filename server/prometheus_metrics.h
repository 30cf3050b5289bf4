// Prometheus text exposition (format 0.0.4) of an executor's figures and the
// service's gauges: what `kiln serve` answers GET /metrics with.
//
//   kiln_execute_stage_seconds{extension_point,stage,le}  histogram, per stage
//       of the execute pipeline (lookup ... total) and "overhead" (total
//       minus run); le from 1 µs to 10 s, then +Inf
//   kiln_executions_total{extension_point,status}          counter, per ExecStatus
//   kiln_errors_total{extension_point,kind}                counter, per ErrorKind
//   kiln_pool_instances{extension_point,extension,version,state}  gauge,
//       state "idle" or "leased"; and {pool} for ServerGauges::pool_sizes
//   kiln_in_flight_calls, kiln_queue_depth                 gauges
//   kiln_scope_in_flight_calls{scope}                      gauge, scopes given
//
// Status and kind label values are the stable names with spaces as
// underscores ("not_run", "out_of_fuel"): the service's error codes.
// Rendering is off the hot path: it reads snapshots, it takes no lock of
// the executor's beyond those stats() and pool_stats() take.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "execute/executor.h"

namespace kiln::server {

struct ServerGauges {
  uint64_t in_flight = 0;    // executions running now
  uint64_t queue_depth = 0;  // requests accepted and waiting for a worker
  uint64_t connections = 0;  // client connections open
  // Free-form pools by name (e.g. a connection pool): kiln_pool_instances{pool="name"}.
  std::vector<std::pair<std::string, uint64_t>> pool_sizes;
  // The executor's instance pools, from Executor::pool_stats().
  std::vector<execute::PoolStats> pools;
  // Calls in flight per scope (the per-scope limit's counts):
  // kiln_scope_in_flight_calls{scope}. Give only the scopes with calls in
  // flight: one series per scope ever seen would grow without bound.
  std::vector<std::pair<std::string, uint64_t>> scope_in_flight;
};

std::string render_prometheus(const std::vector<execute::StageStats>& stats, const ServerGauges& gauges);

// The whole page from an executor: its stats() and pool_stats() with the
// gauges given (their `pools` replaced by the executor's).
std::string render_prometheus(const execute::Executor& executor, ServerGauges gauges);

// A label value as the format wants it: \ " and newline escaped.
std::string escape_label_value(std::string_view value);

// The Content-Type to answer with.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace kiln::server
