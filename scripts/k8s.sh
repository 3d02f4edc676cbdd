#!/usr/bin/env bash
# npm run k8s: renders every region's Kubernetes overlay and validates it offline (test/tools/k8s.ts).
# Builds kustomize, kubeconform and the schemas on first use (scripts/setup-k8s.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
herald_install_and_build
npx tsc -b test >&2
exec node test/dist/tools/k8s.js "$@"
