#!/usr/bin/env bash
# What CI needs before `npm run test:parity` and `npm run bench:image` on a fresh machine: a running
# Docker engine (installed from Debian's archive if missing) and the local stand-ins for the base and
# adapter images (no container registry is reachable). Idempotent: a second run takes about a second.
# Prints the NODE_IMAGE / LWA_IMAGE settings the parity tests use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
t0=$(date +%s.%N)
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "ci-setup: installing debootstrap (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq debootstrap >/dev/null
fi
bash "$here/start-engine.sh"
bash "$here/build-local-base.sh"
echo "ci-setup: ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'); parity builds use NODE_IMAGE=code-canvas/node:24-bookworm-slim LWA_IMAGE=code-canvas/lambda-adapter:stand-in" >&2
