#!/bin/bash
# Entry point of a dockerlab sandbox (run by tini as root): starts the inner
# Docker engine, hands its socket and an HTTP forwarder to the grader through
# /run/dockerlab-host, and ends the container after DOCKERLAB_SANDBOX_LIFETIME
# seconds whatever happens to the grader (a grader killed with -9 cannot leave
# a sandbox running forever).
#
# DOCKERLAB_SANDBOX_ENGINE
#   rootless (default): dockerd runs as the unprivileged user `dockerlab` in a
#     user namespace (RootlessKit). Nothing the student controls is ever real
#     root in the sandbox, so the capabilities the sandbox needs to run an
#     engine (SYS_ADMIN for newuidmap, unmasked /proc) cannot be turned against
#     the host: /proc/sys, the sandbox's cgroup limits and devices stay out of reach.
#   rootful: dockerd runs as root (needs --privileged or ENVIRONMENT.md's
#     capability recipe and a private cgroup namespace). Weaker: root in a
#     student's container is root in the sandbox. Only a fallback.
# DOCKERLAB_SANDBOX_MIRROR   optional registry mirror URL (http) for docker.io images
set -uo pipefail

readonly LIFETIME="${DOCKERLAB_SANDBOX_LIFETIME:-3600}"
readonly ENGINE="${DOCKERLAB_SANDBOX_ENGINE:-rootless}"
readonly MIRROR="${DOCKERLAB_SANDBOX_MIRROR:-}"
readonly HOST_DIR=/run/dockerlab-host
readonly STATE=/run/dockerlab
readonly DATA=/var/lib/docker
readonly LOG=/var/log/dockerlab/engine.log
readonly SEED=/usr/share/dockerlab/seed.tar
readonly ENGINE_UID=70000

status() {
  # The grader reads this file to tell a slow start from a failed one.
  [ -d "$HOST_DIR" ] && printf '%s\n' "$*" > "$HOST_DIR/status.tmp" && mv -f "$HOST_DIR/status.tmp" "$HOST_DIR/status"
  printf 'dockerlab-sandbox: %s\n' "$*" >&2
}

fail() {
  # The first line says what failed and, when the engine's log names it, why
  # (rootlesskit's or dockerd's own error line); the log's tail follows.
  local cause
  cause=$(grep -E '\[rootlesskit:(parent|child)\] error|level=(fatal|error)|^failed to|[Pp]ermission denied|[Oo]peration not permitted' "$LOG" 2>/dev/null | tail -n 1 | cut -c1-300)
  status "failed: $*${cause:+ (${cause})}
$(tail -n 25 "$LOG" 2>/dev/null | cut -c1-400)"
  exit 1
}

case "$LIFETIME" in ''|*[!0-9]*) fail "DOCKERLAB_SANDBOX_LIFETIME must be a number of seconds, not '$LIFETIME'" ;; esac

# The hard end comes first, so that even a start that hangs ends on time.
sleep "$LIFETIME" &
watchdog=$!

# The directory the grader connects to must belong to root: if it belonged to
# the engine's uid (the grader's own uid may be the same on the host), a student's
# container could swap the sockets for symlinks to sockets of the host.
if [ -d "$HOST_DIR" ]; then
  chown 0:0 "$HOST_DIR" && chmod 0755 "$HOST_DIR" || fail "cannot take ownership of $HOST_DIR"
fi
status starting

mkdir -p "$STATE/exec" /var/log/dockerlab
chmod 0700 "$STATE/exec"

if [ -f "$SEED" ] && [ "$(cat "$SEED.engine" 2>/dev/null)" = "$ENGINE" ]; then
  # A pre-seeded store: the base images of this lab, already unpacked by an earlier
  # sandbox with the same kind of engine (a rootless store's files belong to its
  # subordinate uids). Extracting it costs a fraction of `docker load`.
  tar -C "$DATA" --xattrs --xattrs-include='*' --numeric-owner -xf "$SEED" || fail "unpacking the pre-seeded image store failed"
fi

engine_args=(--data-root "$DATA" --storage-driver overlay2 --log-level warn)
if [ -n "$MIRROR" ]; then
  mirror_host="${MIRROR#*://}"; mirror_host="${mirror_host%%/*}"
  engine_args+=(--registry-mirror "$MIRROR" --insecure-registry "$mirror_host")
fi

iptables_backend() {
  # Debian's iptables uses nf_tables; some kernels only offer the legacy tables.
  if ! iptables -nL >/dev/null 2>&1 && iptables-legacy -nL >/dev/null 2>&1; then
    mkdir -p "$STATE/bin"
    for tool in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
      ln -sf "/usr/sbin/${tool/iptables/iptables-legacy}" "$STATE/bin/$tool"
    done
    PATH="$STATE/bin:$PATH"
  fi
}

