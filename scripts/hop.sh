#!/usr/bin/env bash
# npm run bench:hop [-- --concurrency 1,4,16,64 --seconds 8 --json FILE]: what one sidecar
# round trip costs on this machine (test/bench/hop.ts). Starts a stack of its own.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
herald_prepare
exec node test/dist/bench/hop.js "$@"
