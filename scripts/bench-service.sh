#!/usr/bin/env bash
# The service benchmark of issue 13, in one run: the discount example on the
# 3-line checkout (examples/product_discount), input validation sampled off
# (the extension point's validate_input set to 0), executed
#   1. in process (LocalExecutor),
#   2. through the C++ client (RemoteExecutor) against a real `kiln serve`
#      child over loopback TCP keep-alive and over its Unix socket,
#   3. by wrk with bench/wrk/execute.lua over TCP,
# and printed as one table shaped like seed 000's Results (kiln_service_bench).
#
#   bash scripts/bench-service.sh [BUILD_DIR]        (default: build)
#
# ABI (environment) picks the discount's variant: reactor (default; the
# kiln-reactor guest, checkout.product_discounts.reactor, the ABI kiln
# recommends) or command (the wasi-command guest, checkout.product_discounts).
# Both take and give JSON here.
# Other knobs (environment): RUNS (1-thread calls, 20000), THREADS (client threads
# of the concurrent rows, 4), DURATION (their seconds, 3), WORKERS (the
# server's, 2), WRK_THREADS (1), WRK_CONNECTIONS (8), WRK_DURATION (5s),
# CLIENT_SPIN_US (RemoteExecutorConfig::spin of the C++ client, 200).
# Everything lives in a temporary folder, removed on exit; the tokens are
# random, written to a 0600 tokens file for the server and handed to the
# clients in their environment, never on a command line.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
kiln="$build/kiln"
bench="$build/bench/kiln_service_bench"
example=examples/product_discount
case "${ABI:-reactor}" in
  reactor) definition=extension_point_reactor.json module=product_discount_reactor.wasm
           ep=checkout.product_discounts.reactor ;;
  command) definition=extension_point.json module=product_discount.wasm ep=checkout.product_discounts ;;
  *) echo "bench-service.sh: ABI is reactor or command" >&2; exit 1 ;;
esac
for tool in "$kiln" "$bench" "$build/examples/$module"; do
  [ -e "$tool" ] || { echo "bench-service.sh: $tool is missing (cmake --build $build)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "bench-service.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d /tmp/kiln-bench-service.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -TERM "$server_pid"; wait "$server_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

registry="$work/registry.db"
socket="$work/kiln.sock"

# The extension point with validation sampled off, and the guest deployed
# to every scope.
python3 - "$example/$definition" "$work/extension_point.json" <<'PY'
import json, sys
definition = json.load(open(sys.argv[1]))
definition["validate_input"] = 0
json.dump(definition, open(sys.argv[2], "w"))
PY
"$kiln" ep create --registry "$registry" "$work/extension_point.json" >/dev/null
"$kiln" deploy --registry "$registry" "$build/examples/$module" \
  --ep "$ep" --scope '*' --config @"$example/config.json" >/dev/null

random_token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
exec_token=$(random_token)
(umask 077; printf '{"admin": "%s", "execute": "%s"}\n' "$(random_token)" "$exec_token" > "$work/tokens.json")
# The per-scope limit above every client's concurrency: one scope is all
# this benchmark calls, and a 429 is no execution.
cat > "$work/serve.json" <<EOF
{"registry": "$registry", "tokens_file": "$work/tokens.json",
 "workers": ${WORKERS:-2}, "queue": 256, "per_scope_limit": 256}
EOF

# The server, with its tokens from the file only.
env -u KILN_ADMIN_TOKEN -u KILN_EXEC_TOKEN \
  "$kiln" serve --config "$work/serve.json" --listen 127.0.0.1:0 --unix "$socket" > "$work/serve.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 1 200); do
  url=$(sed -n 's/^kiln serve: listening on \(http:[^ ]*\)$/\1/p' "$work/serve.log")
  [ -n "$url" ] && grep -q "listening on unix:" "$work/serve.log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.05
done
[ -n "$url" ] || { echo "bench-service.sh: the server did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
echo "bench-service.sh: kiln serve (workers ${WORKERS:-2}) on $url and unix:$socket" >&2

# wrk: a second's warm-up, then the measured run.
wrk_args=(-t"${WRK_THREADS:-1}" -c"${WRK_CONNECTIONS:-8}")
KILN_EXEC_TOKEN=$exec_token wrk "${wrk_args[@]}" -d1s -s bench/wrk/execute.lua "$url" -- "$example/input.json" "$ep" >/dev/null
echo "kiln-wrk-command: wrk ${wrk_args[*]} -d${WRK_DURATION:-5s}" > "$work/wrk.txt"
KILN_EXEC_TOKEN=$exec_token wrk "${wrk_args[@]}" -d"${WRK_DURATION:-5s}" --latency -s bench/wrk/execute.lua "$url" \
  -- "$example/input.json" "$ep" >> "$work/wrk.txt"
echo "bench-service.sh: wrk's own summary:" >&2
sed -n '/Thread Stats/,/Transfer/p' "$work/wrk.txt" >&2

KILN_EXEC_TOKEN=$exec_token "$bench" --registry "$registry" --input "$example/input.json" --extension-point "$ep" \
  --url "$url" --unix "$socket" --runs "${RUNS:-20000}" --threads "${THREADS:-4}" --seconds "${DURATION:-3}" \
  --wrk-result "$work/wrk.txt"

# SIGTERM drains and exits 0.
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
[ "$status" -eq 0 ] || { echo "bench-service.sh: kiln serve exited $status" >&2; cat "$work/serve.log" >&2; exit 1; }
