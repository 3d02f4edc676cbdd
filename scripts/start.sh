#!/usr/bin/env bash
# Starts the whole Herald system locally: installs and builds what it needs, finds or builds
# the Dapr runtime, checks PostgreSQL and RabbitMQ, creates Herald's database, starts Jaeger (the
# trace UI), an append-only Redis for the lanes, Dapr's sentry (the certificate authority of the
# sidecars' mTLS), placement and scheduler, then runs the five apps with their sidecars through
# `dapr run -f dapr.yaml`. Ctrl-C stops it all.
#
# `--regions` (npm run start:regions) starts every region of components/regions.json side by
# side instead, each a stack of its own (its Redis, database, RabbitMQ virtual host, sentry,
# placement, scheduler, ports), from its folder components/<region>/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MODE=local
case "${1:-}" in
  --regions) MODE=regions ;;
  "") ;;
  *) die "unknown option $1 (--regions starts every region side by side)" ;;
esac

herald_prepare

LOG_DIR="$HERALD_ROOT/.herald/logs"
RUN_DIR="$HERALD_ROOT/.herald/run"
mkdir -p "$LOG_DIR" "$RUN_DIR"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f "$RUN_DIR"/*.env
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

# A port Herald's own process must take: one already listening there (a placement from `dapr
# init`, say, which speaks no mTLS) would be used by the sidecars instead of Herald's.
need_free() { # name port
  port_open 127.0.0.1 "$2" && die "port $2 ($1) is in use: stop what listens there (a Dapr placement or scheduler from 'dapr init'?), or stop the other Herald stack"
  return 0
}

# daprd as `dapr run -f` starts it, with what a run file cannot say: mTLS through the stack's
# sentry (scripts/daprd.sh). The CLI runs <DAPR_RUNTIME_PATH>/.dapr/bin/daprd.
WRAPPER_RUNTIME="$HERALD_CACHE_DIR/daprd-wrapper"
mkdir -p "$WRAPPER_RUNTIME/.dapr/bin"
ln -sf "$HERALD_ROOT/scripts/daprd.sh" "$WRAPPER_RUNTIME/.dapr/bin/daprd"
export HERALD_DAPRD_BINARY="$HERALD_DAPRD" DAPR_RUNTIME_PATH="$WRAPPER_RUNTIME"

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# start_stack NAME PORT_OFFSET REDIS_PORT DATABASE VHOST RUN_FILE KEY_RING_FILE
# One stack: its Redis, its sentry, placement and scheduler, then its apps through `dapr run -f`.
# Everything it exports stays in its own subshell (the CLI gives daprd this environment).
start_stack() {
  local name=$1 o=$2 redis_port=$3 database=$4 vhost=$5 run_file=$6 ring_file=$7
  # Placement and scheduler on Dapr's own ports, the scheduler's etcd on etcd's (2379, 2380, as
  # before: an etcd keeps its peer address in its data); sentry and placement's raft port below
  # Linux's ephemeral range (32768-60999), where no outgoing connection can take one first.
  local sentry_port=$((30010 + o)) placement_port=$((50005 + o)) scheduler_port=$((50006 + o))
  local cache="$HERALD_CACHE_DIR/stack-$name"
  [[ "$name" == local ]] && cache="$HERALD_CACHE_DIR"

  # The store of record: a database of the stack's own on the machine's PostgreSQL.
  herald_database "$database"

  # The channel queues: the stack's own RabbitMQ virtual host (the local stack uses the default one).
  if [[ "$vhost" != / ]]; then
    command -v rabbitmqctl >/dev/null || die "rabbitmqctl is required to make the RabbitMQ virtual host $vhost"
    rabbitmqctl -q add_vhost "$vhost" >/dev/null 2>&1 || true
    rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null \
      || die "could not give guest the RabbitMQ virtual host $vhost (rabbitmqctl needs root, or the broker's Erlang cookie)"
  fi

  # The lanes (Redis Streams) hold every accepted notification until the dispatcher has taken it,
  # so their Redis must keep them across its own restart: Herald runs its own, with append-only
  # persistence (pubsub.yaml), whatever the machine's Redis does. `appendfsync everysec`: the log
  # is written at once and flushed to disk every second, so a crash of the machine (not of Redis
  # alone: the log is in the kernel's hands then) can lose at most the last second of accepted
  # notifications. `always` would flush on every write: one fsync per XADD, a several-fold slower
  # accept path, for that one second. An existing Redis there is used if it keeps an append-only log.
  if port_open 127.0.0.1 "$redis_port"; then
    [[ "$(redis-cli -p "$redis_port" config get appendonly 2>/dev/null | tail -1)" == yes ]] \
      || die "a Redis on :$redis_port keeps no append-only log: stop it, or turn it on (CONFIG SET appendonly yes)"
    say "$name: using the append-only Redis already on :$redis_port"
  else
    local data="$cache/redis-data"
    mkdir -p "$data"
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$data" \
      --appendonly yes --appendfsync everysec --save "" >"$LOG_DIR/$name-redis.log" 2>&1 &
    pids+=($!)
    wait_port "$name-redis" "$redis_port" 30
  fi

  # Sentry, the stack's certificate authority: it makes its CA in $cache/sentry on the first
  # start and keeps it. Every sidecar, placement and the scheduler get their certificates from
  # it, and the sidecars speak mTLS to one another. It listens on 127.0.0.1 only: in standalone
  # mode it hands a certificate to anyone who asks.
  need_free "$name sentry" "$sentry_port"
  mkdir -p "$cache/sentry"
  local config="$HERALD_ROOT/${run_file%/*}/config.yaml"
  [[ "$run_file" == dapr.yaml ]] && config="$HERALD_ROOT/components/local/config.yaml"
  "$HERALD_SENTRY" --config "$config" --issuer-credentials "$cache/sentry" --trust-domain localhost \
    --listen-address 127.0.0.1 --port "$sentry_port" --healthz-port $((58082 + o)) --metrics-port $((59092 + o)) \
    --log-level warn >"$LOG_DIR/$name-sentry.log" 2>&1 &
  pids+=($!)
  wait_port "$name-sentry" "$sentry_port" 30
  local deadline=$((SECONDS + 30))
  until [[ -s "$cache/sentry/ca.crt" ]]; do
    (( SECONDS < deadline )) || die "$name: sentry made no CA in $cache/sentry (log: $LOG_DIR/$name-sentry.log)"
    sleep 0.2
  done
  local tls=(--tls-enabled --trust-anchors-file "$cache/sentry/ca.crt" --trust-domain localhost --sentry-address "127.0.0.1:$sentry_port")

  # Placement (actor placement) and scheduler (actor reminders), with their certificates from sentry.
  need_free "$name placement" "$placement_port"
  "$HERALD_PLACEMENT" --port "$placement_port" --healthz-port $((58080 + o)) --metrics-port $((59090 + o)) \
    --initial-cluster "dapr-placement-0=127.0.0.1:$((30013 + o))" --log-level warn "${tls[@]}" >"$LOG_DIR/$name-placement.log" 2>&1 &
  pids+=($!)
  need_free "$name scheduler" "$scheduler_port"
  # Reminders live in the scheduler's etcd: keep its data where a restart finds it again. Its
  # certificate goes to a new folder under scheduler-identity at each start (tls points at it).
  mkdir -p "$cache/scheduler-data" "$cache/scheduler-identity"
  find "$cache/scheduler-identity" -mindepth 1 -maxdepth 1 -name '*-tls' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
  "$HERALD_SCHEDULER" --port "$scheduler_port" --healthz-port $((58081 + o)) --metrics-port $((59091 + o)) \
    --etcd-client-port $((2379 + o)) --etcd-initial-cluster "dapr-scheduler-server-0=http://localhost:$((2380 + o))" \
    --etcd-data-dir "$cache/scheduler-data" --identity-directory-write "$cache/scheduler-identity/tls" \
    --log-level warn "${tls[@]}" >"$LOG_DIR/$name-scheduler.log" 2>&1 &
  pids+=($!)
  wait_port "$name-placement" "$placement_port" 30
  wait_port "$name-scheduler" "$scheduler_port" 60

  (
    export REDIS_URL="redis://127.0.0.1:$redis_port"
    # daprd reads these (not the run file's env:, which goes to the apps only).
    export DAPR_SCHEDULER_HOST_ADDRESS_DNS_A="localhost:$scheduler_port"
    export HERALD_SENTRY_ADDRESS="127.0.0.1:$sentry_port"
    DAPR_TRUST_ANCHORS="$(cat "$cache/sentry/ca.crt")"
    export DAPR_TRUST_ANCHORS
    # The key-encryption keys, made on the first start (lib.sh, herald_key_ring): without them no
    # app starts. Each region its own.
    HERALD_KEY_RING_FILE="$ring_file"
    export HERALD_KEY_ENCRYPTION_KEYS="${HERALD_KEY_ENCRYPTION_KEYS:-$(herald_key_ring)}"
    # Local development API key → tenant. Production keys come from the real secret store.
    export HERALD_API_KEYS="${HERALD_API_KEYS:-{\"herald-local-dev-key\":\"local-dev\"\}}"
    # The key intake marks its notification ids with (every intake replica the same): made anew
    # for each local start unless given.
    export HERALD_NOTIFICATION_ID_KEY="${HERALD_NOTIFICATION_ID_KEY:-$(random_hex 32)}"
    # Dapr's API token (a sidecar takes calls only with it) and app token (the dispatcher and the
    # channel apps take requests only from a sidecar that shows it), made anew for each start.
    # `dapr run -f` gives every sidecar and app this shell's environment, so locally the five apps
    # share one pair; on Kubernetes each app has its own (its own secret). Tools that talk to a
    # running stack's sidecars (npm run keys) read the API token and intake's sidecar port from
    # .herald/run/<stack>.env, removed when the stack stops.
    export DAPR_API_TOKEN="${DAPR_API_TOKEN:-$(random_hex 24)}" APP_API_TOKEN="${APP_API_TOKEN:-$(random_hex 24)}"
    (umask 077 && printf 'DAPR_API_TOKEN=%s\nDAPR_HTTP_PORT=%s\n' "$DAPR_API_TOKEN" $((3500 + o)) >"$RUN_DIR/$name.env")
    say "$name: starting the apps (${run_file})"
    cd "$HERALD_ROOT"
    exec "$HERALD_DAPR_CLI" run -f "$run_file"
  ) &
  pids+=($!)
}

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

# The trace UI: Jaeger takes the spans of every sidecar and app on Zipkin's API at 127.0.0.1:9411
# (where the sidecars' configuration sends them), keeps the latest traces in memory
# (ops/jaeger.yaml) and shows them at http://127.0.0.1:16686. One for every stack started here. A
# Zipkin or Jaeger already on 9411 is used instead. The apps make spans of their own only with a
# backend to send them to, and start new traces at the sidecars' samplingRate. The pages at 16686
# are Herald's own trace viewer (ops/trace-ui: Jaeger built from the Go module proxy has no UI), or
# the folder HERALD_JAEGER_UI_ASSETS names (a built Jaeger UI).
ZIPKIN_PORT=9411 JAEGER_UI_PORT=16686
if port_open 127.0.0.1 "$ZIPKIN_PORT"; then
  say "traces: using what already listens on :$ZIPKIN_PORT (Zipkin's API)"
elif herald_jaeger; then
  need_free "jaeger ui" "$JAEGER_UI_PORT"
  need_free "jaeger grpc" 16685
  ui_assets="${HERALD_JAEGER_UI_ASSETS:-$HERALD_ROOT/ops/trace-ui}"
  # Jaeger reads index.html once, at start, and stops at once without it.
  [[ -f "$ui_assets/index.html" ]] || die "HERALD_JAEGER_UI_ASSETS=$ui_assets holds no index.html (name the folder of a built Jaeger UI, or unset it for Herald's trace viewer)"
  HERALD_JAEGER_UI_ASSETS="$ui_assets" "$HERALD_JAEGER" --config "$HERALD_ROOT/ops/jaeger.yaml" >"$LOG_DIR/jaeger.log" 2>&1 &
  pids+=($!)
  wait_port jaeger "$ZIPKIN_PORT" 30
  wait_port jaeger "$JAEGER_UI_PORT" 30
  say "traces: http://127.0.0.1:$JAEGER_UI_PORT (a notification's trace: http://127.0.0.1:$JAEGER_UI_PORT/?notification=<id>)"
else
  say "warning: no Jaeger (building it once needs Go): the sidecars' spans go nowhere, the apps make none"
  ZIPKIN_PORT=""
fi
if [[ -n "$ZIPKIN_PORT" ]]; then
  export ZIPKIN_ENDPOINT="http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans"
  rate=$(sed -n 's/^[[:space:]]*samplingRate:[[:space:]]*"\([^"]*\)".*/\1/p' "$HERALD_ROOT/components/local/config.yaml" | head -1)
  export TRACE_SAMPLING_RATE="${rate:-1}"
fi

if [[ "$MODE" == local ]]; then
  say "starting: intake on http://127.0.0.1:3000 (API key: herald-local-dev-key)"
  start_stack local 0 6380 herald / dapr.yaml "$HERALD_KEY_RING_FILE"
else
  # The key of the customer directory the regions share (HOME_DIRECTORY_KEY): the same in every
  # region, made once, outside the repository.
  dir_key_file="$(dirname "$HERALD_KEY_RING_FILE")/home-directory-key"
  if [[ ! -s "$dir_key_file" ]]; then
    mkdir -p "$(dirname "$dir_key_file")"
    (umask 077 && random_hex 32 >"$dir_key_file")
  fi
  HERALD_HOME_DIRECTORY_KEY="$(cat "$dir_key_file")"
  export HERALD_HOME_DIRECTORY_KEY
  directory_db=$(node -p 'require("./components/regions.json").directoryDatabase') || die "cannot read components/regions.json"
  herald_database "$directory_db"
  # Read first: what a stack starts must not read the rest of the list from the loop's input.
  region_list=$(node -e '
    const { regions } = require("./components/regions.json");
    for (const [name, r] of Object.entries(regions)) console.log([name, r.portOffset, r.redisPort, r.database, r.vhost, r.publicUrl].join(" "));') \
    || die "cannot read the regions of components/regions.json"
  mapfile -t regions <<<"$region_list"
  (( ${#regions[@]} > 0 )) || die "components/regions.json names no region"
  for line in "${regions[@]}"; do
    read -r name offset redis_port database vhost url <<<"$line"
    say "region $name: intake on $url (API key: herald-local-dev-key)"
    start_stack "$name" "$offset" "$redis_port" "$database" "$vhost" "components/$name/dapr.yaml" \
      "$(dirname "$HERALD_KEY_RING_FILE")/key-encryption-keys-$name.json" </dev/null
  done
fi
wait -n "${pids[@]}"
