#!/usr/bin/env bash
# Installs everything kiln's build, tests and benchmarks need on Debian 12.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  cmake ninja-build clang lld gcc g++ make pkg-config ca-certificates \
  wabt wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-14-dev \
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev rapidjson-dev \
  libboost-context-dev libssl-dev python3 >/dev/null
