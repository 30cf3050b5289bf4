#!/usr/bin/env bash
# The long differential fuzz run (issue 11): N random modules (default
# 2000) from binaryen's `wasm-opt -ttf`, each run on the interpreter and on
# the aot backend with every call compared (tests/fuzz/differential_fuzz.cc;
# the ctest fuzz.differential runs the first 60 seeds). It builds nothing:
# `ninja -C build kiln_differential_fuzz` first. Arguments after N go to the
# program and override the defaults here: --first-seed S, --fuel F,
# --jobs J, --keep, -v. Artifacts go to a temporary cache, removed at the
# end unless a mismatch keeps its module there (the path is printed).
#
#   scripts/fuzz-differential.sh 5000 --first-seed 100000
#
# Exit status: the program's (0 all agreed, 1 a mismatch, 77 no wasm-opt).
set -euo pipefail

count=${1:-2000}
shift $(( $# > 0 ? 1 : 0 ))
build=${KILN_BUILD_DIR:-$(cd "$(dirname "$0")/.." && pwd)/build}
program=$build/tests/kiln_differential_fuzz
if [[ ! -x $program ]]; then
  echo "fuzz-differential: no $program; build it first: ninja -C $build kiln_differential_fuzz" >&2
  exit 2
fi
exec "$program" --seeds "$count" --jobs "$(nproc)" "$@"
