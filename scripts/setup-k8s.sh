#!/usr/bin/env bash
# Makes the Kubernetes tooling Herald's manifests are checked with available offline, and prints
# where it is (eval-able lines):
#
#   eval "$(bash scripts/setup-k8s.sh)"
#   "$HERALD_KUSTOMIZE" build k8s/overlays/us | "$HERALD_KUBECONFORM" -strict -summary $HERALD_KUBECONFORM_ARGS -
#
# 1. kustomize and kubeconform at pinned versions, built from the Go module proxy into a cache
#    outside the repo (<cache>/k8s-tools/bin), once; later runs reuse them.
# 2. JSON Schemas for kubeconform into <cache>/k8s-schemas/<tag>/, once per pin: Kubernetes'
#    built-in kinds from the OpenAPI spec in the k8s.io/kubernetes module, Dapr's CRDs from the
#    dapr/dapr module's chart, KEDA's CRDs from the KEDA module. test/tools/k8s-schemas.ts converts
#    them (strict: unknown fields fail); the tag names every pin and that program's hash, so a pin
#    change or a change to the program makes a new folder.
# Nothing is fetched at validation time: kubeconform only reads those files (no -schema-location
# default, no HTTP). Validating needs neither Go nor the network; making the cache needs Go, the
# module proxy and the repo's npm packages (`npm ci`: the converter is compiled with its tsc).
#
# Why `go install module@version` works here and not for Dapr (setup-dapr.sh): neither module has
# replace directives. kubeconform's version string is stamped (it is "development" otherwise).
set -euo pipefail

K8S_VERSION="${HERALD_K8S_VERSION:-1.34.4}"
KEDA_VERSION="${HERALD_KEDA_VERSION:-2.21.0}"
DAPR_VERSION="${HERALD_DAPR_VERSION:-1.18.2}"   # the runtime setup-dapr.sh builds: same CRDs
KUSTOMIZE_VERSION="${HERALD_KUSTOMIZE_VERSION:-5.7.1}"
KUBECONFORM_VERSION="${HERALD_KUBECONFORM_VERSION:-0.7.0}"
CACHE_ROOT="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$CACHE_ROOT/k8s-tools/bin"
CONVERTER="$ROOT/test/tools/k8s-schemas.ts"

