import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A `docker` placed first on the script's PATH. It forwards every command to the
 * real client and, on `run`/`create` (and `network|volume create`), adds the
 * grader's labels and resource limits *before* the student's own flags, so the
 * student's flags win (the CLI keeps the last value of a repeated flag) and
 * every container the script starts can be found and removed afterwards.
 * Each call is also recorded, one per line, in $DOCKERLAB_CALLS when set.
 */
export function writeDockerShim(realDocker: string, labels: Record<string, string>, limits: { memoryMiB: number; cpus: number; pids: number }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dockerlab-shim-'));
  const labelArgs = Object.entries(labels).map(([k, v]) => `--label ${shellQuote(`${k}=${v}`)}`).join(' ');
  const script = `#!/usr/bin/env bash
# dockerlab grader shim: adds labels and limits to what a graded script creates.
real=${shellQuote(realDocker)}
labels=(${labelArgs})
limits=(--memory ${limits.memoryMiB}m --cpus ${limits.cpus} --pids-limit ${limits.pids})
[ -n "\${DOCKERLAB_CALLS:-}" ] && printf 'docker %s\n' "$*" >> "$DOCKERLAB_CALLS"
pre=()
while [ $# -gt 0 ]; do
  case "$1" in
    -H|--host|--context|-c|--config|-l|--log-level) pre+=("$1" "$2"); shift 2 ;;
    -*) pre+=("$1"); shift ;;
    *) break ;;
  esac
done
case "\${1:-}" in
  run|create) sub=$1; shift; exec "$real" "\${pre[@]}" "$sub" "\${labels[@]}" "\${limits[@]}" "$@" ;;
  container)
    case "\${2:-}" in
      run|create) sub=$2; shift 2; exec "$real" "\${pre[@]}" container "$sub" "\${labels[@]}" "\${limits[@]}" "$@" ;;
    esac ;;
  network|volume)
    case "\${2:-}" in
      create) obj=$1; shift 2; exec "$real" "\${pre[@]}" "$obj" create "\${labels[@]}" "$@" ;;
    esac ;;
esac
exec "$real" "\${pre[@]}" "$@"
`;
  const file = path.join(dir, 'docker');
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  return dir;
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
