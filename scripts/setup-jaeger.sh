#!/usr/bin/env bash
# Makes Jaeger (the trace UI and query API `npm start` and the tracing test run) available and
# prints where it is (eval-able lines):
#
#   eval "$(bash scripts/setup-jaeger.sh)"
#   "$HERALD_JAEGER" --config "$HERALD_ROOT/ops/jaeger.yaml"
#
# Jaeger v2 (`cmd/jaeger`, a build of the OpenTelemetry collector) at a pinned version, built from
# the Go module proxy into a cache outside the repo (<cache>/jaeger-<version>/jaeger), once; later
# runs reuse it. It is built as a tool of a small module of its own (`go get -tool`), so the
# versions of its dependencies are the ones its go.mod asks for, and nothing lands in the repo.
#
# The pin is v1.75.0 (its v2 binary is the same release): the proxy serves newer versions that
# are not approved releases here. ops/jaeger.yaml is the configuration it runs with.
set -euo pipefail

JAEGER_VERSION="${HERALD_JAEGER_VERSION:-1.75.0}"
CACHE_ROOT="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
DIR="$CACHE_ROOT/jaeger-$JAEGER_VERSION"
BIN="$DIR/jaeger"
MODULE=github.com/jaegertracing/jaeger

log() { printf '[setup-jaeger] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# Two runs started at once (tests and `npm start`, say) must not build into the same cache
# together: the second waits for the first, then finds the binary there.
mkdir -p "$CACHE_ROOT"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/.setup-jaeger.lock"
  flock 9
fi

if [[ ! -x "$BIN" ]]; then
  command -v go >/dev/null 2>&1 || die "Go is required to build Jaeger $JAEGER_VERSION (the trace UI)"
  # GOTOOLCHAIN=local: a dependency asking for a newer Go fails here, rather than fetching a toolchain.
  export CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off GOTOOLCHAIN=local
  start=$(date +%s)
  mkdir -p "$DIR"
  work=$(mktemp -d "$DIR/.build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  log "building Jaeger v$JAEGER_VERSION from the Go module proxy (a few minutes on a cold cache)"
  (
    cd "$work"
    go mod init herald.local/jaeger-tool >/dev/null 2>&1
    go get -tool "$MODULE/cmd/jaeger@v$JAEGER_VERSION" >&2
    # The version `jaeger version` and the UI report (the project's own build stamps it the same way).
    go build -trimpath -o "$work/jaeger" \
      -ldflags "-s -w -X $MODULE/internal/version.latestVersion=v$JAEGER_VERSION -X $MODULE/internal/version.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
      "$MODULE/cmd/jaeger" >&2
  ) || die "building Jaeger v$JAEGER_VERSION failed (is $MODULE@v$JAEGER_VERSION on the Go module proxy?)"
  mv "$work/jaeger" "$BIN"
  log "built Jaeger v$JAEGER_VERSION in $(( $(date +%s) - start ))s into $BIN ($(du -h "$BIN" | cut -f1))"
fi

printf 'export HERALD_JAEGER=%q\n' "$BIN"
printf 'export HERALD_JAEGER_VERSION=%q\n' "$JAEGER_VERSION"