log() { printf '[setup-k8s] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# Two runs started at once must not build into the same cache together: the second waits for the
# first, then finds everything there. (Its own lock: a Dapr build does not hold this one up.)
mkdir -p "$CACHE_ROOT"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/.setup-k8s.lock"
  flock 9
fi

[[ -f "$CONVERTER" ]] || die "$CONVERTER is missing"
SCHEMAS="$CACHE_ROOT/k8s-schemas/k8s-v$K8S_VERSION-dapr-v$DAPR_VERSION-keda-v$KEDA_VERSION-$(sha256sum "$CONVERTER" | cut -c1-12)"

has_version() { # binary version-flag wanted
  [[ -x "$1" ]] && [[ "$("$1" "$2" 2>/dev/null | head -1)" == "$3" ]]
}

module_dir() { # module version: where `go mod download` put it; stops when the proxy refuses it
  local out dir
  out=$(go mod download -json "$1@v$2" 2>&1) || {
    die "the Go module proxy refused $1@v$2: $(printf '%s\n' "$out" | sed -n 's/^\s*"Error": "\(.*\)"$/\1/p' | head -1)"
  }
  dir=$(printf '%s\n' "$out" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  [[ -n "$dir" && -d "$dir" ]] || die "go mod download of $1@v$2 gave no folder"
  printf '%s\n' "$dir"
}

need_go() { command -v go >/dev/null 2>&1 || die "Go is required to build the Kubernetes tooling ($1)"; }
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off

build_tool() { # name module package version ldflags
  need_go "$1"
  log "checking $2@v$4 on the Go module proxy"
  module_dir "$2" "$4" >/dev/null
  log "building $1 v$4"
  local start tmp
  start=$(date +%s)
  mkdir -p "$BIN"
  tmp=$(mktemp -d "$BIN/.build.XXXXXX")
  GOBIN="$tmp" go install -trimpath -ldflags "$5" "$3@v$4" >&2 || { rm -rf "$tmp"; die "building $1 v$4 failed"; }
  mv "$tmp/$1" "$BIN/$1"
  rm -rf "$tmp"
  log "built $1 v$4 in $(( $(date +%s) - start ))s ($(du -h "$BIN/$1" | cut -f1))"
}

has_version "$BIN/kustomize" version "v$KUSTOMIZE_VERSION" \
  || build_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" "-s -w"
has_version "$BIN/kubeconform" -v "v$KUBECONFORM_VERSION" \
  || build_tool kubeconform github.com/yannh/kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" \
       "-s -w -X main.version=v$KUBECONFORM_VERSION"
has_version "$BIN/kustomize" version "v$KUSTOMIZE_VERSION" || die "$BIN/kustomize does not report v$KUSTOMIZE_VERSION"
has_version "$BIN/kubeconform" -v "v$KUBECONFORM_VERSION" || die "$BIN/kubeconform does not report v$KUBECONFORM_VERSION"

if [[ ! -d "$SCHEMAS" ]]; then
  need_go "the schemas' sources"
  command -v node >/dev/null 2>&1 || die "Node.js is required to make the schemas"
  [[ -x "$ROOT/node_modules/.bin/tsc" ]] || die "TypeScript is not installed in $ROOT: run 'npm ci' there first"
  start=$(date +%s)
  mkdir -p "$CACHE_ROOT/k8s-schemas"
  work=$(mktemp -d "$CACHE_ROOT/k8s-schemas/.build.XXXXXX")
  trap 'rm -rf "$work" "$ROOT/.herald/k8s-schemas-converter"' EXIT
  log "downloading k8s.io/kubernetes@v$K8S_VERSION, github.com/dapr/dapr@v$DAPR_VERSION and github.com/kedacore/keda/v2@v$KEDA_VERSION from the Go module proxy"
  k8s_dir=$(module_dir k8s.io/kubernetes "$K8S_VERSION")
  dapr_dir=$(module_dir github.com/dapr/dapr "$DAPR_VERSION")
  keda_dir=$(module_dir github.com/kedacore/keda/v2 "$KEDA_VERSION")
  for d in "$k8s_dir/api/openapi-spec/v3" "$dapr_dir/charts/dapr/crds" "$keda_dir/config/crd/bases"; do
    [[ -d "$d" ]] || die "$d is missing: the module's layout changed, see $CONVERTER"
  done
  # Compiled on its own, with the repo's compiler and strictness, so whatever else is in test/ at
  # the time does not matter; into the repo's .herald/ so it finds the repo's packages (yaml).
  converter="$ROOT/.herald/k8s-schemas-converter"
  rm -rf "$converter"
  (cd "$ROOT" && node_modules/.bin/tsc --target ES2022 --module NodeNext --moduleResolution NodeNext --lib ES2023 \
    --types node --strict --noUncheckedIndexedAccess --exactOptionalPropertyTypes --verbatimModuleSyntax \
    --isolatedModules --skipLibCheck --outDir "$converter" "$CONVERTER") >&2 || die "compiling $CONVERTER failed"
  printf '{"type":"module"}\n' >"$converter/package.json"
  node "$converter/k8s-schemas.js" --out "$work/schemas" \
    --openapi "$k8s_dir/api/openapi-spec/v3" --crds "$dapr_dir/charts/dapr/crds" --crds "$keda_dir/config/crd/bases" \
    || die "making the schemas failed"
  mv "$work/schemas" "$SCHEMAS"
  log "made the schemas in $(( $(date +%s) - start ))s into $SCHEMAS ($(du -sh "$SCHEMAS" | cut -f1))"
fi

# kubeconform tries each -schema-location in turn: built-in kinds by kind and group-version
# (apps/v1 Deployment -> deployment-apps-v1.json), then custom ones by full group
# (keda.sh/v1alpha1 ScaledObject -> keda.sh/scaledobject_v1alpha1.json).
BUILTIN_LOCATION="$SCHEMAS/{{.ResourceKind}}{{.KindSuffix}}.json"
CUSTOM_LOCATION="$SCHEMAS/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"
if [[ "$SCHEMAS" =~ [[:space:]] ]]; then
  log "warning: the cache path has a space, so \$HERALD_KUBECONFORM_ARGS cannot be split into words; pass -schema-location \"\$HERALD_K8S_SCHEMA_LOCATION_BUILTIN\" -schema-location \"\$HERALD_K8S_SCHEMA_LOCATION_CUSTOM\""
fi
printf 'export HERALD_KUSTOMIZE=%q\n' "$BIN/kustomize"
printf 'export HERALD_KUBECONFORM=%q\n' "$BIN/kubeconform"
printf 'export HERALD_K8S_SCHEMAS=%q\n' "$SCHEMAS"
printf 'export HERALD_K8S_SCHEMA_LOCATION_BUILTIN=%q\n' "$BUILTIN_LOCATION"
printf 'export HERALD_K8S_SCHEMA_LOCATION_CUSTOM=%q\n' "$CUSTOM_LOCATION"
# Unquoted, it splits into the four arguments: $HERALD_KUBECONFORM -strict $HERALD_KUBECONFORM_ARGS FILE...
printf 'export HERALD_KUBECONFORM_ARGS=%q\n' "-schema-location $BUILTIN_LOCATION -schema-location $CUSTOM_LOCATION"
printf 'export HERALD_K8S_VERSION=%q\n' "$K8S_VERSION"
printf 'export HERALD_KEDA_VERSION=%q\n' "$KEDA_VERSION"
printf 'export HERALD_KUSTOMIZE_VERSION=%q\n' "$KUSTOMIZE_VERSION"
printf 'export HERALD_KUBECONFORM_VERSION=%q\n' "$KUBECONFORM_VERSION"
