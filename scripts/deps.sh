#!/usr/bin/env bash
# Installs what onemap needs from Debian when it is missing: GEOS for the
# geometry engine (cgo) and, for the tests, GDAL's ogrinfo as an independent
# reader of our GeoPackage. Usage: scripts/deps.sh run|test
set -euo pipefail
need=(libgeos-dev)
if [ "${1:-run}" = test ]; then
  need+=(gdal-bin)
fi
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "Go is missing: install Go 1.26 (https://go.dev/dl) and put it on PATH" >&2; exit 1; }
