#!/bin/bash
# dockerlab-sandbox-kill TOKEN: ends a command started by dockerlab-sandbox-run
# and, through its pid namespace, every process it left behind.
set -u
token="$1"
case "$token" in ''|*[!A-Za-z0-9_-]*) exit 2 ;; esac
pid="$(cat "/run/dockerlab/exec/$token" 2>/dev/null)" || exit 0
case "$pid" in ''|*[!0-9]*) exit 0 ;; esac
# Only the unshare that dockerlab-sandbox-run became, never a pid reused since.
grep -qa '^unshare' "/proc/$pid/cmdline" 2>/dev/null || exit 0
kill -KILL "$pid" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
exit 1
