#!/usr/bin/env bash
# daprd as `dapr run -f` starts it (scripts/start.sh points the CLI's runtime path here), with
# mTLS through the stack's own sentry. The CLI itself adds `--enable-mtls --sentry-address` when
# the configuration enables mTLS, but always with its default address (localhost:50001, in
# CLI 1.12); this puts the stack's sentry there instead (HERALD_SENTRY_ADDRESS, set by start.sh).
# The CA daprd trusts comes from DAPR_TRUST_ANCHORS.
set -euo pipefail
[[ -n "${HERALD_DAPRD_BINARY:-}" ]] || { echo "daprd.sh: HERALD_DAPRD_BINARY is not set (start Herald with npm start)" >&2; exit 1; }
[[ -n "${HERALD_SENTRY_ADDRESS:-}" ]] || exec "$HERALD_DAPRD_BINARY" "$@"
args=()
mtls=0 sentry=0
while (( $# )); do
  case "$1" in
    --sentry-address) sentry=1; args+=("$1" "$HERALD_SENTRY_ADDRESS"); shift ;;
    --sentry-address=*) sentry=1; args+=("--sentry-address=$HERALD_SENTRY_ADDRESS") ;;
    --enable-mtls) mtls=1; args+=("$1") ;;
    --version) exec "$HERALD_DAPRD_BINARY" --version ;;
    *) args+=("$1") ;;
  esac
  shift
done
(( mtls )) || args=(--enable-mtls "${args[@]}")
(( sentry )) || args=(--sentry-address "$HERALD_SENTRY_ADDRESS" "${args[@]}")
exec "$HERALD_DAPRD_BINARY" "${args[@]}"
