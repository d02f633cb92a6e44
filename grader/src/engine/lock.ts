import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pollUntil } from '../lib/poll.js';

/**
 * A machine-wide lock by name (a directory: mkdir is atomic). Labs whose task
 * names fixed containers and host ports cannot be graded twice at once against
 * one engine, even from two clones: the second run waits for the first. A lock
 * whose owner process is gone is taken over.
 */
export async function acquireLock(name: string, { waitMs = 10 * 60_000, onWait }: { waitMs?: number; onWait?: (owner: string) => void } = {}): Promise<() => void> {
  const dir = path.join(os.tmpdir(), 'dockerlab-locks', name);
  mkdirSync(path.dirname(dir), { recursive: true });
  let told = false;
  const tryTake = async (): Promise<boolean> => {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'owner'), String(process.pid));
      return true;
    } catch {
      const owner = ownerOf(dir);
      if (owner !== null && !alive(owner)) {
        rmSync(dir, { recursive: true, force: true });
        return tryTake();
      }
      if (!told) {
        told = true;
        onWait?.(owner === null ? 'another run' : `process ${owner}`);
      }
      return false;
    }
  };
  const { met } = await pollUntil(tryTake, (taken) => taken, waitMs, { firstDelayMs: 200, maxDelayMs: 1000 });
  if (!met) throw new Error(`another grading of ${name} has held its lock (${dir}) for ${Math.round(waitMs / 1000)} s`);
  return () => rmSync(dir, { recursive: true, force: true });
}

function ownerOf(dir: string): number | null {
  try {
    const pid = Number(readFileSync(path.join(dir, 'owner'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
