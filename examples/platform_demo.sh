#!/usr/bin/env bash
# The extension platform on its embedded defaults, from scratch: a fresh
# registry (build/demo/registry.db), the three example extension points,
# the three example functions deployed to every scope ('*'), and one
# execution of the product discount on a sample checkout.
#   bash examples/platform_demo.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
kiln="$build/kiln"
registry="$build/demo/registry.db"
rm -rf "$build/demo"
run() { echo "\$ ${*/#$build\//build/}" >&2; "$@"; }

for example in product_discount shipping_filter payment_reorder; do
  run "$kiln" ep create --registry "$registry" "examples/$example/extension_point.json"
done
run "$kiln" deploy --registry "$registry" "$build/examples/product_discount.wasm" \
  --ep checkout.product_discounts --scope '*' --config @examples/product_discount/config.json
run "$kiln" deploy --registry "$registry" "$build/examples/shipping_filter.wasm" \
  --ep checkout.delivery_customization --scope '*' --config @examples/shipping_filter/config.json
run "$kiln" deploy --registry "$registry" "$build/examples/payment_reorder.wasm" \
  --ep checkout.payment_customization --scope '*' --config @examples/payment_reorder/config.json
run "$kiln" extensions list --registry "$registry"
echo "\$ kiln exec checkout.product_discounts --scope shop-1 < examples/product_discount/input.json" >&2
"$kiln" exec --registry "$registry" checkout.product_discounts --scope shop-1 \
  < examples/product_discount/input.json
echo
