import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runBatchCommand, runMergeCommand, type BatchIo } from '../../grader/src/batch/index.js';
import { inShard, parseShard } from '../../grader/src/batch/shard.js';
import { FakeGrader, FIXTURE_LABS, removeDir, Sink, tempDir, writeCloneLayout, writeDirectLayout } from '../fixtures/batch/fake-class.js';

let root: string;
let dir: string;
let roster: string;

beforeAll(() => {
  root = tempDir('hbat-shard-');
  dir = path.join(root, 'class');
  for (let i = 0; i < 11; i++) {
    const answers = { 'lab-01': ['script-finishes', ...(i % 3 ? ['serveur-running'] : []), `v${i}`], 'lab-03': ['builds', ...(i % 2 ? ['http-ok'] : []), `v${i}`], 'lab-04': i % 4 ? ['builds', `v${i}`] : [`v${i}`] };
    if (i % 2) writeCloneLayout(path.join(dir, `student-${i}`), answers);
    else writeDirectLayout(path.join(dir, `student-${i}`), answers);
  }
  writeDirectLayout(path.join(dir, 'student-err'), { 'lab-03': ['#fault-always'] });
  writeDirectLayout(path.join(dir, 'nolab'), {});
  roster = path.join(root, 'roster.csv');
  const lines = ['folder,student_id,name,email', ...Array.from({ length: 11 }, (_, i) => `student-${i},${1000 + i},Student ${i},s${i}@ex.org`), 'ghost,2000,Ghost,ghost@ex.org', ',,,'];
  writeFileSync(roster, `${lines.join('\n')}\n`);
});
afterAll(() => removeDir(root));

async function run(command: 'batch' | 'merge', args: string[]) {
  const stdout = new Sink();
  const stderr = new Sink();
  const io: BatchIo = { stdout, stderr, env: {}, signal: new AbortController().signal, cwd: root };
  const code = command === 'batch'
    ? await runBatchCommand([dir, '--labs-dir', FIXTURE_LABS, '--roster', roster, '--quiet', ...args], io, { grader: new FakeGrader() })
    : await runMergeCommand(args, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Every file of an OUT folder (not its private state), with the run's own timestamps and durations taken out. */
function outputs(out: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (name === '.dockerlab-batch' || name === 'logs') continue;
      if (statSync(full).isDirectory()) walk(full);
      else files[path.relative(out, full)] = normalise(name, readFileSync(full, 'utf8')).split(out).join('OUT').split(out.replace(/[/.-]/g, (c) => `\\${c}`)).join('OUT');
    }
  };
  walk(out);
  return files;
}

function normalise(name: string, text: string): string {
  let t = text
    .replace(/"(gradedAt|generatedAt)": ?"[^"]*"/g, '"$1":"…"')
    .replace(/\d{1,2} \S+ \d{4} à \d{2}:\d{2} UTC/g, 'DATE')
    .replace(/timestamp="[^"]*"/g, 'timestamp="…"');
  if (name === 'batch.json') t = t.replace(/"shard": (null|\{[^}]*\})/, '"shard":…').replace(/"complete": (true|false)/, '"complete":…');
  return t;
}

describe('sharding', () => {
  it('--shard i/n: parsed strictly, and the slices partition the class', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '2', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(/--shard/);
    const students = Array.from({ length: 23 }, (_, i) => i);
    const slices = [1, 2, 3, 4].map((index) => inShard(students, { index, count: 4 }));
    expect(slices.flat().sort((a, b) => a - b)).toEqual(students);
    expect(slices.map((s) => s.length)).toEqual([6, 6, 6, 5]);
  });

  // Every submission differs here: identical ones on two shards are graded on each (on one machine, once), which only changes who is "graded first".
  it('the merge of the shards is the unsharded batch: same gradebook, exports, results, feedback and report', async () => {
    const whole = path.join(root, 'whole');
    expect((await run('batch', ['--out', whole])).code).toBe(1);
    const shards = [1, 2, 3].map((i) => path.join(root, `shard-${i}`));
    for (const [i, out] of shards.entries()) expect((await run('batch', ['--out', out, '--shard', `${i + 1}/3`])).code).toBeLessThanOrEqual(1);
    // Each shard holds a part of the class, none holds it all.
    const sizes = shards.map((s) => (JSON.parse(readFileSync(path.join(s, 'batch.json'), 'utf8')) as { students: unknown[] }).students.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(14);
    expect(Math.max(...sizes)).toBeLessThan(14);

    const merged = path.join(root, 'merged');
    const merge = await run('merge', [...shards, '--out', merged]);
    expect(merge.code).toBe(1);
    const a = outputs(whole);
    const b = outputs(merged);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const file of Object.keys(a)) expect({ file, text: b[file] }).toEqual({ file, text: a[file] });
    expect(readFileSync(path.join(merged, 'gradebook.csv'), 'utf8')).toBe(readFileSync(path.join(whole, 'gradebook.csv'), 'utf8'));
  });

  it('a missing shard is merged without, and said; shards cut differently or given twice are refused', async () => {
    const one = path.join(root, 'p-1');
    const two = path.join(root, 'p-2');
    await run('batch', ['--out', one, '--shard', '1/3']);
    await run('batch', ['--out', two, '--shard', '2/3']);
    const partial = await run('merge', [one, two, '--out', path.join(root, 'partial')]);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toContain('Warning: shard 3/3 missing: its students are not in the merged gradebook');
    const other = path.join(root, 'q-1');
    await run('batch', ['--out', other, '--shard', '1/2']);
    const mixed = await run('merge', [one, other, '--out', path.join(root, 'mixed')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('the shards were cut differently (1/3, 1/2)');
    const twice = await run('merge', [one, one, '--out', path.join(root, 'twice')]);
    expect(twice.stderr).toContain('shard 1/3 is given twice');
    const nothing = await run('merge', [path.join(root, 'class'), '--out', path.join(root, 'x')]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('holds no batch.json');
  });

  it('a merged OUT resumes: a batch into it grades nothing more, and a regrade only what it names', async () => {
    const shards = [1, 2].map((i) => path.join(root, `r-${i}`));
    for (const [i, out] of shards.entries()) await run('batch', ['--out', out, '--shard', `${i + 1}/2`]);
    const merged = path.join(root, 'r-merged');
    await run('merge', [...shards, '--out', merged]);
    const grader = new FakeGrader();
    const io: BatchIo = { stdout: new Sink(), stderr: new Sink(), env: {}, signal: new AbortController().signal, cwd: root };
    await runBatchCommand([dir, '--labs-dir', FIXTURE_LABS, '--roster', roster, '--quiet', '--out', merged, '--regrade', '1003/lab-03'], io, { grader });
    // The student in error is not final, so it is graded again as well (twice: the retry).
    expect(grader.calls.map((c) => `${c.student}/${c.lab}`).sort()).toEqual(['1003/lab-03', 'student-err/lab-03', 'student-err/lab-03']);
  });
});
