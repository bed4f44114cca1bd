#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, for the parity tests and `npm run docker:*`.
#
# - Installs Debian's docker.io when no dockerd is present (needs root and the apt archive).
# - Starts `dockerd` without a bridge network when no engine answers: this machine has no bridge or
#   NAT (loopback only), so containers and builds use `--network host`. Log: $CC_DOCKERD_LOG.
# - Waits until `docker info` answers, then prints the client and engine versions.
# Idempotent: when an engine already answers it only reports it. Safe to run from CI on every run.
set -euo pipefail

log=${CC_DOCKERD_LOG:-/tmp/code-canvas-dockerd.log}
wait_s=${CC_DOCKERD_WAIT_S:-60}
say() { echo "start-engine: $*" >&2; }

engine_answers() { docker info >/dev/null 2>&1; }

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    say "no Docker engine installed and not root: install one (Debian: sudo apt-get install -y docker.io)"
    exit 1
  fi
  say "installing Debian's docker.io (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq docker.io >/dev/null
fi

if engine_answers; then
  say "an engine already answers"
else
  if [ "$(id -u)" != 0 ]; then
    say "no engine answers on ${DOCKER_HOST:-/var/run/docker.sock} and starting dockerd needs root: start Docker, then re-run"
    exit 1
  fi
  if pgrep -x dockerd >/dev/null 2>&1; then
    say "dockerd is running but does not answer yet; waiting"
  else
    say "starting dockerd (no bridge, no iptables), log: $log"
    # setsid: the daemon must outlive the shell (and process group) that started it.
    setsid dockerd --bridge=none --iptables=false --ip-masq=false >>"$log" 2>&1 </dev/null &
  fi
  for _ in $(seq 1 $((wait_s * 4))); do
    engine_answers && break
    sleep 0.25
  done
  if ! engine_answers; then
    say "dockerd did not answer within ${wait_s}s; last lines of $log:"
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
fi

# The CLI on PATH may be newer than Debian's engine; it negotiates the API version down on its own.
docker version --format 'start-engine: client {{.Client.Version}} (API {{.Client.APIVersion}}), engine {{.Server.Version}} (API {{.Server.APIVersion}})' >&2
if docker buildx version >/dev/null 2>&1; then
  say "docker buildx: $(docker buildx version 2>/dev/null | head -n 1)"
else
  say "docker buildx: not installed (images are built with the classic builder: one platform, no attestations)"
fi
