#!/usr/bin/env bash
# test-registry.sh - a throw-away Docker registry with basic auth on 127.0.0.1, for the deploy
# tests' real image push (Debian's docker-registry, the reference "distribution" registry 2.8).
#
#   bash deploy/test-registry.sh install   install docker-registry, apache2-utils, curl if missing (apt)
#   bash deploy/test-registry.sh start     install if missing, write a bcrypt htpasswd and a config,
#                                          start the registry, wait until it answers; prints the
#                                          CC_TEST_REGISTRY* settings the tests read
#   bash deploy/test-registry.sh stop      stop the registry this script started; delete its state
#
# Env (all optional): CC_REGISTRY_DIR (default /tmp/code-canvas-registry), CC_REGISTRY_PORT (5000),
# CC_REGISTRY_USER (deploy), CC_REGISTRY_PASSWORD (a random one, written to $DIR/password).
# Loopback only; no systemd; Debian's own registry service (if any) is left alone.
set -euo pipefail

DIR=${CC_REGISTRY_DIR:-/tmp/code-canvas-registry}
PORT=${CC_REGISTRY_PORT:-5000}
USER_NAME=${CC_REGISTRY_USER:-deploy}
say() { echo "test-registry: $*" >&2; }

install() {
  if command -v docker-registry >/dev/null && command -v htpasswd >/dev/null && command -v curl >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    say "docker-registry, htpasswd or curl is missing and installing needs root: sudo apt-get install -y docker-registry apache2-utils curl"
    exit 1
  fi
  say "installing docker-registry apache2-utils curl (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # --no-install-recommends, and the package's own service is never started: no systemd here.
  apt-get install -y -qq --no-install-recommends docker-registry apache2-utils curl >/dev/null
}

running_pid() {
  local pid
  [ -s "$DIR/registry.pid" ] || return 1
  pid=$(cat "$DIR/registry.pid")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'docker-registry serve' && echo "$pid"
}

start() {
  install
  if running_pid >/dev/null; then
    say "already running from $DIR (stop it first)"
    exit 1
  fi
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then
    say "something already listens on 127.0.0.1:$PORT (set CC_REGISTRY_PORT)"
    exit 1
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR/data"
  local password=${CC_REGISTRY_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}
  printf '%s' "$password" >"$DIR/password"
  chmod 600 "$DIR/password"
  # -B: bcrypt, the only hash the registry's htpasswd auth accepts.
  htpasswd -Bbc "$DIR/htpasswd" "$USER_NAME" "$password" 2>/dev/null
  cat >"$DIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DIR/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
  secret: $(head -c 24 /dev/urandom | base64 | tr -d '/+=')
auth:
  htpasswd:
    realm: code-canvas-test
    path: $DIR/htpasswd
EOF
  # setsid: the registry outlives the shell that started it; stop kills it by its pid file.
  setsid docker-registry serve "$DIR/config.yml" >>"$DIR/registry.log" 2>&1 </dev/null &
  echo $! >"$DIR/registry.pid"
  for _ in $(seq 1 80); do
    # 401 = up, and asking for the credentials it was given.
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PORT/v2/" || true)
    if [ "$code" = 401 ]; then
      say "ready on 127.0.0.1:$PORT (user $USER_NAME)"
      echo "CC_TEST_REGISTRY=127.0.0.1:$PORT CC_TEST_REGISTRY_USER=$USER_NAME CC_TEST_REGISTRY_PASSWORD=$password"
      return 0
    fi
    sleep 0.25
  done
  say "the registry did not answer on 127.0.0.1:$PORT; last lines of its log:"
  tail -n 20 "$DIR/registry.log" >&2 || true
  exit 1
}

stop() {
  local pid
  if pid=$(running_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
    [ -d "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null
    say "stopped (pid $pid)"
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
