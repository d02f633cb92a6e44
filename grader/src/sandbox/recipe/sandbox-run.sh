#!/bin/bash
# dockerlab-sandbox-run TOKEN -- COMMAND [ARG...]   (started as root by the grader)
# Runs one command of the grader in the sandbox (the student's script) as the
# unprivileged user `dockerlab`, without any capability or way to regain one
# (no_new_privs, empty bounding set), in a pid namespace of its own: when the
# command ends or is killed (TOKEN written to the kill FIFO, or
# dockerlab-sandbox-kill TOKEN), every process it started ends with it —
# `setsid sleep 600 &`, double forks and nohup included — so nothing keeps its
# output open or outlives it. Its containers belong to the engine and stay.
set -eu
token="$1"
shift
[ "${1:-}" = -- ] && shift
case "$token" in ''|*[!A-Za-z0-9_-]*) echo "dockerlab-sandbox-run: bad token" >&2; exit 125 ;; esac
# Root's folder: the student cannot aim the kill at another process.
printf '%s\n' "$$" > "/run/dockerlab/exec/$token"
# tini stays root as the namespace's pid 1, so the kernel's parent-death signal that
# --kill-child sets survives (dropping privileges clears it): killing unshare kills
# tini, and with it every process of the namespace.
exec unshare --pid --fork --kill-child --mount --mount-proc -- \
  tini -s -- \
  setpriv --reuid=70000 --regid=70000 --init-groups --no-new-privs --inh-caps=-all --bounding-set=-all -- "$@"
