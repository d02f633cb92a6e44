#!/usr/bin/env bash
# Makes sure a Docker engine answers and the labs' base images exist.
# On a bare Debian machine where we are root (the project's dev/CI machines)
# it installs Debian's engine and starts dockerd itself, since nothing else will.
# It also installs the docker CLI plugins Compose v2 and buildx (BuildKit) next to
# Compose v1, so that both builders and both Compose versions can be tested.
# Elsewhere it only explains what to do. Safe to run again: finished work is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

# `--engine 28`: after the usual provisioning, also start the second engine (Docker 28.5
# with the containerd image store, scripts/engine28.sh) and print what to export.
ENGINE=''
FOR_TESTS=''
while [ $# -gt 0 ]; do
  case "$1" in
    --for-tests) FOR_TESTS=1 ;;
    --engine) ENGINE="${2:-}"; shift ;;
    --engine=*) ENGINE="${1#--engine=}" ;;
    *) printf 'provision: unknown option %s (usage: provision.sh [--for-tests] [--engine 28])\n' "$1" >&2; exit 2 ;;
  esac
  shift
done
case "$ENGINE" in ''|28) ;; *) printf 'provision: --engine takes 28 (the only second engine there is), not "%s"\n' "$ENGINE" >&2; exit 2 ;; esac

log() { printf 'provision: %s\n' "$*" >&2; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

install_engine() {
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1 || ! command -v docker-compose >/dev/null 2>&1; then
    log "installing Debian's docker.io, docker-compose (Compose v1) and debootstrap (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends docker.io debootstrap docker-compose >/dev/null
  fi
}

PLUGINS_DIR=/usr/libexec/docker/cli-plugins
# Compose v2 and buildx are not in bookworm. Debian's next release ships them as
# plain Go binaries needing only libc6 >= 2.34, so they are fetched from trixie
# with an apt state of their own (its lists and cache in a temporary folder): the
# machine's sources never mention trixie, so no later apt-get upgrade can pull
# bookworm packages from it. Only the plugin binaries are extracted: installing
# trixie's docker-compose package would replace Compose v1's /usr/bin/docker-compose.
PLUGINS_SUITE=trixie

cli_plugin_works() { docker "$1" version >/dev/null 2>&1; }

install_cli_plugins() {
  local missing=()
  cli_plugin_works compose || missing+=(docker-compose)
  cli_plugin_works buildx || missing+=(docker-buildx)
  [ ${#missing[@]} -eq 0 ] && return 0
  local os_id=''
  [ -r /etc/os-release ] && os_id=$(. /etc/os-release && echo "${ID:-}")
  if [ "$(id -u)" != 0 ] || [ "$os_id" != debian ] || ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1 \
     || [ ! -r /usr/share/keyrings/debian-archive-keyring.gpg ]; then
    log "missing docker CLI plugins: ${missing[*]}. Install Compose v2 ('docker compose') and buildx from your distribution or docs.docker.com; builds use the classic builder without buildx."
    return 0
  fi
  local mirror work
  mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v -- '-security' | head -n1)
  [ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\+\(http[^[:space:]]*\)[[:space:]]\+bookworm[[:space:]].*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n1)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  work=$(mktemp -d /tmp/dockerlab-plugins.XXXXXX)
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  mkdir -p "$work/sources" "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root"
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" "$PLUGINS_SUITE" >"$work/sources/$PLUGINS_SUITE.sources"
  local apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/sources" -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache=$work/cache" -o "Acquire::Languages=none" -o "APT::Sandbox::User=root" -qq)
  log "installing ${missing[*]} from Debian $PLUGINS_SUITE into $PLUGINS_DIR (Compose v1 stays as docker-compose)"
  apt-get "${apt_opts[@]}" update >/dev/null || { log "could not read Debian $PLUGINS_SUITE's package lists from $mirror (see above)"; exit 1; }
  (cd "$work/debs" && apt-get "${apt_opts[@]}" download "${missing[@]}" >/dev/null) || { log "could not download ${missing[*]} from Debian $PLUGINS_SUITE (see above)"; exit 1; }
  local deb
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  mkdir -p "$PLUGINS_DIR"
  local package
  for package in "${missing[@]}"; do
    [ -x "$work/root$PLUGINS_DIR/$package" ] || { log "$package from $PLUGINS_SUITE has no $PLUGINS_DIR/$package; install it by hand"; exit 1; }
    install -m 0755 "$work/root$PLUGINS_DIR/$package" "$PLUGINS_DIR/$package"
  done
  cli_plugin_works compose && cli_plugin_works buildx || { log "the plugins were installed but 'docker compose version' or 'docker buildx version' still fails"; exit 1; }
  rm -rf "$work"
  log "$(docker compose version); $(docker buildx version)"
}

# Compose v1 stays next to v2: labs accept both, so both are tested on one machine.
install_compose_v1() {
  command -v docker-compose >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian's docker-compose (Compose v1)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; }
  else
    log "Compose v1 (docker-compose) is not installed; only 'docker compose' (v2) will be tested here"
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

install_compose_v1
install_cli_plugins

# What only the test suite uses: Chromium for the class report's browser test,
# socat to expose the engine on a tcp:// address, xmllint to validate JUnit files,
# rsync for gitlab-ci-local (it copies the project into the job with it).
install_test_tools() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v socat >/dev/null 2>&1 || missing+=(socat)
  command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
  command -v rsync >/dev/null 2>&1 || missing+=(rsync)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "the tests would use ${missing[*]}; install them to run every test (the tests that need them skip with a reason)"
    return 0
  fi
  log "installing ${missing[*]} for the test suite (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
}
if [ -n "$FOR_TESTS" ]; then install_test_tools; fi

[ -f grader/dist/cli.js ] || { log "building the grader (npm run build)"; npm run -s build; }
if [ -n "$FOR_TESTS" ]; then
  # The suite grades every lab: every base image and the sandbox image, side by side.
  node grader/dist/cli.js images --ensure
else
  # Only the Debian root every offline stand-in starts from (it needs root: debootstrap); the
  # rest is pulled or built when a lab first needs it, so the first grade waits only for its own.
  node grader/dist/cli.js images --ensure debian:bookworm-slim
  log "the other base images and the sandbox image are made when a lab first needs them (all at once: npm run grade -- images --ensure)"
fi

# The suite grades on Docker 28 too (tests/docker/engine28.test.ts): start it now, so
# its one-time build is paid here. When it cannot start, that test fails and says why.
if [ -n "$FOR_TESTS" ] && [ -z "$ENGINE" ] && [ "$(id -u)" = 0 ]; then
  bash scripts/engine28.sh >/dev/null || log "Docker 28 (scripts/engine28.sh) did not start (above); tests/docker/engine28.test.ts will fail with the reason"
fi
if [ "$ENGINE" = 28 ]; then exec bash scripts/engine28.sh; fi
