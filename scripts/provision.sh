#!/usr/bin/env bash
# Makes sure a Docker engine answers and the labs' base images exist.
# On a bare Debian machine where we are root (the project's dev/CI machines)
# it installs Debian's engine and starts dockerd itself, since nothing else will.
# Elsewhere it only explains what to do. Safe to run again: finished work is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'provision: %s\n' "$*" >&2; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

install_engine() {
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1 \
     || { ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; }; then
    log "installing Debian's docker.io, docker-compose and debootstrap (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    pkgs="docker.io debootstrap"
    docker compose version >/dev/null 2>&1 || pkgs="$pkgs docker-compose"
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
  fi
}

start_daemon() {
  # A dockerd killed with its session leaves its pid file behind, and a new one refuses to start over it.
  for pidfile in /var/run/docker.pid /run/containerd/containerd.pid; do
    if [ -f "$pidfile" ] && ! ps -p "$(cat "$pidfile" 2>/dev/null)" -o comm= 2>/dev/null | grep -q '^\(dockerd\|containerd\)$'; then
      log "removing stale $pidfile"
      rm -f "$pidfile"
    fi
  done
  log "starting dockerd (log: /var/log/dockerd.log)"
  setsid nohup dockerd >/var/log/dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    engine_answers && { log "engine is up"; return 0; }
    sleep 0.5
    pgrep -x dockerd >/dev/null || break
  done
  log "dockerd did not come up; see /var/log/dockerd.log"
  tail -n 20 /var/log/dockerd.log >&2 || true
  exit 3
}

if ! command -v docker >/dev/null 2>&1 && [ "$(id -u)" != 0 ]; then
  log "no docker command found. Install Docker Engine (Linux) or Docker Desktop (macOS/Windows), then run this again."
  exit 3
fi

if engine_answers; then
  log "engine already answers; nothing to install"
else
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    install_engine
    engine_answers || start_daemon
  else
    log "the Docker engine does not answer. Start it: 'sudo systemctl start docker' (Linux) or open Docker Desktop, and make sure your user may use it ('docker info' must work)."
    exit 3
  fi
fi

[ -f grader/dist/cli.js ] || { log "building the grader (npm run build)"; npm run -s build; }
node grader/dist/cli.js images --ensure
