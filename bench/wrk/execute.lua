-- wrk script for kiln serve's execute endpoint (scripts/bench-service.sh):
--   KILN_EXEC_TOKEN=... wrk -t1 -c8 -d5s -s bench/wrk/execute.lua http://127.0.0.1:PORT \
--     -- INPUT.json [EXTENSION_POINT] [SCOPE]
-- Every request is POST /v1/execute/EP?scope=SCOPE with the bearer token
-- (from the environment: never on a command line) and the JSON input as
-- the body. done() prints one "kiln-wrk:" line of key=value pairs, which
-- kiln_service_bench --wrk-result reads into its table (the script adds a
-- "kiln-wrk-command:" line saying how wrk was run).

function init(args)
  local input = args[1] or error("usage: wrk ... -s execute.lua URL -- INPUT.json [EP] [SCOPE]")
  local file = assert(io.open(input, "rb"))
  local body = file:read("*a")
  file:close()
  local token = os.getenv("KILN_EXEC_TOKEN") or error("KILN_EXEC_TOKEN is not set")
  wrk.path = "/v1/execute/" .. (args[2] or "checkout.product_discounts") .. "?scope=" .. (args[3] or "shop-1")
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end

-- No request() function: wrk then builds the request once, after init(),
-- and sends the same bytes every time (no Lua per request).

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    "kiln-wrk: requests=%d seconds=%.2f requests_per_s=%.0f " ..
    "p50_us=%.1f p95_us=%.1f p99_us=%.1f max_us=%.1f non_2xx=%d socket_errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
