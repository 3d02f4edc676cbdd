#!/usr/bin/env bash
# npm run chaos -- <scenario> [options]: one fault scenario on a stack of its own (test/chaos).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
herald_prepare
exec node test/dist/chaos/chaos.js "$@"
