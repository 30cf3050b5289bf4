#!/usr/bin/env bash
# examples/execute_c.c, a C host on kiln.h's executor linked to libkiln.so:
# the discount example deployed by the CLI, executed in process, then on
# `kiln serve` over TCP, then with the service gone (not run, degraded).
#
#   execute_c_test.sh KILN EXECUTE_C EXAMPLES_BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
kiln=$1 execute_c=$2 built=$3 source=$4 work=$5
example=$source/examples/product_discount
rm -rf "$work" && mkdir -p "$work"
export KILN_CACHE_DIR=$work/cache KILN_REGISTRY=$work/registry.db
export KILN_ADMIN_TOKEN=admin-secret KILN_EXEC_TOKEN=exec-secret
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; true' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect OUTPUT_FILE LINE: the output has the line exactly.
expect() { grep -qxF -- "$2" "$1" || { cat "$1" >&2; fail "no line '$2'"; }; }

"$kiln" ep create "$example/extension_point.json" --registry "$KILN_REGISTRY" >/dev/null
"$kiln" deploy "$built/product_discount.wasm" --ep checkout.product_discounts --scope shop-1 \
  --config "@$example/config.json" --registry "$KILN_REGISTRY" >/dev/null
expected="output: $(tr -d '\n' < "$example/expected_output.json")"

# In process.
"$execute_c" checkout.product_discounts shop-1 "$example/input.json" > "$work/local.out"
expect "$work/local.out" "status: ok"
expect "$work/local.out" "$expected"
expect "$work/local.out" "network_ns: 0"
"$execute_c" checkout.product_discounts shop-2 "$example/input.json" > "$work/none.out"
expect "$work/none.out" "status: not run"
if "$execute_c" no.such.point shop-1 "$example/input.json" > "$work/missing.out"; then fail "an unknown extension point exited 0"; fi
grep -q "^error: not found: .*no.such.point" "$work/missing.out" || { cat "$work/missing.out"; fail "no not-found error"; }

# On the service: the same program, configured by KILN_URL.
"$kiln" serve --registry "$KILN_REGISTRY" --listen 127.0.0.1:0 > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 300); do grep -q "listening on" "$work/serve.log" && break; sleep 0.05; done
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/serve.log")
[ -n "$url" ] || { cat "$work/serve.log"; fail "kiln serve did not listen"; }
KILN_URL=$url "$execute_c" checkout.product_discounts shop-1 "$example/input.json" > "$work/remote.out"
expect "$work/remote.out" "status: ok"
expect "$work/remote.out" "$expected"
grep -q "^network_ns: [1-9]" "$work/remote.out" || { cat "$work/remote.out"; fail "no network time"; }

# The service gone: not run, with the reason, and a non-zero exit.
kill "$server"; wait "$server" || true; server=
if KILN_URL=$url "$execute_c" checkout.product_discounts shop-1 "$example/input.json" > "$work/down.out"; then
  fail "a call to a stopped service exited 0"
fi
expect "$work/down.out" "status: not run"
grep -q "^error: io error: " "$work/down.out" || { cat "$work/down.out"; fail "no io error"; }
echo "execute_c: in process, remote and degraded: ok"
