#!/usr/bin/env bash
# Installs the Debian 12 packages in scripts/debian-packages.txt (with sudo
# when not run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
packages=$(grep -v '^#' "$(dirname "$0")/debian-packages.txt")
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $packages >/dev/null
# valijson and the JSON-Schema-Test-Suite, unpacked without their
# dependencies (the script says why).
bash "$(dirname "$0")/install-valijson.sh"
