#!/usr/bin/env bash
# Runs the whole test suite: type check, unit tests, then integration tests on the real
# stack (real daprd sidecars, placement, scheduler, PostgreSQL, Redis, RabbitMQ). Does its own setup.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

herald_prepare
# Jaeger, for the tracing test: built here, once (minutes on a cold cache), rather than inside the
# test's own time. Without it that test fails and says why; the others run.
herald_jaeger || say "warning: could not set up Jaeger (scripts/setup-jaeger.sh): the tracing test will fail"

# The reader of the alert rules and the dashboard, for the operations test (ops.test.ts).
herald_ops_check || say "warning: could not build ops/check (scripts/setup-ops.sh): the operations test will fail"

say "type-checking tests, linting"
npx tsc -p tsconfig.test.json >&2
npx eslint . >&2
npx madge --circular --extensions ts apps packages test >&2

results="$HERALD_ROOT/.herald/test-results"
mkdir -p "$results"
rm -f "$results"/*.json # a run that dies before writing must not be read as passing
status=0
# The unit tests of the Redis stores use a Redis of their own (REDIS_URL names another), in
# memory only: nothing they write must outlive them.
if [[ -z "${REDIS_URL:-}" ]]; then
  UNIT_REDIS_PORT="${HERALD_UNIT_REDIS_PORT:-6390}"
  port_open 127.0.0.1 "$UNIT_REDIS_PORT" && die "port $UNIT_REDIS_PORT is taken (the unit tests' Redis): free it, or set HERALD_UNIT_REDIS_PORT or REDIS_URL"
  redis-server --port "$UNIT_REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 &
  unit_redis=$!
  trap 'kill "$unit_redis" 2>/dev/null || true' EXIT
  for _ in $(seq 1 50); do port_open 127.0.0.1 "$UNIT_REDIS_PORT" && break; sleep 0.1; done
  export REDIS_URL="redis://127.0.0.1:$UNIT_REDIS_PORT"
fi

say "unit tests"
node --experimental-vm-modules --no-warnings node_modules/jest/bin/jest.js --selectProjects unit \
  --json --outputFile "$results/unit.json" "$@" || status=1
say "integration tests (real Dapr stack)"
node --experimental-vm-modules --no-warnings node_modules/jest/bin/jest.js --selectProjects integration --runInBand \
  --json --outputFile "$results/integration.json" "$@" || status=1

# One closing line over both runs, in the plain form CI reads.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const f of process.argv.slice(1)) {
    try { const r = JSON.parse(fs.readFileSync(f, "utf8")); passed += r.numPassedTests; failed += r.numFailedTests + (r.numRuntimeErrorTestSuites || 0); }
    catch { failed += 1; }
  }
  console.log(`${passed} passed, ${failed} failed`);
' "$results/unit.json" "$results/integration.json"
exit $status
