import { mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Where a workload's full output goes so the student can read it (the report
 * shows only its last lines): <logsDir>/<lab>-<what>.log, the latest run's.
 * null when there is no logs folder or it cannot be made.
 */
export function logFileFor(logsDir: string | null, labId: string, what: string): string | null {
  if (!logsDir) return null;
  try {
    mkdirSync(logsDir, { recursive: true });
    return path.join(logsDir, `${labId}-${what}.log`);
  } catch {
    return null;
  }
}
