#!/usr/bin/env bash
# Makes a Dapr runtime available to Herald and prints where it is (eval-able lines).
#
# 1. If the user already has Dapr (`dapr` on PATH and ~/.dapr/bin/daprd, as `dapr init`
#    leaves it), use theirs.
# 2. Otherwise build daprd, placement, scheduler and the dapr CLI at pinned versions from
#    the Go module proxy into a cache outside the repo, once; later runs reuse it.
#
# Why build by hand: dapr/dapr's go.mod has replace directives, so `go install ...@v` refuses;
# we download the module, copy it out of the read-only module cache and build inside it.
# daprd needs `-tags stablecomponents` (no tag = no components) and a stamped version.
set -euo pipefail

DAPR_VERSION="${HERALD_DAPR_VERSION:-1.18.2}"
CLI_VERSION="${HERALD_DAPR_CLI_VERSION:-1.12.0}"
CACHE_ROOT="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
# `dapr run -f` looks for <DAPR_RUNTIME_PATH>/.dapr/bin/daprd
RUNTIME_PATH="$CACHE_ROOT/dapr-$DAPR_VERSION"
BIN="$RUNTIME_PATH/.dapr/bin"

log() { printf '[setup-dapr] %s\n' "$*" >&2; }

emit() {
  # $1 runtime path (parent of .dapr), $2 dir with dapr CLI, $3 dir with placement/scheduler
  printf 'export DAPR_RUNTIME_PATH=%q\n' "$1"
  printf 'export HERALD_DAPR_CLI=%q\n' "$2/dapr"
  printf 'export HERALD_DAPRD=%q\n' "$1/.dapr/bin/daprd"
  printf 'export HERALD_PLACEMENT=%q\n' "$3/placement"
  printf 'export HERALD_SCHEDULER=%q\n' "$3/scheduler"
}

if [[ "${HERALD_USE_SYSTEM_DAPR:-auto}" != "never" ]] && command -v dapr >/dev/null 2>&1 \
   && [[ -x "$HOME/.dapr/bin/daprd" ]]; then
  user_bin="$HOME/.dapr/bin"
  if [[ -x "$user_bin/placement" && -x "$user_bin/scheduler" ]]; then
    log "using the installed Dapr ($("$user_bin/daprd" --version 2>/dev/null || echo unknown)) from $user_bin"
    emit "$HOME" "$(dirname "$(command -v dapr)")" "$user_bin"
    exit 0
  fi
  # `dapr init` (not --slim) runs placement/scheduler in containers; we build them only.
  log "installed Dapr has no placement/scheduler binaries; building ours for those"
  NEED_ONLY_CONTROL_PLANE=1
fi

need_build() { [[ ! -x "$BIN/$1" ]]; }

if need_build daprd || need_build placement || need_build scheduler || need_build dapr; then
  command -v go >/dev/null 2>&1 || { log "Go is required to build Dapr (no installed Dapr found)"; exit 1; }
  mkdir -p "$BIN" "$CACHE_ROOT/src"
  export CGO_ENABLED=0 GOFLAGS=-mod=mod
  start=$(date +%s)
  src="$CACHE_ROOT/src/dapr-$DAPR_VERSION"
  if [[ ! -f "$src/go.mod" ]]; then
    log "downloading github.com/dapr/dapr@v$DAPR_VERSION from the Go module proxy"
    dir=$(go mod download -json "github.com/dapr/dapr@v$DAPR_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
    [[ -n "$dir" ]] || { log "go mod download of dapr v$DAPR_VERSION failed"; exit 1; }
    rm -rf "$src.tmp"; cp -r "$dir" "$src.tmp"; chmod -R u+w "$src.tmp"; mv "$src.tmp" "$src"
  fi
  ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION -X github.com/dapr/kit/logger.DaprVersion=$DAPR_VERSION"
  if need_build daprd; then
    log "building daprd $DAPR_VERSION (several minutes on a cold cache)"
    (cd "$src" && go build -tags stablecomponents -ldflags "$ldflags" -o "$BIN/daprd.tmp" ./cmd/daprd && mv "$BIN/daprd.tmp" "$BIN/daprd")
  fi
  for c in placement scheduler; do
    if need_build "$c"; then
      log "building $c $DAPR_VERSION"
      (cd "$src" && go build -ldflags "$ldflags" -o "$BIN/$c.tmp" "./cmd/$c" && mv "$BIN/$c.tmp" "$BIN/$c")
    fi
  done
  if need_build dapr; then
    clisrc="$CACHE_ROOT/src/dapr-cli-$CLI_VERSION"
    if [[ ! -f "$clisrc/go.mod" ]]; then
      log "downloading github.com/dapr/cli@v$CLI_VERSION"
      dir=$(go mod download -json "github.com/dapr/cli@v$CLI_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
      [[ -n "$dir" ]] || { log "go mod download of dapr cli v$CLI_VERSION failed"; exit 1; }
      rm -rf "$clisrc.tmp"; cp -r "$dir" "$clisrc.tmp"; chmod -R u+w "$clisrc.tmp"; mv "$clisrc.tmp" "$clisrc"
    fi
    log "building dapr CLI $CLI_VERSION"
    (cd "$clisrc" && go build -ldflags "-s -w -X main.version=$CLI_VERSION -X main.apiVersion=1.0 -X github.com/dapr/cli/pkg/standalone.gitcommit=herald" -o "$BIN/dapr.tmp" . && mv "$BIN/dapr.tmp" "$BIN/dapr")
  fi
  log "Dapr built in $(( $(date +%s) - start ))s into $BIN ($(du -sh "$BIN" | cut -f1))"
fi

if [[ "${NEED_ONLY_CONTROL_PLANE:-0}" == 1 ]]; then
  emit "$HOME" "$(dirname "$(command -v dapr)")" "$BIN"
else
  emit "$RUNTIME_PATH" "$BIN" "$BIN"
fi
