import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { classroomPayload, encodeClassroomResult, MAX_CLASSROOM_TESTS, MAX_ENCODED_BYTES, type ClassroomPayload } from '../../grader/src/report/classroom.js';
import { openReporters, parseReporterArgs } from '../../grader/src/report/index.js';
import { score, type CheckResult, type Result } from '../../grader/src/result.js';
import { ROOT } from '../helpers/submissions.js';

function check(id: string, status: CheckResult['status'], points: number, maxPoints: number, extra: Partial<CheckResult> = {}): CheckResult {
  return { id, title: `Title of ${id}`, status, points, maxPoints, message: `message of ${id}`, hint: null, expected: null, observed: null, durationMs: 1200, ...extra };
}
const resultOf = (checks: CheckResult[], extra: Partial<Result> = {}): Result => ({
  lab: 'lab-03', title: 'Image non-root', ...score(checks), checks, actions: [], lang: 'en', submission: '/tmp/sub', notes: [],
  durationMs: 12_345, isolation: 'engine', grader: { version: '0.1.0' }, ...extra,
});

/**
 * Every number classroom-resources/autograding-grading-reporter prints, computed as its
 * code computes it (repository at commit 43c2d9f, read for this test):
 * - src/helpers/test-helpers.js getTestScore: (tests with status "pass" / tests.length) × max_score;
 * - src/console-results.js: per runner `Total points for RUNNER: ${score.toFixed(2)}/${maxScore}`
 *   (when max_score is not 0), then `Grand total tests passed: P/N` (a count of tests);
 *   for a test in error it prints `Error: ${message}` alone, without the test's name;
 * - src/aggregate-results.js: a table row [runner, score, maxScore] per runner and a
 *   row ["Total: ", `${Σ score}`, `${Σ maxScore}`] (cli-table3 prints each cell as String());
 * - src/notify-classroom.js: over runners with a truthy max_score, totalPoints += every
 *   tests[].score, maxPoints += max_score; notices `Points ${totalPoints}/${maxPoints}` and
 *   JSON.stringify({ totalPoints, maxPoints }) — the ones Classroom records;
 * - src/main.js: the job fails when a runner's status is "fail" or "error".
 */
function gradingReporter(runners: { runner: string; results: ClassroomPayload }[]) {
  const log: string[] = [];
  const rows = runners.map(({ runner, results }) => {
    const maxScore = results.max_score || 0;
    const passed = results.tests.reduce((acc, { status }) => (status === 'pass' ? acc + 1 : acc), 0);
    const testScore = (passed / results.tests.length) * maxScore;
    for (const t of results.tests) if (t.status === 'error') log.push(`Error: ${t.message || `Failed to run test '${t.name}'`}`);
    if (maxScore !== 0) log.push(`Total points for ${runner}: ${testScore.toFixed(2)}/${maxScore}`);
    return { runner, score: testScore, maxScore };
  });
  const table = [...rows.map((r) => [r.runner, String(r.score), String(r.maxScore)]), ['Total: ', `${rows.reduce((a, r) => a + r.score, 0)}`, `${rows.reduce((a, r) => a + r.maxScore, 0)}`]];
  const { totalPoints, maxPoints } = runners.reduce((acc, { results }) => {
    if (!results.max_score) return acc;
    acc.maxPoints += results.max_score;
    results.tests.forEach(({ score: s }) => { acc.totalPoints += s; });
    return acc;
  }, { totalPoints: 0, maxPoints: 0 });
  return {
    log,
    table,
    totalLines: rows.filter((r) => r.maxScore !== 0).map((r) => `${r.score.toFixed(2)}/${r.maxScore}`),
    notices: [`Points ${totalPoints}/${maxPoints}`, JSON.stringify({ totalPoints, maxPoints })],
    failed: runners.some((r) => r.results.status === 'fail' || r.results.status === 'error'),
  };
}

/** The grade as our other reporters print it. */
const grade = (results: Result[]) => {
  const s = Math.round(results.reduce((a, r) => a + r.score, 0) * 100) / 100;
  const m = Math.round(results.reduce((a, r) => a + r.maxScore, 0) * 100) / 100;
  return { s, m };
};

/** Asserts that every number the reporter prints for one runner is the grade; returns whether the table's cell was exact. */
function expectSameNumbers(results: Result[], runner = 'lab03'): boolean {
  const payload = classroomPayload(results);
  const { s, m } = grade(results);
  const out = gradingReporter([{ runner, results: payload }]);
  expect(out.notices).toEqual([`Points ${s}/${m}`, JSON.stringify({ totalPoints: s, maxPoints: m })]);
  expect(out.totalLines).toEqual([`${s.toFixed(2)}/${m}`]);
  expect(out.table[0]![2]).toBe(String(m));
  // (passed / n) × max in floating point: for a few ratios (7/25 × 25 = 7.000000000000001) the
  // product is one unit in the last place off, whatever the payload (p/n is the grade's ratio).
  const cell = Number(out.table[0]![1]);
  expect(Math.abs(cell - s)).toBeLessThan(1e-9);
  return out.table[0]![1] === String(s);
}

