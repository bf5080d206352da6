#!/usr/bin/env bash
# Installs what onemap needs from Debian when it is missing, so `make run` and
# `make test` work on a fresh machine. Usage: scripts/deps.sh run|test
#   run:  GEOS for the geometry engine (cgo)
#   test: also GDAL's ogrinfo (an independent reader of our files),
#         PostGIS for PostgreSQL 15 (and makes sure the cluster runs), and
#         gl-style-validate (npm, pinned by scripts/stylecheck's lockfile;
#         Node.js and npm come with the machine).
# Go modules come pinned from go.mod (`go mod download`), e.g.
# github.com/hashicorp/golang-lru/v2 v2.0.7 for the tile cache.
set -euo pipefail
mode=${1:-run}
need=(libgeos-dev)
if [ "$mode" = test ]; then
  need+=(gdal-bin postgresql-15-postgis-3)
fi
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "Go is missing: install Go 1.26 and put it on PATH" >&2; exit 1; }

if [ "$mode" = test ]; then
  # An install may restart or stop the cluster: start it if it is down and
  # wait until it answers.
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    $sudo pg_ctlcluster --skip-systemctl-redirect 15 main start 2>/dev/null || $sudo pg_ctlcluster 15 main start || true
  fi
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
  pg_isready -h 127.0.0.1 -p 5432 >&2 || { echo "PostgreSQL 15 does not answer on 127.0.0.1:5432" >&2; exit 1; }
fi

if [ "$mode" = test ]; then
  # gl-style-validate checks /style.json (tiles/style_test.go).
  here=$(cd "$(dirname "$0")" && pwd)
  if [ ! -x "$here/stylecheck/node_modules/.bin/gl-style-validate" ]; then
    echo "installing gl-style-validate" >&2
    npm ci --prefix "$here/stylecheck" --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi
