# Shared by start.sh, test.sh and bench.sh: install, build, find Dapr, check the backing services.
HERALD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERALD_CACHE_DIR="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
export HERALD_CACHE_DIR

say() { printf '[herald] %s\n' "$*" >&2; }
die() { printf '[herald] error: %s\n' "$*" >&2; exit 1; }

herald_install_and_build() {
  command -v node >/dev/null || die "Node.js 20 or newer is required"
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  (( major >= 20 )) || die "Node.js 20 or newer is required (found $(node --version))"
  cd "$HERALD_ROOT"
  if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error >&2 || die "npm ci failed"
  fi
  say "building"
  npx tsc -b >&2 || die "TypeScript build failed"
  # npm links a workspace's command only if its file exists when it installs, and on a fresh
  # clone the herald command (apps/cli) is built after that: link it now, so that `npx herald`
  # runs it rather than looking for a package of that name in the registry.
  chmod +x apps/cli/dist/main.js
  if [[ ! -e node_modules/.bin/herald ]]; then
    npm rebuild --ignore-scripts --no-audit --no-fund --loglevel=error -w @herald/cli >&2 || die "could not link the herald command"
  fi
}

herald_dapr() {
  local env
  env=$(bash "$HERALD_ROOT/scripts/setup-dapr.sh") || die "could not set up the Dapr runtime"
  eval "$env"
}

# Jaeger, the trace UI (scripts/setup-jaeger.sh): built from the Go module proxy once, cached like
# Dapr; exports HERALD_JAEGER. Fails (without stopping the caller) when it cannot be had.
herald_jaeger() {
  local env
  env=$(bash "$HERALD_ROOT/scripts/setup-jaeger.sh") || return 1
  eval "$env"
}

# The reader of Herald's alert rules and dashboard (ops/check, on Prometheus's own parsers): exports HERALD_OPS_CHECK.
herald_ops_check() {
  local env
  env=$(bash "$HERALD_ROOT/scripts/setup-ops.sh") || return 1
  eval "$env"
}

# port_open HOST PORT: true when something accepts TCP connections there
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# PostgreSQL is the store of record (statestore.yaml); the local default is the machine's server
# on 127.0.0.1:5432 with trust authentication for the user postgres.
HERALD_PG_HOST="${HERALD_PG_HOST:-127.0.0.1}" HERALD_PG_PORT="${HERALD_PG_PORT:-5432}" HERALD_PG_USER="${HERALD_PG_USER:-postgres}"
export HERALD_PG_HOST HERALD_PG_PORT HERALD_PG_USER
herald_psql() { PGOPTIONS='--client-min-messages=warning' psql -h "$HERALD_PG_HOST" -p "$HERALD_PG_PORT" -U "$HERALD_PG_USER" -v ON_ERROR_STOP=1 -qAt "$@"; }

herald_check_services() {
  command -v redis-server >/dev/null || die "redis-server is required (Herald runs its own append-only Redis for the lanes): apt-get install redis-server"
  command -v psql >/dev/null || die "psql is required (it creates Herald's database): apt-get install postgresql-client"
  port_open "$HERALD_PG_HOST" "$HERALD_PG_PORT" || die "PostgreSQL does not answer on $HERALD_PG_HOST:$HERALD_PG_PORT (the store of record). Start it, e.g.: pg_ctlcluster 15 main start"
  herald_psql -d postgres -c 'SELECT 1' >/dev/null || die "cannot sign in to PostgreSQL as $HERALD_PG_USER on $HERALD_PG_HOST:$HERALD_PG_PORT (set HERALD_PG_USER, or allow trust authentication locally)"
  port_open 127.0.0.1 5672 || die "RabbitMQ does not answer on 127.0.0.1:5672 (channel queues). Start it, e.g.: rabbitmq-server -detached"
}

# herald_database NAME: creates the database unless it exists.
herald_database() {
  if [[ "$(herald_psql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$1'")" != 1 ]]; then
    say "creating the PostgreSQL database $1"
    herald_psql -d postgres -c "CREATE DATABASE $1" >/dev/null
  fi
  # The components' bookkeeping tables, before five sidecars race to make them (the file says why).
  herald_psql -d "$1" -f "$HERALD_ROOT/scripts/metadata-tables.sql" >/dev/null
}

# The local key-encryption keys (the secret KEY_ENCRYPTION_KEYS): every customer's data key is
# wrapped under them, so losing this file makes the local database's PII unreadable. Made once,
# on the first start, outside the repository (a secret never goes in it), readable by its owner
# only. `npm run keys` rotates and retires them. A deployment keeps them in its secret store
# (Azure Key Vault) instead.
HERALD_KEY_RING_FILE="${HERALD_KEY_RING_FILE:-${XDG_CONFIG_HOME:-$HOME/.config}/herald/key-encryption-keys.json}"
export HERALD_KEY_RING_FILE
herald_key_ring() {
  if [[ ! -s "$HERALD_KEY_RING_FILE" ]]; then
    say "making the local key-encryption key: $HERALD_KEY_RING_FILE"
    mkdir -p "$(dirname "$HERALD_KEY_RING_FILE")"
    (umask 077 && printf '{"primary":"k1","keys":{"k1":"%s"}}\n' "$(head -c 32 /dev/urandom | base64 -w0)" >"$HERALD_KEY_RING_FILE")
  fi
  cat "$HERALD_KEY_RING_FILE"
}

# Dapr's Go processes (daprd, placement, scheduler) run with one core's worth of Go scheduler
# each, unless GOMAXPROCS is set. A local stack runs seven of them on the same cores as the
# apps, Redis and RabbitMQ; with GOMAXPROCS at the core count their idle threads spin looking
# for work and wake one another (runtime.findRunnable and futex stood out in the dispatcher
# sidecar's profile); with one each, every sidecar costs markedly less CPU per notification
# (docs/performance.md, "The local stack and the bench"). On Kubernetes, Go (1.25+, daprd
# 1.18 is built with 1.26) sizes GOMAXPROCS from the container's CPU limit by itself.
herald_go_runtime() {
  export GOMAXPROCS="${GOMAXPROCS:-1}"
}

# Everything a command needs before it runs: packages, build, Dapr on hand, PostgreSQL and
# RabbitMQ answering; leaves the shell in the repository root with the Dapr paths exported.
herald_prepare() {
  herald_install_and_build
  herald_dapr
  herald_check_services
  herald_go_runtime
  cd "$HERALD_ROOT"
}
