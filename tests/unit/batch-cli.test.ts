import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultConcurrency, MEMORY_PER_GRADING } from '../../grader/src/batch/concurrency.js';
import { parseDeadline, runBatchCommand, runMergeCommand, type BatchIo } from '../../grader/src/batch/index.js';
import { plainProgress, ttyProgress } from '../../grader/src/batch/progress-display.js';
import { runQueue } from '../../grader/src/batch/work-queue.js';
import { FakeGrader, FIXTURE_LABS, removeDir, Sink, sleep, tempDir, writeDirectLayout } from '../fixtures/batch/fake-class.js';

const GiB = 2 ** 30;
let root: string;

beforeEach(() => {
  root = tempDir('hbat-cli-');
  writeDirectLayout(path.join(root, 'class', 'alice'), { 'lab-03': ['builds'] });
});
afterEach(() => removeDir(root));

async function batch(args: string[]) {
  const stdout = new Sink();
  const stderr = new Sink();
  const io: BatchIo = { stdout, stderr, env: {}, signal: new AbortController().signal, cwd: root };
  const code = await runBatchCommand(args, io, { grader: new FakeGrader() });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('batch command line', () => {
  it('prints its help', async () => {
    const { code, stdout } = await batch(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('npm run grade -- batch DIR --out OUT');
    expect(stdout).toContain('--regrade S[/lab-NN]');
  });

  it.each([
    [[], 'which class folder?'],
    [['class'], '--out OUT is required'],
    [['class', 'other', '--out', 'o'], 'one class folder only'],
    [['class', '--out', 'o', '--jobs', '0'], '--jobs must be a whole number from 1 to 256, not "0"'],
    [['class', '--out', 'o', '--shard', '3/2'], '--shard 3/2: i must be between 1 and n'],
    [['class', '--out', 'o', '--before', 'next friday'], '--before "next friday" is not a date; write 2025-03-14'],
    [['class', '--out', 'o', '--lang', 'de'], '--lang must be fr or en, not "de"'],
    [['class', '--out', 'o', '--labs', 'lab3'], '("lab3" is not one)'],
    [['class', '--out', 'o', '--sandbox', 'maybe'], '--sandbox must be auto or off'],
    [['class', '--out', 'o', '--nope'], "Unknown option '--nope'"],
    [['class', '--out', 'o', '--labs-dir', FIXTURE_LABS, '--labs', 'lab-09'], 'no lab lab-09'],
    [['class', '--out', 'o', '--labs-dir', FIXTURE_LABS, '--roster', 'missing.csv'], 'cannot read the roster'],
    [['missing', '--out', 'o', '--labs-dir', FIXTURE_LABS], 'the class folder'],
  ])('refuses %j with a clear message (exit 2)', async (args, message) => {
    const { code, stderr } = await batch(args as string[]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('Run npm run grade -- batch --help for usage.');
  });

  it('a lab spec that is not JSON stops before grading, naming the file', async () => {
    const labs = path.join(root, 'labs');
    writeDirectLayout(path.join(root, 'unused'), {});
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(labs, 'lab-03'), { recursive: true });
    writeFileSync(path.join(labs, 'lab-03', 'lab.json'), '{ "id": "lab-03", ');
    const { code, stderr } = await batch(['class', '--out', 'o', '--labs-dir', labs]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path.join(labs, 'lab-03', 'lab.json')}: not valid JSON`);
  });

  it('batch-merge: help and usage errors', async () => {
    const io = { stdout: new Sink(), stderr: new Sink(), env: {}, signal: new AbortController().signal, cwd: root };
    expect(await runMergeCommand(['--help'], io)).toBe(0);
    expect(io.stdout.text).toContain('batch-merge OUT1 OUT2');
    expect(await runMergeCommand(['a', 'b'], io)).toBe(2);
    expect(io.stderr.text).toContain('--out OUT is required');
    expect(await runMergeCommand(['a', '--out', 'a'], io)).toBe(2);
    expect(io.stderr.text).toContain('is also one of the inputs');
  });

  it('--before: a date alone is the end of that day; a date-time is taken as written', () => {
    const end = parseDeadline('2025-03-14')!;
    expect([end.getFullYear(), end.getMonth(), end.getDate(), end.getHours(), end.getMinutes()]).toEqual([2025, 2, 14, 23, 59]);
    expect(parseDeadline('2025-03-14T18:00:00+01:00')!.toISOString()).toBe('2025-03-14T17:00:00.000Z');
    expect(parseDeadline('2025-02-30')).toBeNull();
    expect(parseDeadline('soon')).toBeNull();
  });
});

describe('concurrency', () => {
  it('defaults from cores and memory: two gradings per core, fewer when memory cannot hold them', () => {
    expect(defaultConcurrency({ cores: 2, availableMemory: 16 * GiB })).toMatchObject({ jobs: 4, pools: { image: 4, sandbox: 2, exclusive: 1 } });
    expect(defaultConcurrency({ cores: 8, availableMemory: 3 * GiB })).toMatchObject({ jobs: 2, pools: { sandbox: 1 } });
    expect(defaultConcurrency({ cores: 2, availableMemory: 16 * GiB }, 7)).toMatchObject({ jobs: 7, pools: { image: 7, sandbox: 2 } });
  });

  it('the queue never holds more than the memory budget, whatever --jobs says', async () => {
    let running = 0;
    let peak = 0;
    const items = Array.from({ length: 6 }, () => ({ pool: 'sandbox' as const }));
    await runQueue(items, { jobs: 6, pools: { image: 6, sandbox: 6, exclusive: 1 }, memoryBudget: 2 * MEMORY_PER_GRADING.sandbox + 1 }, async () => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(10);
      running -= 1;
    }, new AbortController().signal);
    expect(peak).toBe(2);
  });

  it('an image grading waits behind no sandbox: a full pool lets the next item of another pool start', async () => {
    const order: string[] = [];
    const items = [{ pool: 'exclusive' as const, id: 'x1' }, { pool: 'exclusive' as const, id: 'x2' }, { pool: 'image' as const, id: 'i1' }];
    await runQueue(items, { jobs: 2, pools: { image: 2, sandbox: 1, exclusive: 1 }, memoryBudget: 64 * GiB }, async (item) => {
      order.push(`start ${item.id}`);
      await sleep(item.pool === 'exclusive' ? 30 : 5);
      order.push(`end ${item.id}`);
    }, new AbortController().signal);
    expect(order.slice(0, 2)).toEqual(['start x1', 'start i1']);
  });
});

describe('progress display', () => {
  it('on a terminal: a bar with done/total, errors, ETA, and a line per worker, redrawn in place', async () => {
    const tty = Object.assign(new Sink(), { isTTY: true, columns: 60 });
    const p = ttyProgress(tty, { interval: 5 });
    p.start(10, 2, 2);
    p.worker(0, 'alice lab-03: building image');
    p.worker(1, 'bob lab-01: waiting for the sandbox engine to answer, which can take a while');
    await sleep(20);
    p.finished({ label: 'carol lab-03', count: 1, score: 0, maxScore: 10, error: true, durationMs: 3000 });
    p.finished({ label: 'dan lab-03', count: 2, score: 5, maxScore: 10, error: false, durationMs: 1000 });
    await sleep(20);
    p.stop();
    const frames = tty.text.split('\x1b[');
    expect(tty.text).toContain('\x1b[3A\x1b[0J');
    expect(tty.text).toContain('  #1 alice lab-03: building image');
    expect(tty.text).toContain('✗ carol lab-03: error (engine fault, retried once) after 3 s');
    expect(tty.text).toMatch(/5\/10 50 % · 1 error · \d+ s elapsed · ETA \d+ s/);
    // Every line fits the terminal, so moving the cursor up by the number of lines is right.
    const frameLines = tty.text.replace(/\x1b\[\d+A\x1b\[0J/g, '').split('\n').filter((l) => !l.startsWith('✗'));
    for (const line of frameLines) expect(line.length).toBeLessThanOrEqual(59);
    expect(frameLines).toContain('  #2 bob lab-01: waiting for the sandbox engine to answer,…');
    expect(frames.length).toBeGreaterThan(3);
  });

  it('elsewhere: one plain line per finished grading', () => {
    const out = new Sink();
    const p = plainProgress(out);
    p.start(3, 1, 2);
    p.finished({ label: 'alice lab-03', count: 1, score: 7, maxScore: 10, error: false, durationMs: 12_000 });
    p.finished({ label: 'bob lab-03', count: 1, score: 2, maxScore: 10, error: true, durationMs: 61_000 });
    expect(out.text).toBe('3 gradings: 1 already stored, 2 to do, 2 at once\n[2/3] alice lab-03: 7/10 in 12 s\n[3/3] bob lab-03: ERROR (2/10 before the error) in 1 min 01 s\n');
    expect(out.text).not.toContain('\x1b');
  });
});