if [ "$ENGINE" = rootless ]; then
  inner_socket=/run/user/$ENGINE_UID/docker.sock
  install -d -o "$ENGINE_UID" -g "$ENGINE_UID" -m 0700 "/run/user/$ENGINE_UID"
  chown "$ENGINE_UID:$ENGINE_UID" "$DATA"
  chmod 0700 "$DATA"
  # The tun device keeps the host's mode (crw------- root on some machines), and
  # slirp4netns, run by the engine's user, opens it to make the engine's network:
  # this node is the container's own (its /dev), so it is handed to that user here.
  if [ -c /dev/net/tun ]; then
    chown "$ENGINE_UID:$ENGINE_UID" /dev/net/tun && chmod 0600 /dev/net/tun || fail "cannot give /dev/net/tun to the engine's user"
  else
    fail "the sandbox has no /dev/net/tun: the rootless engine's network (slirp4netns) needs it"
  fi
  # Ports below 1024 inside the sandbox (docker run -p 80:80) are bound by the
  # engine's unprivileged user in the sandbox's own network namespace.
  setpriv --reuid="$ENGINE_UID" --regid="$ENGINE_UID" --init-groups --reset-env \
    env HOME=/home/dockerlab XDG_RUNTIME_DIR="/run/user/$ENGINE_UID" \
        PATH=/usr/share/docker.io/contrib:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=builtin \
    dockerd-rootless.sh -H "unix://$inner_socket" "${engine_args[@]}" >"$LOG" 2>&1 &
  engine=$!
elif [ "$ENGINE" = rootful ]; then
  inner_socket=/run/docker.sock
  # The inner engine creates cgroups for its containers: below the sandbox's own
  # cgroup (a private cgroup namespace), made writable here.
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
    # cgroup v2: processes must leave the root before controllers can be delegated.
    mkdir -p /sys/fs/cgroup/init
    xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
    sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
  else
    for hierarchy in /sys/fs/cgroup/*/; do
      mount -o remount,bind,rw "$hierarchy" 2>/dev/null || true
    done
  fi
  iptables_backend
  dockerd -H "unix://$inner_socket" --group "$ENGINE_UID" "${engine_args[@]}" >"$LOG" 2>&1 &
  engine=$!
else
  fail "DOCKERLAB_SANDBOX_ENGINE must be rootless or rootful, not '$ENGINE'"
fi
printf '%s\n' "$engine" > "$STATE/engine.pid"

forwarders=()
if [ -d "$HOST_DIR" ]; then
  # Ends a command of the grader (dockerlab-sandbox-run TOKEN) when the grader writes
  # TOKEN here. Builtins only, in a process started now: it works when a fork bomb
  # has used up every pid of the sandbox and no `docker exec` could start.
  mkfifo -m 0622 "$HOST_DIR/kill"
  (
    exec 9<>"$HOST_DIR/kill"
    while IFS= read -r token <&9; do
      case "$token" in ''|*[!A-Za-z0-9_-]*) continue ;; esac
      pid=''
      [ -f "$STATE/exec/$token" ] && { read -r pid < "$STATE/exec/$token"; } 2>/dev/null
      case "$pid" in ''|*[!0-9]*) continue ;; esac
      # Only the unshare that dockerlab-sandbox-run became, never a pid reused since.
      argv0=''
      { IFS= read -r -d '' argv0 < "/proc/$pid/cmdline"; } 2>/dev/null
      [ "$argv0" = unshare ] && kill -KILL "$pid" 2>/dev/null
    done
  ) &
  forwarders+=($!)
  # Root-run forwarders in the root-owned directory: the engine's socket, and
  # 127.0.0.1 of the sandbox's network namespace (what `curl localhost:PORT`
  # reaches from the student's script, ports bound to 127.0.0.1 included).
  socat -t 86400 "UNIX-LISTEN:$HOST_DIR/docker.sock,fork,mode=0666,unlink-early" "UNIX-CONNECT:$inner_socket" 2>>/var/log/dockerlab/forwarders.log &
  forwarders+=($!)
  socat -t 86400 "UNIX-LISTEN:$HOST_DIR/http.sock,fork,mode=0666,unlink-early" "EXEC:/usr/local/bin/dockerlab-http-forward,su=nobody" 2>>/var/log/dockerlab/forwarders.log &
  forwarders+=($!)
fi

# Ready when the engine answers; the grader polls the socket itself, this is for the log.
for _ in $(seq 1 600); do
  if [ -S "$inner_socket" ] && curl -fsS --max-time 2 --unix-socket "$inner_socket" http://engine/_ping >/dev/null 2>&1; then
    status ready
    break
  fi
  kill -0 "$engine" 2>/dev/null || fail "the inner Docker engine ($ENGINE) stopped while starting"
  sleep 0.1
done

shutdown() {
  kill -TERM "$engine" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$engine" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "${forwarders[@]}" "$watchdog" 2>/dev/null
  exit "${1:-0}"
}
trap 'shutdown 143' TERM INT

while :; do
  wait -n "$watchdog" "$engine"
  if ! kill -0 "$watchdog" 2>/dev/null; then
    status "ended: lifetime of $LIFETIME s reached"
    shutdown 0
  fi
  if ! kill -0 "$engine" 2>/dev/null; then
    # Stopped on purpose to export a seed (dockerlab-sandbox-seed-export): keep the container until told.
    [ -f "$STATE/engine-stopped" ] && { wait "$watchdog"; shutdown 0; }
    fail "the inner Docker engine ($ENGINE) stopped"
  fi
done
