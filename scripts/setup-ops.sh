#!/usr/bin/env bash
# Builds ops/check (Herald's reader of its own Prometheus rules and Grafana dashboard, on
# Prometheus's rule and PromQL parsers) from the Go module proxy into a cache outside the repo,
# once per version of its sources, and prints where it is (an eval-able line):
#
#   eval "$(bash scripts/setup-ops.sh)"
#   "$HERALD_OPS_CHECK" ops/prometheus/herald-rules.yaml ops/grafana/herald-dashboard.json
#
# ops/check/go.sum pins every module it is built from, so the build reads only what it needs;
# a later run with the same sources finds the binary and builds nothing.
set -euo pipefail

CACHE_ROOT="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/ops/check"

log() { printf '[setup-ops] %s\n' "$*" >&2; }

command -v go >/dev/null 2>&1 || { log "Go is needed to build ops/check (it reads the rules with Prometheus's own parser)"; exit 1; }
tag=$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" | sha256sum | cut -c1-16)
bin="$CACHE_ROOT/ops-check-$tag/check"
if [[ ! -x "$bin" ]]; then
  mkdir -p "$CACHE_ROOT"
  exec 9>"$CACHE_ROOT/.setup-ops.lock"
  flock 9
  if [[ ! -x "$bin" ]]; then
    log "building ops/check (Prometheus $(awk '/prometheus\/prometheus /{print $2; exit}' "$SRC/go.mod")) into $(dirname "$bin")"
    mkdir -p "$(dirname "$bin")"
    (cd "$SRC" && GOFLAGS=-mod=readonly go build -trimpath -o "$bin.tmp" .) >&2
    mv "$bin.tmp" "$bin"
  fi
fi
printf 'export HERALD_OPS_CHECK=%q\n' "$bin"
