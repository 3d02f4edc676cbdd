#!/usr/bin/env bash
# npm run cluster -- [--hosts N] [--rate R] [--seconds S] [--kill-host H --kill-after S] [--json]:
# Herald as a small cluster on this machine, each app host a network namespace (needs root).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
herald_prepare
exec node test/dist/tools/cluster.js "$@"
