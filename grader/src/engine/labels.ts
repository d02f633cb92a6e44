import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Every object the grader creates carries LABEL=1, its run id and its owner, so it can always be found and removed. */
export const LABEL = 'dockerlab';
export const RUN_LABEL = 'dockerlab.run';
export const LAB_LABEL = 'dockerlab.lab';
/** `host:boot:pid:start` of the grader process that owns the object: a dead owner's objects are swept by the next grading. */
export const OWNER_LABEL = 'dockerlab.owner';
export const STAND_IN_LABEL = 'dockerlab.stand-in';

export function runLabels(runId: string, labId: string, owner: string = currentOwner()): Record<string, string> {
  return { [LABEL]: '1', [RUN_LABEL]: runId, [LAB_LABEL]: labId, [OWNER_LABEL]: owner };
}

export function newRunId(): string {
  return `dl${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().slice(0, 8);
  } catch {
    return '-';
  }
}

/** The start time of a process in clock ticks since boot (Linux), which tells a live owner from a reused pid. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

export function currentOwner(): string {
  return `${os.hostname()}:${bootId()}:${process.pid}:${processStart(process.pid) ?? '-'}`;
}

/**
 * Whether the grader process named by an owner label is gone for sure. Owners
 * on another host are never judged dead (a shared remote engine); on this host,
 * a different boot, a missing pid, or a pid now started at another time is dead.
 */
export function ownerIsDead(owner: string): boolean {
  const [host, boot, pidText, start] = owner.split(':');
  if (host !== os.hostname()) return false;
  if (boot !== bootId()) return true;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return true;
  }
  const now = processStart(pid);
  return start !== '-' && now !== null && now !== start;
}