const partial = resultOf([
  check('builds', 'passed', 2, 2),
  check('label-version', 'failed', 0.5, 1, { expected: 'a label "version"', observed: 'labels: maintainer' }),
  check('non-root-user', 'failed', 0, 3, { location: { file: 'Dockerfile', line: 7 } }),
  check('http-ok', 'skipped', 0, 3, { message: 'not evaluated: prerequisite "stays-running" did not pass' }),
  check('logs', 'error', 0, 2, { message: 'could not be evaluated: engine went away' }),
  check('exec-form', 'passed', 1.25, 1.25),
]);

/** Each lab's cases (labs/lab-NN/tests/cases.json) as results: their failed and skipped checks get 0, the others full points. */
function fixtureResults(): Result[] {
  const out: Result[] = [];
  for (const lab of readdirSync(path.join(ROOT, 'labs')).filter((d) => /^lab-\d\d$/.test(d)).sort()) {
    const variantsFile = path.join(ROOT, 'labs', lab, 'tests', 'cases.json');
    if (!existsSync(variantsFile)) continue;
    const spec = JSON.parse(readFileSync(path.join(ROOT, 'labs', lab, 'lab.json'), 'utf8')) as { steps: { id: string; kind?: string; points?: number }[] };
    const variants = JSON.parse(readFileSync(variantsFile, 'utf8')) as { name: string; failed?: string[]; skipped?: string[] }[];
    for (const v of variants) {
      const checks = spec.steps.filter((st) => st.kind !== undefined && typeof st.points === 'number').map((st) => {
        const status = (v.failed ?? []).includes(st.id) ? 'failed' : (v.skipped ?? []).includes(st.id) ? 'skipped' : 'passed';
        return check(st.id, status, status === 'passed' ? st.points! : 0, st.points!);
      });
      out.push(resultOf(checks, { lab, title: v.name }));
    }
  }
  return out;
}

describe('classroom payload, read by the grading reporter\'s own arithmetic', () => {
  it('partial credit with unequal weights: the log\'s total, its table and the notices all give the grade (3.75/12.25)', () => {
    expect(expectSameNumbers([partial])).toBe(true);
    const payload = classroomPayload([partial]);
    // Units of 0.25 pt: 12.25 pt is 49 tests, 15 of them passed.
    expect(payload.tests).toHaveLength(49);
    expect(payload.tests.filter((t) => t.status === 'pass')).toHaveLength(15);
    expect(payload.status).toBe('error');
  });

  it('the old shape (one test per check) printed two different scores: the arithmetic does tell them apart', () => {
    const perCheck: ClassroomPayload = { version: 1, status: 'fail', max_score: 15, tests: [check('a', 'passed', 3, 3), check('b', 'passed', 3, 3), check('c', 'failed', 0, 9)].map((c) => ({ name: c.id, status: c.status === 'passed' ? 'pass' : 'fail', score: c.points, message: '', test_code: '', filename: '', line_no: 0, duration: 0 })) };
    const out = gradingReporter([{ runner: 'x', results: perCheck }]);
    expect(out.notices[0]).toBe('Points 6/15');
    expect(out.totalLines).toEqual(['10.00/15']);
  });

  it('every partial result of every lab\'s fixtures: the payload and the Points notice agree, and so do the log\'s lines', () => {
    const results = fixtureResults();
    expect(results.length).toBeGreaterThan(50);
    const partials = results.filter((r) => r.score < r.maxScore);
    expect(partials.length).toBeGreaterThan(20);
    const inexactCells = results.filter((r) => !expectSameNumbers([r])).map((r) => `${r.lab} ${r.title} ${r.score}/${r.maxScore}`);
    // Measured (2026-12): 139 fixture results, 101 partial; one cell off in the last digit (lab-09 15/22: 14.999999999999998).
    expect(inexactCells.length).toBeLessThanOrEqual(Math.ceil(results.length * 0.05));
  });

  it('fractional and noisy points: exact notices, a test in error says which check it is', () => {
    const noisy = resultOf([check('a', 'failed', 0.1 + 0.2, 0.7), check('b', 'passed', 0.1, 0.1), check('c', 'error', 0, 0.2, { message: 'engine went away' })]);
    expectSameNumbers([noisy]);
    const out = gradingReporter([{ runner: 'lab03', results: classroomPayload([noisy]) }]);
    expect(out.log.filter((l) => l.startsWith('Error: '))[0]).toMatch(/^Error: lab-03 › Title of c \[c\]: 0\/0\.2 pt — engine went away/);
    for (const line of out.log.filter((l) => l.startsWith('Error: '))) expect(line).toContain('Title of c [c]');
  });

  it('several gradings in one step give one runner whose numbers are their total', () => {
    const other = resultOf([check('x', 'passed', 2, 2), check('y', 'failed', 1, 4)], { lab: 'lab-04' });
    expectSameNumbers([partial, other]);
  });

  it('a multi-lab assignment (one runner per lab, as classroom.yml has): the notices are the total of all labs', () => {
    const a = resultOf([check('x', 'passed', 2, 2), check('y', 'failed', 1, 3)]);
    const b = resultOf([check('z', 'failed', 0.5, 2)], { lab: 'lab-04' });
    const out = gradingReporter([{ runner: 'lab03', results: classroomPayload([a]) }, { runner: 'lab04', results: classroomPayload([b]) }]);
    expect(out.notices[0]).toBe('Points 3.5/7');
    expect(out.table.at(-1)).toEqual(['Total: ', '3.5', '7']);
    expect(out.failed).toBe(true);
  });

  it('full marks pass, missing points fail, an error errs', () => {
    expect(classroomPayload([resultOf([check('a', 'passed', 2, 2)])]).status).toBe('pass');
    expect(gradingReporter([{ runner: 'r', results: classroomPayload([resultOf([check('a', 'passed', 2, 2)])]) }]).failed).toBe(false);
    expect(classroomPayload([resultOf([check('a', 'failed', 0, 2)])]).status).toBe('fail');
  });

  it('points in hundredths would need thousands of tests: one test per check instead, the notices still exact', () => {
    const fine = resultOf([check('a', 'failed', 3.37, 9.99), check('b', 'passed', 5.01, 5.01)]);
    const payload = classroomPayload([fine]);
    expect(payload.tests.length).toBeLessThanOrEqual(MAX_CLASSROOM_TESTS);
    expect(payload.tests).toHaveLength(2);
    expect(gradingReporter([{ runner: 'r', results: payload }]).notices[0]).toBe(`Points ${fine.score}/${fine.maxScore}`);
  });

  it('stays small enough for the environment variable the workflow passes it in, however long the messages', () => {
    const huge = resultOf(Array.from({ length: 40 }, (_, i) => check(`c${i}`, 'failed', 0, 3, { expected: 'x', observed: 'log line\n'.repeat(5000) })));
    const encoded = encodeClassroomResult(classroomPayload([huge]));
    expect(encoded.length).toBeLessThanOrEqual(MAX_ENCODED_BYTES);
    expectSameNumbers([huge]);
  });
});

