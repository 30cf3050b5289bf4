#!/usr/bin/env bash
# Puts valijson's headers (JSON Schema draft 7, header-only; schema/ uses it)
# in /opt/kiln-deps/include/valijson, and the official JSON-Schema-Test-Suite
# (tests/json_schema_suite_test.cc runs it) in
# /opt/kiln-deps/json-schema-test-suite. Called by scripts/install-deps.sh and
# .ci/run after they install scripts/debian-packages.txt.
#
# Why not `apt-get install`: Debian's libvalijson-dev Depends on the
# libraries of every adapter valijson ships (Qt 5, Poco, jsoncpp, yaml-cpp,
# nlohmann-json, picojson: about 70 packages), and kiln uses only the
# RapidJSON adapter; json-schema-test-suite Depends on python3-flask and
# python3-jsonschema (11 packages) for a script we do not run, while we need
# only its JSON files. So both packages are fetched from Debian's archive
# with `apt-get download` and unpacked with `dpkg-deb -x`: the same files,
# none of the dependencies. Both packages are Architecture: all.
#
# Idempotent: a package already unpacked at the archive's current version
# is left alone. Uses sudo to write under /opt when not run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PREFIX=/opt/kiln-deps
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

candidate() { apt-cache policy "$1" | awk '/Candidate:/ {print $2}'; }

# unpack PACKAGE DEST SUBDIR: the package's SUBDIR (a directory inside the
# .deb) becomes DEST, replaced whole; DEST/.kiln-deb-version records it.
unpack() {
  local package=$1 dest=$2 subdir=$3
  local version
  version=$(candidate "$package")
  if [ -z "$version" ] || [ "$version" = "(none)" ]; then
    echo "install-valijson.sh: no $package in the apt sources (run apt-get update?)" >&2
    exit 1
  fi
  if [ "$(cat "$dest/.kiln-deb-version" 2>/dev/null)" = "$version" ]; then
    return
  fi
  local work
  work=$(mktemp -d)
  # As root, apt downloads as its sandbox user _apt, which must be able to
  # write here (else a harmless "unsandboxed" warning).
  if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$work"; fi
  (cd "$work" && apt-get download -qq "$package=$version" && dpkg-deb -x ./*.deb root)
  echo "$version" >"$work/root/$subdir/.kiln-deb-version"
  $SUDO mkdir -p "$(dirname "$dest")"
  $SUDO rm -rf "$dest.new"
  $SUDO cp -r "$work/root/$subdir" "$dest.new"
  $SUDO rm -rf "$dest"
  $SUDO mv "$dest.new" "$dest"
  rm -rf "$work"
  echo "install-valijson.sh: $package $version in $dest"
}

unpack libvalijson-dev "$PREFIX/include/valijson" usr/include/valijson
unpack json-schema-test-suite "$PREFIX/json-schema-test-suite" usr/share/json-schema-test-suite
