#!/usr/bin/env bash
# `npm run keys -- <command>`: rotate and inspect the key-encryption keys (apps/intake/src/keys-cli.ts
# says what each command does). Talks to intake's sidecar of a running `npm start`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
herald_install_and_build
# The running stack's Dapr API token (its sidecars take no call without it) and intake's sidecar
# port: start.sh keeps them in .herald/run/<stack>.env while the stack runs. HERALD_STACK names
# a region of `npm run start:regions` (us, eu); the local stack otherwise.
env_file="$HERALD_ROOT/.herald/run/${HERALD_STACK:-local}.env"
if [[ -z "${DAPR_API_TOKEN:-}" && -f "$env_file" ]]; then
  set -a; source "$env_file"; set +a
fi
exec node "$HERALD_ROOT/apps/intake/dist/keys-cli.js" "$@"
