#!/usr/bin/env bash
# Installs what onemap needs from Debian when it is missing, so `make run` and
# `make test` work on a fresh machine. Usage: scripts/deps.sh run|test
#   run:  GEOS for the geometry engine and PROJ with its EPSG database for
#         the Gauss-Krüger zones (both cgo)
#   test: also GDAL's ogrinfo (an independent reader of our files), PROJ's
#         cs2cs/projinfo (an independent check of our transforms) and
#         PostGIS for PostgreSQL 15, and makes sure the cluster runs; and
#         swagger-parser (npm, pinned by scripts/openapicheck's lockfile)
#         for the OpenAPI check of /ogc/api (Node.js ≥ 18 with npm: Debian
#         nodejs and npm when the machine has no node); Debian chromium and
#         the map page's node modules (web/package-lock.json: esbuild, which
#         rebuilds the bundle to check it, and playwright-core, which drives
#         chromium in the browser tests).
set -euo pipefail
mode=${1:-run}
need=(libgeos-dev libproj-dev proj-data)
# Go modules (fetched by go itself): golang-jwt/jwt/v5 v5.3.1, golang.org/x/time v0.14.0,
# prometheus/client_golang v1.25.0 (auth, limits, metrics).
if [ "$mode" = test ]; then
  need+=(gdal-bin proj-bin postgresql-15-postgis-3 chromium)
fi
if [ "$mode" = test ] && ! command -v node >/dev/null; then
  need+=(nodejs npm)
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
  # swagger-parser validates /ogc/api (api/ogc_openapi_test.go).
  here=$(cd "$(dirname "$0")" && pwd)
  if [ ! -d "$here/openapicheck/node_modules/@apidevtools/swagger-parser" ]; then
    echo "installing swagger-parser (scripts/openapicheck)" >&2
    npm ci --prefix "$here/openapicheck" --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi

if [ "$mode" = test ]; then
  # gl-style-validate checks /style.json (tiles/style_test.go).
  here=$(cd "$(dirname "$0")" && pwd)
  if [ ! -x "$here/stylecheck/node_modules/.bin/gl-style-validate" ]; then
    echo "installing gl-style-validate (scripts/stylecheck)" >&2
    npm ci --prefix "$here/stylecheck" --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi

if [ "$mode" = test ]; then
  # The map page: esbuild (web/web_test.go rebuilds the bundle) and
  # playwright-core (cmd/onemap/browser_test.go drives chromium).
  web=$(cd "$(dirname "$0")/../web" && pwd)
  # Installed again when the lockfile is newer than the installation.
  if [ ! -d "$web/node_modules/esbuild" ] || [ ! -d "$web/node_modules/playwright-core" ] ||
     [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
    echo "installing the map page's node modules (web)" >&2
    npm ci --prefix "$web" --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi
