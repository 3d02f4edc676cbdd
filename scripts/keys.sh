#!/usr/bin/env bash
# `npm run keys -- <command>`: rotate and inspect the key-encryption keys (apps/intake/src/keys-cli.ts
# says what each command does). Talks to intake's sidecar of a running `npm start`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
herald_install_and_build
# The running stack's Dapr API token (its sidecars take no call without it): start.sh keeps it here.
if [[ -z "${DAPR_API_TOKEN:-}" && -f "$HERALD_ROOT/.herald/run/local.env" ]]; then
  set -a; source "$HERALD_ROOT/.herald/run/local.env"; set +a
fi
exec node "$HERALD_ROOT/apps/intake/dist/keys-cli.js" "$@"
