#!/usr/bin/env bash
# Makes a Dapr runtime available to Herald and prints where it is (eval-able lines).
#
# 1. If the user already has Dapr (`dapr` on PATH and ~/.dapr/bin/daprd, as `dapr init`
#    leaves it), use theirs.
# 2. Otherwise build daprd, placement, scheduler, sentry and the dapr CLI at pinned versions
#    from the Go module proxy into a cache outside the repo, once; later runs reuse it.
# Sentry (the certificate authority that makes mTLS between sidecars) is always ours: `dapr init`
# runs none outside Kubernetes.
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

# Two commands started at once (tests and the bench, say) must not build into the same cache
# together: the second waits for the first, then finds the binaries there.
mkdir -p "$CACHE_ROOT"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/.setup.lock"
  flock 9
fi

emit() {
  # $1 runtime path (parent of .dapr), $2 dir with dapr CLI, $3 dir with placement/scheduler
  printf 'export DAPR_RUNTIME_PATH=%q\n' "$1"
  printf 'export HERALD_DAPR_CLI=%q\n' "$2/dapr"
  printf 'export HERALD_DAPRD=%q\n' "$1/.dapr/bin/daprd"
  printf 'export HERALD_PLACEMENT=%q\n' "$3/placement"
  printf 'export HERALD_SCHEDULER=%q\n' "$3/scheduler"
  printf 'export HERALD_SENTRY=%q\n' "$BIN/sentry"
}

ONLY_CONTROL_PLANE=0
if [[ "${HERALD_USE_SYSTEM_DAPR:-auto}" != "never" ]] && command -v dapr >/dev/null 2>&1 \
   && [[ -x "$HOME/.dapr/bin/daprd" ]]; then
  user_bin="$HOME/.dapr/bin"
  user_version=$("$user_bin/daprd" --version 2>/dev/null | head -1 || echo unknown)
  if [[ "${user_version%.*}" != "${DAPR_VERSION%.*}" ]]; then
    log "warning: the installed daprd is $user_version; Herald is built and tested with $DAPR_VERSION"
  fi
  if [[ -x "$user_bin/placement" && -x "$user_bin/scheduler" && -x "$BIN/sentry" ]]; then
    log "using the installed Dapr $user_version from $user_bin"
    emit "$HOME" "$(dirname "$(command -v dapr)")" "$user_bin"
    exit 0
  fi
  # A full `dapr init` runs placement and scheduler in containers (start.sh uses them when
  # their ports answer); build ours only so there is one to start when they do not.
  log "using the installed Dapr $user_version; building placement and scheduler $DAPR_VERSION for when none is running"
  ONLY_CONTROL_PLANE=1
fi

need_build() { [[ ! -x "$BIN/$1" ]]; }
wanted=(placement scheduler sentry)
(( ONLY_CONTROL_PLANE )) || wanted+=(daprd dapr)
missing=()
for c in "${wanted[@]}"; do need_build "$c" && missing+=("$c"); done

download_module() { # module version dest
  if [[ ! -f "$3/go.mod" ]]; then
    log "downloading $1@v$2 from the Go module proxy"
    local dir
    dir=$(go mod download -json "$1@v$2" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
    [[ -n "$dir" ]] || { log "go mod download of $1@v$2 failed"; exit 1; }
    rm -rf "$3.tmp"; cp -r "$dir" "$3.tmp"; chmod -R u+w "$3.tmp"; mv "$3.tmp" "$3"
  fi
}

if (( ${#missing[@]} )); then
  command -v go >/dev/null 2>&1 || { log "Go is required to build Dapr (${missing[*]}); or install Dapr with 'dapr init'"; exit 1; }
  mkdir -p "$BIN" "$CACHE_ROOT/src"
  export CGO_ENABLED=0 GOFLAGS=-mod=mod
  start=$(date +%s)
  src="$CACHE_ROOT/src/dapr-$DAPR_VERSION"
  ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION -X github.com/dapr/kit/logger.DaprVersion=$DAPR_VERSION"
  for c in "${missing[@]}"; do
    case "$c" in
      daprd)
        download_module github.com/dapr/dapr "$DAPR_VERSION" "$src"
        log "building daprd $DAPR_VERSION (several minutes on a cold cache)"
        (cd "$src" && go build -tags stablecomponents -ldflags "$ldflags" -o "$BIN/daprd.tmp" ./cmd/daprd) ;;
      placement|scheduler|sentry)
        download_module github.com/dapr/dapr "$DAPR_VERSION" "$src"
        log "building $c $DAPR_VERSION"
        (cd "$src" && go build -ldflags "$ldflags" -o "$BIN/$c.tmp" "./cmd/$c") ;;
      dapr)
        clisrc="$CACHE_ROOT/src/dapr-cli-$CLI_VERSION"
        download_module github.com/dapr/cli "$CLI_VERSION" "$clisrc"
        log "building the dapr CLI $CLI_VERSION"
        (cd "$clisrc" && go build -ldflags "-s -w -X main.version=$CLI_VERSION -X main.apiVersion=1.0" -o "$BIN/dapr.tmp" .) ;;
    esac
    mv "$BIN/$c.tmp" "$BIN/$c"
  done
  log "built ${missing[*]} in $(( $(date +%s) - start ))s into $BIN ($(du -sh "$BIN" | cut -f1))"
fi

if (( ONLY_CONTROL_PLANE )); then
  emit "$HOME" "$(dirname "$(command -v dapr)")" "$BIN"
else
  emit "$RUNTIME_PATH" "$BIN" "$BIN"
fi
