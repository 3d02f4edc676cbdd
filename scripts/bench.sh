#!/usr/bin/env bash
# npm run bench [-- --scenario steady|ramp|flood|outage …]: see test/bench/bench.ts and
# `npm run bench -- --help`. Starts a stack of its own: run it under the shared lock.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
herald_prepare
exec node test/dist/bench/bench.js "$@"
