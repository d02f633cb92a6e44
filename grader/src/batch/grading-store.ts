import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { syncDir, writeFileAtomic } from './atomic-file.js';
import type { GradingKey, GradingRecord } from './types.js';

/** Another batch process is writing into the same OUT. */
export class StoreBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreBusyError';
  }
}

export const STATE_DIR = '.dockerlab-batch';
const FILE = 'gradings.jsonl';
const LOCK = 'lock';

const slotOf = (student: string, lab: string) => `${student}\0${lab}`;
const contentOf = (k: Omit<GradingKey, 'student'>) => [k.lab, k.submissionHash, k.specHash, k.graderVersion, k.lang].join('\0');

export function sameKey(a: GradingKey, b: GradingKey): boolean {
  return a.student === b.student && a.lab === b.lab && a.submissionHash === b.submissionHash && a.specHash === b.specHash && a.graderVersion === b.graderVersion && a.lang === b.lang;
}

/** A grading with a check the engine could not evaluate is never final: the next run grades it again. */
export function isFinal(record: GradingRecord): boolean {
  return record.failure === null && !record.result.checks.some((c) => c.status === 'error');
}

/**
 * Every grading of a batch, stored the moment it finishes: one JSON line appended
 * and fsynced per grading (OUT/.dockerlab-batch/gradings.jsonl). A run killed at
 * any moment leaves complete lines plus at most one partial last line, which the
 * next open cuts off (that grading is simply done again); a line is never
 * rewritten, so nothing stored is lost. The latest line for a student and lab
 * wins, so nothing is counted twice either.
 */
export class GradingStore {
  private readonly latest = new Map<string, GradingRecord>();
  private readonly byContent = new Map<string, GradingRecord>();
  private fd: number;
  private lines = 0;
  /** Bytes cut from the end when opening: the trace of a run killed mid-write. */
  readonly repairedBytes: number;

  private constructor(readonly dir: string, private readonly releaseLock: () => void) {
    const file = path.join(dir, FILE);
    const existed = existsSync(file);
    this.fd = openSync(file, 'a+');
    if (!existed) syncDir(dir);
    this.repairedBytes = this.load();
  }

  /** Opens (or creates) the store of OUT; only one process may hold it at a time. */
  static open(outDir: string): GradingStore {
    const dir = path.join(outDir, STATE_DIR);
    mkdirSync(dir, { recursive: true });
    return new GradingStore(dir, takeLock(path.join(dir, LOCK)));
  }

  private load(): number {
    const size = fstatSync(this.fd).size;
    if (size === 0) return 0;
    const buffer = Buffer.alloc(size);
    readSync(this.fd, buffer, 0, size, 0);
    const end = buffer.lastIndexOf(0x0a) + 1;
    if (end < size) {
      ftruncateSync(this.fd, end);
      fsyncSync(this.fd);
    }
    for (const line of buffer.subarray(0, end).toString('utf8').split('\n')) {
      if (!line) continue;
      let record: GradingRecord;
      try {
        record = JSON.parse(line) as GradingRecord;
      } catch {
        // Only a torn last line can be partial (cut above); anything else unreadable is skipped, and graded again.
        continue;
      }
      this.index(record);
    }
    return size - end;
  }

  private index(record: GradingRecord): void {
    this.lines += 1;
    this.latest.set(slotOf(record.student, record.lab), record);
    if (isFinal(record)) this.byContent.set(contentOf(record), record);
  }

  /** The stored grading for exactly these inputs, when it is final. */
  find(key: GradingKey): GradingRecord | undefined {
    const record = this.latest.get(slotOf(key.student, key.lab));
    return record && sameKey(record, key) && isFinal(record) ? record : undefined;
  }

  /** The latest grading of a student's lab, whatever its inputs were. */
  latestOf(student: string, lab: string): GradingRecord | undefined {
    return this.latest.get(slotOf(student, lab));
  }

  /** A final grading of the same files of the same lab for any student: identical work gets the identical grade without running again. */
  findIdentical(key: GradingKey): GradingRecord | undefined {
    return this.byContent.get(contentOf(key));
  }

  append(record: GradingRecord): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.fd);
    this.index(record);
  }

  /** Rewrites the store with only the latest line per student and lab, when superseded lines make up most of it. */
  compact(): void {
    if (this.lines <= 2 * this.latest.size + 16) return;
    const text = [...this.latest.values()].map((r) => `${JSON.stringify(r)}\n`).join('');
    closeSync(this.fd);
    writeFileAtomic(path.join(this.dir, FILE), text);
    this.fd = openSync(path.join(this.dir, FILE), 'a+');
    this.lines = this.latest.size;
  }

  close(): void {
    closeSync(this.fd);
    this.releaseLock();
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

/** A lock file holding the owner's pid, created exclusively; a lock whose owner died (kill -9) is taken over. */
function takeLock(file: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new StoreBusyError(`another batch (process ${owner}) is writing into ${path.dirname(path.dirname(file))}; wait for it to finish, or give another --out`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new StoreBusyError(`cannot take the lock ${file}; remove it if no batch is running`);
}
