#!/usr/bin/env bash
# A second Docker engine for the test suite and for trying the grader against what
# students and GitHub runners have: Docker 28.5 from Debian sid (containerd 2.1,
# BuildKit as the default builder, Compose 2.40) with the containerd image store,
# running as Docker-in-Docker in a container of the host engine.
#
#   bash scripts/engine28.sh            build once, start it, seed its images, print what to export
#   bash scripts/engine28.sh --env      only print what to export (exit 1 when it is not running)
#   bash scripts/engine28.sh --stop     remove its container (its image store volume stays)
#
# sid's packages need sid's libc, so they cannot run on this Debian 12 host: the
# engine runs in its own container. Its socket reaches the host through a
# bind-mounted folder (never a tcp port: an unauthenticated engine on an address
# is root on the host for any local user). The host's /tmp is shared at the same
# path, so the bind mounts a grading makes from a folder under /tmp resolve on
# that engine too; node and this checkout are mounted too, to run the grader there. Ports it publishes answer on the container's address, which
# DOCKERLAB_ENGINE_ADDRESS tells the grader. Base images come from the host
# engine (docker save | docker load), never from a registry.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=dockerlab-engine28
RUN_DIR=/run/$NAME
SOCKET=$RUN_DIR/docker.sock
VOLUME=$NAME-data
SUITE=sid
# curl: what students' scripts (and GitHub runners) have at hand, e.g. lab-11's wait for its registry.
PACKAGES="docker.io docker-cli docker-compose docker-buildx iptables ca-certificates procps curl"
# The host engine is the one this script drives, even when the shell already exported Docker 28's variables.
if [ "${DOCKER_HOST:-}" = "unix://$SOCKET" ]; then unset DOCKER_HOST DOCKER_CONFIG DOCKERLAB_ENGINE_ADDRESS DOCKERLAB_ENGINE_SHARES; fi

log() { printf 'engine28: %s\n' "$*" >&2; }
die() { printf 'engine28: %s\n' "$*" >&2; exit 3; }

