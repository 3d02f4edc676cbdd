#!/usr/bin/env bash
# Starts the whole Herald system locally: installs and builds what it needs, finds or builds
# the Dapr runtime, checks PostgreSQL and RabbitMQ, creates Herald's database, starts an
# append-only Redis for the lanes and Dapr placement and scheduler, then runs the five apps with
# their sidecars through `dapr run -f dapr.yaml`. Ctrl-C stops it all.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

herald_prepare

LOG_DIR="$HERALD_ROOT/.herald/logs"
mkdir -p "$LOG_DIR"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  say "stopped"
}
trap cleanup EXIT INT TERM

wait_port() { # name port seconds
  local deadline=$((SECONDS + $3))
  until port_open 127.0.0.1 "$2"; do
    (( SECONDS < deadline )) || die "$1 did not open port $2 within $3 s (log: $LOG_DIR/$1.log)"
    sleep 0.2
  done
}

# The store of record: a database of Herald's own on the machine's PostgreSQL (statestore.yaml).
herald_database herald

# The lanes (Redis Streams) hold every accepted notification until the dispatcher has taken it,
# so their Redis must keep them across its own restart: Herald runs its own on :6380 with
# append-only persistence (pubsub.yaml), whatever the machine's Redis does. `appendfsync
# everysec`: the log is written at once and flushed to disk every second, so a crash of the
# machine (not of Redis alone: the log is in the kernel's hands then) can lose at most the last
# second of accepted notifications. `always` would flush on every write: one fsync per XADD, a
# several-fold slower accept path, for that one second. An existing Redis on :6380 is used if it
# keeps an append-only log.
REDIS_PORT=6380
if port_open 127.0.0.1 "$REDIS_PORT"; then
  [[ "$(redis-cli -p "$REDIS_PORT" config get appendonly 2>/dev/null | tail -1)" == yes ]] \
    || die "a Redis on :$REDIS_PORT keeps no append-only log: stop it, or turn it on (CONFIG SET appendonly yes)"
  say "using the append-only Redis already on :$REDIS_PORT"
else
  mkdir -p "$HERALD_CACHE_DIR/redis-data"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$HERALD_CACHE_DIR/redis-data" \
    --appendonly yes --appendfsync everysec --save "" >"$LOG_DIR/redis.log" 2>&1 &
  pids+=($!)
  wait_port redis "$REDIS_PORT" 30
fi
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"

# Placement (actor placement) and scheduler (actor reminders). An existing one (e.g. from
# `dapr init`) is used as it is. Health and metrics ports are moved off 8080/9090.
if port_open 127.0.0.1 50005; then
  say "using the Dapr placement service already on :50005"
else
  "$HERALD_PLACEMENT" --port 50005 --healthz-port 58080 --metrics-port 59090 --log-level warn >"$LOG_DIR/placement.log" 2>&1 &
  pids+=($!)
  wait_port placement 50005 30
fi
if port_open 127.0.0.1 50006; then
  say "using the Dapr scheduler service already on :50006"
else
  # Reminders live in the scheduler's etcd: keep its data where a restart finds it again.
  mkdir -p "$HERALD_CACHE_DIR/scheduler-data"
  "$HERALD_SCHEDULER" --port 50006 --healthz-port 58081 --metrics-port 59091 --log-level warn \
    --etcd-data-dir "$HERALD_CACHE_DIR/scheduler-data" >"$LOG_DIR/scheduler.log" 2>&1 &
  pids+=($!)
  wait_port scheduler 50006 60
fi

# daprd inherits this shell's environment (not the run file's env:).
# CLI 1.12 predates the scheduler; daprd 1.18 reads its address from here.
export DAPR_SCHEDULER_HOST_ADDRESS_DNS_A="${DAPR_SCHEDULER_HOST_ADDRESS_DNS_A:-localhost:50006}"
# The key-encryption keys, made on the first start (lib.sh, herald_key_ring): without them no
# app starts.
export HERALD_KEY_ENCRYPTION_KEYS="${HERALD_KEY_ENCRYPTION_KEYS:-$(herald_key_ring)}"
# Local development API key → tenant. Production keys come from the real secret store.
export HERALD_API_KEYS="${HERALD_API_KEYS:-{\"herald-local-dev-key\":\"local-dev\"\}}"
# The key intake marks its notification ids with (every intake replica the same): made anew
# for each local start unless given.
export HERALD_NOTIFICATION_ID_KEY="${HERALD_NOTIFICATION_ID_KEY:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

# Dapr's API token (a sidecar takes calls only with it) and app token (the dispatcher and the
# channel apps take requests only from a sidecar that shows it), made anew for each start.
# `dapr run -f` gives every sidecar and app this shell's environment, so locally the five apps
# share one pair; on Kubernetes each app has its own (its own secret).
export DAPR_API_TOKEN="${DAPR_API_TOKEN:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
export APP_API_TOKEN="${APP_API_TOKEN:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

# HERALD_PROVIDERS=simulator: the channel apps use their real SendGrid, Twilio and
# Notification Hubs adapters against the local provider simulator (apps/provider-sim) instead
# of the sandbox. Its control API is http://127.0.0.1:3010/_sim/config and /_sim/stats.
if [[ "${HERALD_PROVIDERS:-sandbox}" == "simulator" ]]; then
  SIM="http://127.0.0.1:${HERALD_SIM_PORT:-3010}"
  PORT="${HERALD_SIM_PORT:-3010}" node "$HERALD_ROOT/apps/provider-sim/dist/main.js" >"$LOG_DIR/provider-sim.log" 2>&1 &
  pids+=($!)
  wait_port provider-sim "${HERALD_SIM_PORT:-3010}" 30
  export HERALD_SENDGRID_API_KEY=SG.simulator HERALD_SENDGRID_FROM=herald@example.com
  export HERALD_TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000 HERALD_TWILIO_AUTH_TOKEN=simulator HERALD_TWILIO_FROM=+15005550006
  export HERALD_AZURE_NH_CONNECTION_STRING="Endpoint=$SIM/;SharedAccessKeyName=sim;SharedAccessKey=c2lt" HERALD_AZURE_NH_HUB_NAME=herald
  export SENDGRID_BASE_URL="$SIM" TWILIO_BASE_URL="$SIM" PROVIDER_RATE_PER_SEC="${PROVIDER_RATE_PER_SEC:-100}"
  say "providers: the simulator at $SIM (PUT /_sim/config, GET /_sim/stats)"
fi

say "starting the apps: intake on http://127.0.0.1:3000 (API key: herald-local-dev-key)"
cd "$HERALD_ROOT"
"$HERALD_DAPR_CLI" run -f dapr.yaml &
pids+=($!)
wait "${pids[-1]}"
