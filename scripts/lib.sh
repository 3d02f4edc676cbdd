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
}

herald_dapr() {
  local env
  env=$(bash "$HERALD_ROOT/scripts/setup-dapr.sh") || die "could not set up the Dapr runtime"
  eval "$env"
}

# port_open HOST PORT: true when something accepts TCP connections there
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

herald_check_services() {
  port_open 127.0.0.1 6379 || die "Redis does not answer on 127.0.0.1:6379 (state store, actors, pub/sub). Start it, e.g.: redis-server --daemonize yes"
  port_open 127.0.0.1 5672 || die "RabbitMQ does not answer on 127.0.0.1:5672 (channel queues). Start it, e.g.: rabbitmq-server -detached"
}

# Dapr's Go processes (daprd, placement, scheduler) run with one core's worth of Go scheduler
# each, unless GOMAXPROCS is set. A local stack runs seven of them on the same cores as the
# apps, Redis and RabbitMQ; with GOMAXPROCS at the core count their idle threads spin looking
# for work and wake one another (runtime.findRunnable and futex were ~15% of the dispatcher
# sidecar's profile). Measured at 100 notifications/s on 2 cores, alternating runs: the
# dispatcher's sidecar 4.7 -> 3.7 CPU-ms per notification, every sidecar 20-25% less. On
# Kubernetes, Go (1.25+, daprd 1.18 is built with 1.26) sizes GOMAXPROCS from the container's
# CPU limit by itself.
herald_go_runtime() {
  export GOMAXPROCS="${GOMAXPROCS:-1}"
}

# Everything a command needs before it runs: packages, build, Dapr on hand, Redis and RabbitMQ
# answering; leaves the shell in the repository root with the Dapr paths exported.
herald_prepare() {
  herald_install_and_build
  herald_dapr
  herald_check_services
  herald_go_runtime
  cd "$HERALD_ROOT"
}
