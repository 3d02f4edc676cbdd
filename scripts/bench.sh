#!/usr/bin/env bash
# npm run bench [-- --count N --concurrency C --attach]: see test/bench/bench.ts.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
herald_prepare
exec node test/dist/bench/bench.js "$@"
