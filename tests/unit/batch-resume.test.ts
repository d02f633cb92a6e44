import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { parse } from 'csv-parse/sync';
import { GradingStore } from '../../grader/src/batch/grading-store.js';
import type { GradingRecord } from '../../grader/src/batch/types.js';
import { BATCH_FIXTURES, FIXTURE_LABS, removeDir, tempDir, writeDirectLayout } from '../fixtures/batch/fake-class.js';

let root: string;
let child: string;

beforeAll(async () => {
  root = tempDir('hbat-resume-');
  child = path.join(root, 'batch-child.mjs');
  // The batch in a process of its own (real kill -9), bundled so that it runs without ts-jest.
  await build({
    entryPoints: [path.join(BATCH_FIXTURES, 'batch-child.ts')],
    outfile: child,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    external: ['./real-grader.js'],
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
    logLevel: 'warning',
  });
});
afterAll(() => removeDir(root));

function record(student: string, lab: string, score: number): GradingRecord {
  return {
    student, lab, submissionHash: `sha256:${student}`, specHash: 'sha256:spec', graderVersion: 'v', lang: 'fr', attempts: 1, gradedAt: new Date().toISOString(), reusedFrom: null, commit: null, failure: null,
    result: { lab, title: lab, score, maxScore: 10, checks: [], actions: [], lang: 'fr', submission: `/x/${student}`, notes: [], durationMs: 1, isolation: 'engine', grader: { version: 'v' } },
  };
}

describe('the grading store', () => {
  it('drops a line torn by a crash mid-write, keeps every complete one, and appends after it cleanly', () => {
    const out = tempDir('hbat-store-');
    try {
      const store = GradingStore.open(out);
      store.append(record('alice', 'lab-01', 3));
      store.append(record('bob', 'lab-01', 4));
      store.close();
      const file = path.join(out, '.dockerlab-batch', 'gradings.jsonl');
      const torn = JSON.stringify(record('carol', 'lab-01', 5));
      appendFileSync(file, torn.slice(0, Math.floor(torn.length / 2)));

      const reopened = GradingStore.open(out);
      expect(reopened.repairedBytes).toBe(Math.floor(torn.length / 2));
      expect(reopened.latestOf('alice', 'lab-01')?.result.score).toBe(3);
      expect(reopened.latestOf('bob', 'lab-01')?.result.score).toBe(4);
      expect(reopened.latestOf('carol', 'lab-01')).toBeUndefined();
      reopened.append(record('carol', 'lab-01', 5));
      reopened.close();
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      expect(lines.map((l) => (JSON.parse(l) as GradingRecord).student)).toEqual(['alice', 'bob', 'carol']);
    } finally {
      removeDir(out);
    }
  });

  it('the latest grading of a student and lab wins; compaction keeps only it', () => {
    const out = tempDir('hbat-store-');
    try {
      const store = GradingStore.open(out);
      for (let i = 0; i < 40; i++) store.append(record('alice', 'lab-01', i % 10));
      store.compact();
      store.close();
      const lines = readFileSync(path.join(out, '.dockerlab-batch', 'gradings.jsonl'), 'utf8').split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect((JSON.parse(lines[0]!) as GradingRecord).result.score).toBe(9);
    } finally {
      removeDir(out);
    }
  });

  it('refuses a second batch writing into the same OUT, and takes over the lock of a killed one', () => {
    const out = tempDir('hbat-store-');
    try {
      const lock = path.join(out, '.dockerlab-batch', 'lock');
      GradingStore.open(out).close();
      writeFileSync(lock, String(process.ppid));
      expect(() => GradingStore.open(out)).toThrow(/another batch \(process \d+\) is writing into/);
      writeFileSync(lock, '999999999');
      expect(() => GradingStore.open(out).close()).not.toThrow();
    } finally {
      removeDir(out);
    }
  });
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

/** Runs the batch in a child process, killed with SIGKILL after some time or as soon as a condition holds (polled every 2 ms). */
function runChild(args: string[], env: Record<string, string>, kill: { afterMs: number } | { when: () => boolean } | null): Promise<Exit> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [child, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.resume();
    const timer = kill && 'afterMs' in kill ? setTimeout(() => proc.kill('SIGKILL'), kill.afterMs) : undefined;
    const poll = kill && 'when' in kill ? setInterval(() => kill.when() && proc.kill('SIGKILL'), 2) : undefined;
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ code, signal, stdout });
    });
  });
}

describe('kill -9 at any moment', () => {
  it('loses and duplicates nothing: after several kills, one more run completes the class with one grading per submission', async () => {
    const dir = path.join(root, 'class');
    const out = path.join(root, 'out');
    const calls = path.join(root, 'calls.log');
    const students = Array.from({ length: 14 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    students.forEach((s, i) => writeDirectLayout(path.join(dir, s), { 'lab-03': ['#slow=25', 'builds', ...(i % 2 ? ['http-ok'] : []), `v${i}`], 'lab-04': ['#slow=25', `v${i}`] }));
    const args = [dir, '--out', out, '--labs-dir', FIXTURE_LABS, '--jobs', '2'];
    const total = students.length * 2;
    const storeFile = path.join(out, '.dockerlab-batch', 'gradings.jsonl');
    const storedLines = () => (existsSync(storeFile) ? readFileSync(storeFile, 'utf8').split('\n').filter(Boolean).length : 0);
    let killed = 0;
    let killedMidBatch = 0;
    // Two kills during start-up, then kills right after the store grew by 1 to 3 gradings: mid-batch, whatever the machine's speed.
    for (const ms of [15, 60]) if ((await runChild(args, { BATCH_CALL_LOG: calls }, { afterMs: ms })).signal === 'SIGKILL') killed += 1;
    for (let k = 0; k < 5; k++) {
      const target = storedLines() + 1 + (k % 3);
      if (target >= total) break;
      const exit = await runChild(args, { BATCH_CALL_LOG: calls }, { when: () => storedLines() >= target });
      if (exit.signal === 'SIGKILL') {
        killed += 1;
        if (storedLines() < total) killedMidBatch += 1;
      }
    }
    expect(killedMidBatch).toBeGreaterThanOrEqual(3);
    const last = await runChild(args, { BATCH_CALL_LOG: calls }, null);
    expect(last.code).toBe(0);

    const results = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { score: number; batch: { student: string; lab: string } });
    const keys = results.map((r) => `${r.batch.student}/${r.batch.lab}`);
    expect(keys).toHaveLength(total);
    expect(new Set(keys).size).toBe(total);
    const store = readFileSync(path.join(out, '.dockerlab-batch', 'gradings.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as GradingRecord);
    // Each stored grading is stored once: a finished grading is never done again.
    expect(new Set(store.map((r) => `${r.student}/${r.lab}`)).size).toBe(store.length);
    expect(store).toHaveLength(total);
    // Only gradings cut short by a kill are done again: at most --jobs of them per kill.
    const done = readFileSync(calls, 'utf8').split('\n').filter(Boolean);
    expect(done.length).toBeLessThanOrEqual(total + 2 * killed);
    const book = parse(readFileSync(path.join(out, 'gradebook.csv'), 'utf8'), { bom: true, columns: true }) as Record<string, string>[];
    students.forEach((s, i) => expect(book.find((r) => r.student === s)).toMatchObject({ 'lab-03': i % 2 ? '6' : '2', 'lab-04': '0' }));
  });
});
