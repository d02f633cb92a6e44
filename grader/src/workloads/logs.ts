import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fromRoot } from '../paths.js';

/**
 * Keeps a workload's full output where the student can read it (the report shows
 * only its last lines): .dockerlab/logs/<lab>-<what>.log, the latest run's.
 * Returns the path, or null when it cannot be written.
 */
export function keepLog(labId: string, what: string, text: string, dir = fromRoot('.dockerlab', 'logs')): string | null {
  try {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${labId}-${what}.log`);
    writeFileSync(file, text);
    return file;
  } catch {
    return null;
  }
}
