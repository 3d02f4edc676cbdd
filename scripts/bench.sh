#!/usr/bin/env bash
# npm run bench [-- --count N --concurrency C --attach]: see test/bench/bench.ts.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
herald_install_and_build
herald_dapr >/dev/null
herald_check_services
cd "$HERALD_ROOT"
exec node test/dist/bench/bench.js "$@"
