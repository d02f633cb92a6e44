import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { runBatchCommand, type BatchIo } from '../../grader/src/batch/index.js';
import { FakeGrader, FIXTURE_LABS, removeDir, Sink, tempDir, writeCloneLayout, writeDirectLayout } from '../fixtures/batch/fake-class.js';

let root: string;
let dir: string;
let out: string;

beforeEach(() => {
  root = tempDir('hbat-run-');
  dir = path.join(root, 'class');
  out = path.join(root, 'out');
});
afterEach(() => removeDir(root));

async function batch(grader: FakeGrader, extra: string[] = [], signal = new AbortController().signal) {
  const stdout = new Sink();
  const stderr = new Sink();
  const io: BatchIo = { stdout, stderr, env: {}, signal, cwd: root };
  const code = await runBatchCommand([dir, '--out', out, '--labs-dir', FIXTURE_LABS, '--quiet', ...extra], io, { grader, machine: { cores: 2, availableMemory: 16 * 2 ** 30 } });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function gradebook(): Record<string, string>[] {
  return parse(readFileSync(path.join(out, 'gradebook.csv'), 'utf8'), { bom: true, columns: true }) as Record<string, string>[];
}

const row = (student: string) => gradebook().find((r) => r.student === student)!;
const called = (g: FakeGrader) => g.calls.map((c) => `${c.student}/${c.lab}`).sort();

describe('batch grading with a fake grader', () => {
  it('grades every lab of every student, and the gradebook holds the grades the grader gave', async () => {
    writeCloneLayout(path.join(dir, 'alice'), { 'lab-01': ['script-finishes', 'serveur-running', 'serveur-page'], 'lab-03': ['builds', 'exec-form'], 'lab-04': ['builds'] });
    writeDirectLayout(path.join(dir, 'bob'), { 'lab-03': ['builds', 'non-root-user', 'exec-form', 'http-ok'] });
    const grader = new FakeGrader();
    const { code, stdout } = await batch(grader);
    expect(code).toBe(0);
    expect(called(grader)).toEqual(['alice/lab-01', 'alice/lab-03', 'alice/lab-04', 'bob/lab-03']);
    const book = gradebook();
    expect(book[0]).toMatchObject({ student: 'points possible', 'lab-01': '10', 'lab-03': '10', 'lab-04': '5', total: '25' });
    expect(row('alice')).toMatchObject({ 'lab-01': '10', 'lab-03': '3', 'lab-04': '2', total: '15' });
    expect(row('bob')).toMatchObject({ 'lab-01': '', 'lab-03': '10', 'lab-04': '', total: '10', notes: 'no folder for lab-01, lab-04' });
    expect(stdout).toContain('2 students, 3 labs');
    for (const file of ['gradebook.csv', 'moodle.csv', 'canvas.csv', 'results.jsonl', 'junit.xml', 'report.html', 'batch.json', 'summary.md', 'feedback/alice/lab-03.md', 'feedback/alice/README.md']) {
      expect(existsSync(path.join(out, file))).toBe(true);
    }
    // The job gets the teacher's lab, the student's folder, the batch's language and a logs folder of its own.
    const job = grader.calls.find((c) => c.student === 'bob')!;
    expect(job).toMatchObject({ lab: 'lab-03', labsDir: FIXTURE_LABS, kind: 'image', submission: path.join(dir, 'bob', 'lab-03'), lang: 'fr', logsDir: path.join(out, 'logs', 'bob', 'lab-03') });
  });

  it('a second run grades nothing; a changed submission is graded again, alone', async () => {
    writeDirectLayout(path.join(dir, 'alice'), { 'lab-03': ['builds'], 'lab-04': [] });
    writeDirectLayout(path.join(dir, 'bob'), { 'lab-03': [] });
    await batch(new FakeGrader());
    const again = new FakeGrader();
    const second = await batch(again);
    expect(second.code).toBe(0);
    expect(again.calls).toEqual([]);
    expect(second.stdout).toContain('graded now: 0');
    expect(second.stdout).toContain('already stored by an earlier run: 3');

    writeFileSync(path.join(dir, 'alice', 'lab-03', 'answers.txt'), 'builds\nhttp-ok\n');
    const third = new FakeGrader();
    await batch(third);
    expect(called(third)).toEqual(['alice/lab-03']);
    expect(row('alice')['lab-03']).toBe('6');
    // One line per student and lab in results.jsonl, whatever the number of runs.
    const lines = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { batch: { student: string; lab: string } });
    expect(lines.map((l) => `${l.batch.student}/${l.batch.lab}`)).toEqual(['alice/lab-03', 'alice/lab-04', 'bob/lab-03']);
  });

  it('a new grader version or a changed spec makes the stored gradings stale', async () => {
    writeDirectLayout(path.join(dir, 'alice'), { 'lab-03': ['builds'] });
    await batch(new FakeGrader('fake-1'));
    const newer = new FakeGrader('fake-2');
    await batch(newer);
    expect(called(newer)).toEqual(['alice/lab-03']);
    const english = new FakeGrader('fake-2');
    await batch(english, ['--lang', 'en']);
    expect(called(english)).toEqual(['alice/lab-03']);
  });

  it('identical submissions are graded once and each student gets the grading, with their own paths', async () => {
    for (const s of ['ana', 'ben', 'cid']) writeDirectLayout(path.join(dir, s), { 'lab-03': ['builds', 'exec-form'] });
    writeDirectLayout(path.join(dir, 'dan'), { 'lab-03': ['builds'] });
    const grader = new FakeGrader();
    const { stdout } = await batch(grader);
    expect(grader.calls).toHaveLength(2);
    expect(stdout).toContain('graded now: 2 · identical submissions given the same grading: 2');
    const lines = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { submission: string; notes: string[]; score: number; batch: { student: string; reusedFrom: string | null } });
    const ben = lines.find((l) => l.batch.student === 'ben')!;
    expect(ben).toMatchObject({ score: 3, submission: path.join(dir, 'ben', 'lab-03'), batch: { reusedFrom: 'ana' } });
    expect(ben.notes.join()).toContain(path.join(out, 'logs', 'ben', 'lab-03'));
    expect(ben.notes.join()).not.toContain('ana');
    // A later student handing in the same files gets the stored grading without a run either.
    writeDirectLayout(path.join(dir, 'eve'), { 'lab-03': ['builds', 'exec-form'] });
    const later = new FakeGrader();
    await batch(later);
    expect(later.calls).toEqual([]);
    expect(row('eve')['lab-03']).toBe('3');
  });

  it('--regrade STUDENT and STUDENT/lab-NN grade again what is stored; an unknown name is a usage error', async () => {
    writeDirectLayout(path.join(dir, 'alice'), { 'lab-03': ['builds'], 'lab-04': [] });
    writeDirectLayout(path.join(dir, 'bob'), { 'lab-03': [] });
    await batch(new FakeGrader());
    const one = new FakeGrader();
    await batch(one, ['--regrade', 'alice/lab-04']);
    expect(called(one)).toEqual(['alice/lab-04']);
    const all = new FakeGrader();
    await batch(all, ['--regrade', 'ALICE']);
    expect(called(all)).toEqual(['alice/lab-03', 'alice/lab-04']);
    const typo = await batch(new FakeGrader(), ['--regrade', 'alic']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('no student "alic" in the class (did you mean alice?)');
  });

  it('an engine fault is retried once: a second success is the grade, a second fault is an error, never a silent 0', async () => {
    writeDirectLayout(path.join(dir, 'flaky'), { 'lab-03': ['#fault-once', 'builds', 'non-root-user'] });
    writeDirectLayout(path.join(dir, 'broken'), { 'lab-03': ['#fault-always', 'non-root-user'] });
    writeDirectLayout(path.join(dir, 'thrown'), { 'lab-03': ['#throw-always'] });
    writeDirectLayout(path.join(dir, 'fine'), { 'lab-03': ['builds'] });
    const grader = new FakeGrader();
    const { code, stdout } = await batch(grader);
    expect(code).toBe(1);
    expect(called(grader)).toEqual(['broken/lab-03', 'broken/lab-03', 'fine/lab-03', 'flaky/lab-03', 'flaky/lab-03', 'thrown/lab-03', 'thrown/lab-03']);
    expect(row('flaky')['lab-03']).toBe('5');
    expect(row('broken')['lab-03']).toBe('error');
    expect(row('broken').notes).toContain('engine fault on builds (retried once): regrade with --regrade broken/lab-03');
    expect(row('thrown')['lab-03']).toBe('error');
    expect(row('thrown').notes).toContain('the engine closed the connection');
    expect(row('broken').total).toBe('0');
    expect(stdout).toMatch(/Gradings in error \(2\)[\s\S]*broken lab-03: builds[\s\S]*thrown lab-03: builds, non-root-user, exec-form, http-ok/);
    // LMS exports leave an error empty (the LMS keeps what it had) instead of importing a 0.
    const moodle = parse(readFileSync(path.join(out, 'moodle.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(moodle.find((r) => r.username === 'broken')!['lab-03 Image non-root']).toBe('');
    // Errors are not final: the next run grades them again, and only them.
    const next = new FakeGrader();
    await batch(next);
    expect(called(next)).toEqual(['broken/lab-03', 'broken/lab-03', 'thrown/lab-03', 'thrown/lab-03']);
  });

  it('no engine stops the batch (exit 3) and keeps what was graded', async () => {
    writeDirectLayout(path.join(dir, 'a1'), { 'lab-03': ['builds'] });
    writeDirectLayout(path.join(dir, 'a2'), { 'lab-03': ['#no-engine'] });
    writeDirectLayout(path.join(dir, 'a3'), { 'lab-03': ['builds', 'http-ok'] });
    const grader = new FakeGrader();
    const { code, stderr } = await batch(grader, ['--jobs', '1']);
    expect(code).toBe(3);
    expect(stderr).toContain('No Docker engine answers');
    expect(row('a1')['lab-03']).toBe('2');
    expect(row('a3')['lab-03']).toBe('pending');
    writeDirectLayout(path.join(dir, 'a2'), { 'lab-03': [] });
    const resumed = new FakeGrader();
    expect((await batch(resumed, ['--jobs', '1'])).code).toBe(0);
    expect(called(resumed)).toEqual(['a2/lab-03', 'a3/lab-03']);
  });

  it('a lab spec that grade() refuses stops that lab only, and says so', async () => {
    writeDirectLayout(path.join(dir, 'a1'), { 'lab-03': ['#bad-spec'], 'lab-04': ['builds'] });
    writeDirectLayout(path.join(dir, 'a2'), { 'lab-03': ['builds'], 'lab-04': ['builds', 'serves-8080'] });
    const grader = new FakeGrader();
    const { code, stdout } = await batch(grader, ['--jobs', '1']);
    expect(code).toBe(1);
    expect(called(grader)).toEqual(['a1/lab-03', 'a1/lab-04', 'a2/lab-04']);
    expect(row('a2')['lab-03']).toBe('error');
    expect(stdout).toContain('lab-03 could not be graded at all: its lab spec was refused');
  });

  it('bad input never stops the batch: each problem is in the summary and in the gradebook, by name', async () => {
    writeDirectLayout(path.join(dir, 'good'), { 'lab-03': ['builds'] });
    writeFileSync(path.join(root, 'empty-note'), '');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'nolab', 'src'), { recursive: true });
    const roster = path.join(root, 'roster.csv');
    writeFileSync(roster, 'folder,student_id,name,email\ngood,1,Good Student,good@ex.org\nabsent,2,Absent Student,absent@ex.org\n');
    const { code, stdout } = await batch(new FakeGrader(), ['--roster', roster]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/nolab \(nolab\): no lab folder/);
    expect(stdout).toMatch(/nolab \(nolab\): folder "nolab" is not in the roster/);
    expect(stdout).toMatch(/2 \(roster\.csv:3\): roster line 3 \(Absent Student\): no folder "absent"/);
    expect(row('1')).toMatchObject({ name: 'Good Student', 'lab-03': '2' });
    expect(row('2').notes).toContain('no folder "absent" in the class folder');
    expect(row('nolab').notes).toContain('no lab folder');
  });

  it('runs gradings in parallel within the limits: --jobs for all, one sandbox per core for script labs', async () => {
    for (let i = 0; i < 6; i++) writeDirectLayout(path.join(dir, `s${i}`), { 'lab-01': [`#slow=40`, `v${i}`], 'lab-03': ['#slow=40', `v${i}`] });
    const grader = new FakeGrader();
    await batch(grader, ['--jobs', '3']);
    expect(grader.calls).toHaveLength(12);
    expect(grader.maxRunning).toBe(3);
    // 2 cores: at most 2 sandboxes at once.
    expect(grader.maxByKind.get('script')).toBe(2);
    const sequential = new FakeGrader();
    removeDir(out);
    await batch(sequential, ['--jobs', '1']);
    expect(sequential.maxRunning).toBe(1);
  });

  it('Ctrl-C stops starting gradings, keeps the finished ones, exits 130; the next run does the rest', async () => {
    for (let i = 0; i < 5; i++) writeDirectLayout(path.join(dir, `s${i}`), { 'lab-03': ['#slow=60', `v${i}`] });
    const controller = new AbortController();
    const grader = new FakeGrader();
    const finished = setInterval(() => {
      if (existsSync(path.join(out, '.dockerlab-batch', 'gradings.jsonl')) && readFileSync(path.join(out, '.dockerlab-batch', 'gradings.jsonl'), 'utf8').split('\n').length > 2) controller.abort();
    }, 5);
    const first = await batch(grader, ['--jobs', '1'], controller.signal);
    clearInterval(finished);
    expect(first.code).toBe(130);
    const done = gradebook().slice(1).filter((r) => r['lab-03'] !== 'pending').length;
    expect(done).toBeGreaterThanOrEqual(2);
    expect(done).toBeLessThan(5);
    const rest = new FakeGrader();
    expect((await batch(rest, ['--jobs', '1'])).code).toBe(0);
    expect(rest.calls).toHaveLength(5 - done);
    expect(gradebook().slice(1).map((r) => r['lab-03'])).toEqual(['0', '0', '0', '0', '0']);
  });
});

describe('roster problems in the outputs', () => {
  it('a roster line naming a folder again, or nothing at all, is reported once in the summary and the report', async () => {
    writeDirectLayout(path.join(dir, 'alice'), { 'lab-03': ['builds'] });
    const roster = path.join(root, 'roster.csv');
    writeFileSync(roster, 'folder,student_id,name\nalice,1,Alice\nalice,9,Again\n,,\n');
    const { stdout } = await batch(new FakeGrader(), ['--roster', roster]);
    expect(stdout).toContain('roster line 3 names folder "alice" again (already on line 2)');
    expect(stdout).toContain('roster line 4 names no folder, id or email: ignored');
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('roster line 3 names folder &quot;alice&quot; again');
  });
});
