#!/usr/bin/env bash
# `npm run keys -- <command>`: rotate and inspect the key-encryption keys (apps/intake/src/keys-cli.ts
# says what each command does). Talks to intake's sidecar of a running `npm start`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
herald_install_and_build
exec node "$HERALD_ROOT/apps/intake/dist/keys-cli.js" "$@"