describe('classroom reporter output', () => {
  const decode = (line: string) => JSON.parse(Buffer.from(line.replace(/^result=/, ''), 'base64').toString('utf8')) as ClassroomPayload;

  it('writes the `result` step output after what the step already wrote; the file and line of a check travel with its tests', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-classroom-'));
    try {
      const output = path.join(dir, 'github_output');
      writeFileSync(output, 'earlier=1\n');
      const reporters = openReporters(parseReporterArgs(['classroom']), { color: false, env: { GITHUB_OUTPUT: output }, stdout: new PassThrough() });
      await reporters.onResult(partial);
      await reporters.close();
      const lines = readFileSync(output, 'utf8').trim().split('\n');
      expect(lines[0]).toBe('earlier=1');
      const payload = decode(lines[1]!);
      expect(payload).toMatchObject({ version: 1, status: 'error', max_score: 12.25 });
      expect(payload.tests.filter((t) => t.name.includes('[non-root-user]')).every((t) => t.filename === 'Dockerfile' && t.line_no === 7)).toBe(true);
      expect(gradingReporter([{ runner: 'dockerlab', results: payload }]).notices[0]).toBe('Points 3.75/12.25');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('several gradings of one step, each in its own process, sharing DOCKERLAB_CLASSROOM_RESULTS: the last `result` is the total of every lab, a lab graded again counted once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-classroom-'));
    try {
      const env = { GITHUB_OUTPUT: path.join(dir, 'github_output'), DOCKERLAB_CLASSROOM_RESULTS: path.join(dir, 'results.jsonl') };
      const lab03 = resultOf([check('a', 'passed', 2, 2), check('b', 'failed', 1, 3)]);
      const lab04 = resultOf([check('c', 'failed', 0.5, 2)], { lab: 'lab-04' });
      for (const result of [lab03, lab04, { ...lab03, checks: [check('a', 'passed', 2, 2), check('b', 'passed', 3, 3)], score: 5 }]) {
        // A new reporter each time, as each grade-lab.sh is a new process.
        const reporters = openReporters(parseReporterArgs(['classroom']), { color: false, env, stdout: new PassThrough() });
        await reporters.onResult(result);
        await reporters.close();
      }
      const last = readFileSync(env.GITHUB_OUTPUT, 'utf8').trim().split('\n').pop()!;
      const out = gradingReporter([{ runner: 'dockerlab', results: decode(last) }]);
      expect(out.notices[0]).toBe('Points 5.5/7');
      expect(out.totalLines).toEqual(['5.50/7']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('says what to do outside GitHub Actions', () => {
    expect(() => openReporters(parseReporterArgs(['classroom']), { color: false, env: {}, stdout: new PassThrough() })).toThrow(/GITHUB_OUTPUT.*--reporter classroom=FILE/);
  });
});
