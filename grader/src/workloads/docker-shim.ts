import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ShimOptions {
  /** The real docker client the shim forwards to, as a path where the script runs. */
  realDocker: string;
  /**
   * Labels and limits added to what the script creates — on the host engine only
   * (`--sandbox off`). Inside a sandbox the whole engine is bounded and thrown
   * away, so the shim only records.
   */
  inject?: { labels: Record<string, string>; limits: { memoryMiB: number; cpus: number; pids: number } };
}

/**
 * A `docker` placed first on the script's PATH. It records each call, one per
 * line, in $DOCKERLAB_CALLS, then forwards it to the real client. With `inject`,
 * on `run`/`create` (and `network|volume create`) it adds the grader's labels and
 * limits *before* the student's own flags, so the student's flags win (the CLI
 * keeps the last value of a repeated flag).
 */
export function writeDockerShim(options: ShimOptions, dir = mkdtempSync(path.join(os.tmpdir(), 'dockerlab-shim-'))): string {
  const labels = options.inject ? Object.entries(options.inject.labels).map(([k, v]) => `--label ${shellQuote(`${k}=${v}`)}`).join(' ') : '';
  const limits = options.inject ? `--memory ${options.inject.limits.memoryMiB}m --cpus ${options.inject.limits.cpus} --pids-limit ${options.inject.limits.pids} --log-opt max-size=10m --log-opt max-file=1` : '';
  const script = `#!/usr/bin/env bash
# dockerlab grader shim: records the docker commands a graded script runs${options.inject ? ', and adds labels and limits to what it creates' : ''}.
real=${shellQuote(options.realDocker)}
labels=(${labels})
limits=(${limits})
[ -n "\${DOCKERLAB_CALLS:-}" ] && printf 'docker %s\\n' "$*" >> "$DOCKERLAB_CALLS"
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

/**
 * A `BASH_ENV` file for the graded script: before each command, bash writes the
 * script's line number to `$DOCKERLAB_LINE`, so a script stopped at its time limit
 * can be told which line it was stuck on (`sleep 90`, a `docker run` without -d, a
 * `wait`). `functrace` follows into functions; the trap's own redirection keeps it
 * out of a `set -x` trace; `BASH_ENV` is unset so nested scripts are not traced.
 */
export const LINE_TRACKER = `if [ -n "\${DOCKERLAB_LINE:-}" ]; then
  set -o functrace
  trap '{ printf "%s\\n" "$LINENO" >"$DOCKERLAB_LINE"; } 2>/dev/null' DEBUG
fi
unset BASH_ENV
`;

/** The line the tracker last wrote, with its text from the script, or null. */
export function hungLine(recorded: string, scriptText: string): { line: number; text: string } | null {
  const line = Number.parseInt(recorded.trim(), 10);
  if (!Number.isSafeInteger(line) || line < 1) return null;
  const text = scriptText.split('\n')[line - 1];
  if (text === undefined) return null;
  const trimmed = text.replace(/\r$/, '').trim();
  return { line, text: trimmed.length > 120 ? `${trimmed.slice(0, 120)}…` : trimmed };
}