# What runs inside the container, before dockerd: a writable cgroup tree and
# /proc/sys (cgroup v1: a plain `remount,rw` says "busy", a bind remount works;
# without /proc/sys, every `docker run` fails to disable IPv6 on eth0), then dockerd
# with the containerd image store, its socket in the shared folder.
ENTRYPOINT_SH=$(cat <<'EOF'
#!/bin/sh
set -eu
awk '$2 ~ "^/sys/fs/cgroup" && $4 ~ /(^|,)ro(,|$)/ {print $2}' /proc/self/mounts | while read -r m; do
  mount -o remount,bind,rw "$m" 2>/dev/null || mount -o remount,rw "$m" || true
done
mount -o remount,bind,rw /proc/sys 2>/dev/null || true
# cgroup v2 with a private namespace: dockerd cannot enable controllers for its
# children while processes sit in the root, so move them into a leaf first.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
fi
mkdir -p /run/dockerlab-engine28
rm -f /run/dockerlab-engine28/docker.sock /var/run/docker.pid
exec dockerd -H unix:///run/dockerlab-engine28/docker.sock "$@"
EOF
)
DAEMON_JSON='{"features": {"containerd-snapshotter": true}, "bip": "10.228.0.1/24", "default-address-pools": [{"base": "10.229.0.0/16", "size": 24}]}'
DOCKERFILE=$(cat <<EOF
FROM $NAME-rootfs:RECIPE
RUN apt-get -o Acquire::Check-Valid-Until=false update \\
 && DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false install -y --no-install-recommends $PACKAGES \\
 && rm -rf /var/lib/apt/lists/* /usr/share/doc /usr/share/man
COPY daemon.json /etc/docker/daemon.json
COPY entrypoint.sh /usr/local/bin/dockerlab-engine28
RUN chmod 0755 /usr/local/bin/dockerlab-engine28
ENTRYPOINT ["/usr/local/bin/dockerlab-engine28"]
EOF
)
RECIPE=$(printf '%s\n' "$SUITE" "$PACKAGES" "$ENTRYPOINT_SH" "$DAEMON_JSON" "$DOCKERFILE" | sha256sum | cut -c1-16)
IMAGE=$NAME:$RECIPE

host_engine_answers() { timeout 10 docker info >/dev/null 2>&1; }
inner() { DOCKER_HOST=unix://$SOCKET timeout "${INNER_TIMEOUT:-20}" docker "$@"; }
inner_answers() { [ -S "$SOCKET" ] && inner info >/dev/null 2>&1; }

address() {
  docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$NAME" 2>/dev/null | awk '{print $1}'
}

print_env() {
  local ip
  ip=$(address)
  [ -n "$ip" ] || { log "$NAME has no address on the host engine's bridge"; return 1; }
  echo "export DOCKER_HOST=unix://$SOCKET"
  echo "export DOCKERLAB_ENGINE_ADDRESS=$ip"
  echo "export DOCKERLAB_ENGINE_SHARES=/tmp"
  [ -d "$RUN_DIR/docker-config/cli-plugins" ] && echo "export DOCKER_CONFIG=$RUN_DIR/docker-config"
  echo "# or grade where that engine is local (inside its container, as on a GitHub runner):"
  echo "#   docker exec -e DOCKER_HOST=unix://$SOCKET -w $(pwd -P) $NAME node grader/dist/cli.js lab-03 --submission DIR"
  return 0
}

mirror() {
  local m
  m=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v -- '-security' | head -n1)
  [ -n "$m" ] || m=$(sed -n 's/^deb[[:space:]]\+\(http[^[:space:]]*\)[[:space:]]\+bookworm[[:space:]].*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n1)
  echo "${m:-http://deb.debian.org/debian}"
}

build_image() {
  docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing (apt-get install debootstrap; 'npm run provision' installs it)"
  local work t0
  t0=$(date +%s)
  work=$(mktemp -d /var/tmp/$NAME-build.XXXXXX)
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  if ! docker image inspect "$NAME-rootfs:$RECIPE" >/dev/null 2>&1; then
    log "debootstrap --variant=minbase $SUITE from $(mirror) (about 45 s, once)"
    debootstrap --variant=minbase "$SUITE" "$work/root" "$(mirror)" >"$work/debootstrap.log" 2>&1 \
      || { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap of Debian $SUITE failed (above; the full log was $work/debootstrap.log)"; }
    rm -rf "$work/root/usr/share/doc" "$work/root/usr/share/man" "$work/root/usr/share/locale" "$work/root/var/lib/apt/lists/"*
    tar -C "$work/root" -c . | docker import -c "LABEL $NAME.recipe=$RECIPE" - "$NAME-rootfs:$RECIPE" >/dev/null \
      || die "docker import of the $SUITE root filesystem failed"
    rm -rf "$work/root"
  fi
  mkdir -p "$work/ctx"
  printf '%s\n' "${DOCKERFILE//RECIPE/$RECIPE}" >"$work/ctx/Dockerfile"
  printf '%s\n' "$ENTRYPOINT_SH" >"$work/ctx/entrypoint.sh"
  printf '%s\n' "$DAEMON_JSON" >"$work/ctx/daemon.json"
  log "installing $PACKAGES from $SUITE into $IMAGE (about 30 s, once)"
  DOCKER_BUILDKIT=0 docker build -q --label "$NAME.recipe=$RECIPE" -t "$IMAGE" "$work/ctx" >"$work/build.log" 2>&1 \
    || { tail -n 30 "$work/build.log" >&2; die "building $IMAGE failed (above)"; }
  rm -rf "$work"
  trap - EXIT
  # Older recipes' images are ours and no longer used.
  docker images --filter "label=$NAME.recipe" --format '{{.Repository}}:{{.Tag}}' | grep -v ":$RECIPE\$" | xargs -r docker rmi >/dev/null 2>&1 || true
  log "built $IMAGE in $(( $(date +%s) - t0 )) s"
}

# The grader can also run inside the container, where the engine is local (as on a
# GitHub runner: ports on 127.0.0.1, bind mounts of its own files): this machine's
# node and this checkout are mounted at the same paths (node runs on sid's newer libc).
NODE_BIN=$(readlink -f "$(command -v node)")
REPO=$(pwd -P)
MOUNTS="$NODE_BIN $REPO"

start_container() {
  local state
  state=$(docker inspect -f '{{.State.Running}} {{index .Config.Labels "'"$NAME"'.recipe"}} {{index .Config.Labels "'"$NAME"'.mounts"}}' "$NAME" 2>/dev/null || true)
  if [ "$state" = "true $RECIPE $MOUNTS" ] && inner_answers; then return 0; fi
  if [ -n "$state" ]; then
    log "replacing the container $NAME ($state)"
    docker rm -f "$NAME" >/dev/null
  fi
  [ -e /dev/net/tun ] || log "no /dev/net/tun on this machine: rootless engines cannot run inside $NAME"
  mkdir -p "$RUN_DIR"
  chmod 0700 "$RUN_DIR"
  rm -f "$SOCKET"
  local devices=()
  [ -e /dev/net/tun ] && devices=(--device /dev/net/tun)
  docker run -d --name "$NAME" --hostname "$NAME" --label "$NAME.recipe=$RECIPE" --label "$NAME.mounts=$MOUNTS" \
    --cap-add=ALL --cap-drop=SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --cgroupns=private "${devices[@]}" \
    -v "$VOLUME:/var/lib/docker" -v "$RUN_DIR:$RUN_DIR" -v /tmp:/tmp \
    -v "$NODE_BIN:/usr/local/bin/node:ro" -v "$REPO:$REPO" \
    "$IMAGE" >/dev/null || die "could not start the container $NAME (above)"
  for _ in $(seq 1 60); do
    inner_answers && return 0
    [ "$(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" = true ] || break
    sleep 0.5
  done
  docker logs --tail 20 "$NAME" >&2 || true
  die "dockerd in $NAME did not answer on $SOCKET within 30 s (its last log lines are above)"
}

# The client side of 28 too: sid's compose and buildx plugins, when they run on this host's libc.
install_client_plugins() {
  local dir=$RUN_DIR/docker-config/cli-plugins p
  [ -x "$dir/docker-compose" ] && [ -x "$dir/docker-buildx" ] && return 0
  mkdir -p "$dir.new"
  for p in docker-compose docker-buildx; do
    docker cp "$NAME:/usr/libexec/docker/cli-plugins/$p" "$dir.new/$p" >/dev/null 2>&1 || { rm -rf "$dir.new"; return 0; }
  done
  if "$dir.new/docker-compose" version >/dev/null 2>&1 && "$dir.new/docker-buildx" version >/dev/null 2>&1; then
    rm -rf "$dir"; mv "$dir.new" "$dir"
  else
    log "sid's compose/buildx plugins do not run on this host's libc; the host's own plugins talk to Docker 28"
    rm -rf "$dir.new"
  fi
}

# Every image of the stand-in catalog the host engine has: loaded once (what was
# loaded is recorded in the engine's own volume, by the host's image ids).
seed_images() {
  local refs=() missing=() ref id record
  while IFS= read -r ref; do
    docker image inspect "$ref" >/dev/null 2>&1 && refs+=("$ref")
  done < <(node -e 'for (const s of require("./grader/src/build/stand-ins/catalog.json")) for (const r of [s.image, ...s.aliases]) console.log(r)')
  [ ${#refs[@]} -gt 0 ] || { log "the host engine has none of the base images; run 'npm run provision' first"; return 1; }
  record=$(docker exec "$NAME" cat /var/lib/docker/dockerlab-seeded 2>/dev/null || true)
  for ref in "${refs[@]}"; do
    id=$(docker image inspect -f '{{.Id}}' "$ref")
    grep -qxF "$id $ref" <<<"$record" && inner image inspect "$ref" >/dev/null 2>&1 && continue
    missing+=("$ref")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local t0; t0=$(date +%s)
  log "loading ${#missing[@]} base image tags from the host engine (docker save | docker load)"
  docker save "${missing[@]}" | INNER_TIMEOUT=600 inner load -q >/dev/null || die "docker save | docker load into $NAME failed"
  for ref in "${missing[@]}"; do printf '%s %s\n' "$(docker image inspect -f '{{.Id}}' "$ref")" "$ref"; done \
    | docker exec -i "$NAME" sh -c 'cat >> /var/lib/docker/dockerlab-seeded'
  log "loaded in $(( $(date +%s) - t0 )) s"
}

case "${1:-}" in
  --env) print_env; exit $? ;;
  --stop) docker rm -f "$NAME" >/dev/null 2>&1 || true; rm -f "$SOCKET"; exit 0 ;;
  '') ;;
  *) printf 'usage: bash scripts/engine28.sh [--env|--stop]\n' >&2; exit 2 ;;
esac

[ "$(id -u)" = 0 ] || die "starting Docker 28 in a container needs root on this machine (it runs a privileged-like container and owns $RUN_DIR)"
host_engine_answers || die "the host engine does not answer ('docker info' fails): run 'npm run provision' first"
[ "$(docker info -f '{{.OSType}}' 2>/dev/null)" = linux ] || die "the host engine is not a Linux engine"

build_image
start_container
install_client_plugins
seed_images
log "Docker $(inner version -f '{{.Server.Version}}') ($(inner info -f '{{.DriverStatus}}' | grep -o 'io.containerd.snapshotter[^]]*' | head -n1 || echo 'image store?')) answers on $SOCKET; to use it:"
print_env
