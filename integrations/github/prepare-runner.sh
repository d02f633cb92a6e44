#!/usr/bin/env bash
# Lets the grader's sandbox (a rootless Docker engine in a container) start on a
# GitHub runner. Ubuntu 24.04 runners restrict unprivileged user namespaces with
# AppArmor (kernel.apparmor_restrict_unprivileged_userns = 1): the sandbox's
# preflight then refuses, since the only safe profile needs one. The runner is a
# throw-away VM with passwordless sudo, so the restriction is lifted there.
# Anywhere else (no such sysctl, already 0, no sudo) this does nothing.
set -uo pipefail
knob=/proc/sys/kernel/apparmor_restrict_unprivileged_userns
[ "${GITHUB_ACTIONS:-}" = true ] || exit 0
[ -r "$knob" ] && [ "$(cat "$knob")" = 1 ] || exit 0
if sudo -n sysctl -q -w kernel.apparmor_restrict_unprivileged_userns=0; then
  echo "prepare-runner: lifted AppArmor's restriction on unprivileged user namespaces for the grader's rootless sandbox" >&2
else
  echo "prepare-runner: AppArmor restricts unprivileged user namespaces and sudo is not available: script and Compose labs will be refused a sandbox" >&2
fi
exit 0
