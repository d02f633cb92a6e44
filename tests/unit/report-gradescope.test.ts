import { spawnSync } from 'node:child_process';
import { jest } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { gradescopeRefusal, gradescopeResults } from '../../grader/src/report/gradescope.js';
import { openReporters, parseReporterArgs } from '../../grader/src/report/index.js';
import { score, type CheckResult, type Result } from '../../grader/src/result.js';
import { ROOT } from '../helpers/submissions.js';

function check(id: string, status: CheckResult['status'], points: number, maxPoints: number, extra: Partial<CheckResult> = {}): CheckResult {
  return { id, title: `Title of ${id}`, status, points, maxPoints, message: `message of ${id}`, hint: null, expected: null, observed: null, durationMs: 5, ...extra };
}
const resultOf = (checks: CheckResult[], extra: Partial<Result> = {}): Result => ({
  lab: 'lab-03', title: 'Image non-root', ...score(checks), checks, actions: [], lang: 'en', submission: '/tmp/sub', notes: [],
  durationMs: 4200, isolation: 'engine', grader: { version: '0.1.0' }, ...extra,
});
const graded = resultOf([check('builds', 'passed', 2, 2), check('user', 'failed', 0, 3), check('http', 'skipped', 0, 3)]);
const withError = resultOf([check('builds', 'passed', 2, 2), check('logs', 'error', 0, 2, { message: 'could not be evaluated: engine went away' })]);

/**
 * What Gradescope does with results.json (gradescope/autograder_samples, docs/specs.md and
 * docs/troubleshooting.md): no file, or a file that is not valid JSON, is "The autograder
 * failed to execute correctly"; otherwise the top-level score (when present) overrides the
 * sum of the tests' scores.
 */
function gradescopeReads(file: string): { failed: true } | { failed: false; score: number } {
  if (!existsSync(file)) return { failed: true };
  let parsed: { score?: number; tests?: { score?: number }[] };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch {
    return { failed: true };
  }
  return { failed: false, score: parsed.score ?? (parsed.tests ?? []).reduce((s, t) => s + (t.score ?? 0), 0) };
}

describe('gradescope reporter: a check that could not be evaluated is no grade', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-gs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (results: Result[], file: string) => {
    const reporters = openReporters(parseReporterArgs([`gradescope=${file}`]), { color: false, env: {}, stdout: new PassThrough() });
    for (const result of results) await reporters.onResult(result);
    await reporters.close();
  };

  it('a grading with a failed and a skipped check is a grade: its score, every check a test', async () => {
    const file = path.join(dir, 'results.json');
    await run([graded], file);
    expect(gradescopeReads(file)).toEqual({ failed: false, score: 2 });
    expect(gradescopeRefusal(graded)).toBeNull();
  });

  it('a grading with an error check writes no file, and removes an old one, so Gradescope says the autograder failed instead of recording lost points', async () => {
    const file = path.join(dir, 'results.json');
    writeFileSync(file, JSON.stringify({ score: 0, tests: [] }));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await run([withError], file);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/no results\.json written.*logs \(could not be evaluated: engine went away\)/);
    } finally {
      stderr.mockRestore();
    }
    expect(gradescopeReads(file)).toEqual({ failed: true });
    expect(gradescopeRefusal(withError)).toContain('1 check(s) of lab-03 could not be evaluated');
  });

  it('a missing deliverable is the student\'s: a grade with the reason, not a failure', async () => {
    const file = path.join(dir, 'results.json');
    const missing = resultOf([check('builds', 'failed', 0, 2, { message: 'no Dockerfile' }), check('user', 'skipped', 0, 3)], { ungradable: { reason: 'no Dockerfile in the submission' } });
    await run([missing], file);
    expect(gradescopeReads(file)).toEqual({ failed: false, score: 0 });
    expect(gradescopeResults(missing).tests[0]!.output).toContain('no Dockerfile');
  });
});

describe('integrations/gradescope/run_autograder', () => {
  const script = path.join(ROOT, 'integrations/gradescope/run_autograder');
  let dir: string;
  let root: string;
  let bin: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-gsrun-'));
    root = path.join(dir, 'autograder');
    bin = path.join(dir, 'bin');
    mkdirSync(path.join(root, 'source'), { recursive: true });
    mkdirSync(path.join(root, 'submission'), { recursive: true });
    mkdirSync(bin);
    writeFileSync(path.join(root, 'submission', 'Dockerfile'), 'FROM python:3.11-slim\n');
    writeFileSync(path.join(root, 'source', 'config.env'), 'LAB=lab-03\nDOCKER_HOST=tcp://127.0.0.1:9\nLANG_REPORT=en\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A `dockerlab` on PATH: the real grader, or a stand-in that plays one grading per call from a list. */
  const dockerlab = (body: string) => {
    writeFileSync(path.join(bin, 'dockerlab'), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(path.join(bin, 'dockerlab'), 0o755);
  };
  const calls = () => (existsSync(path.join(dir, 'calls')) ? readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n').length : 0);
  /** Each call appends to `calls`; call N runs the N-th case of `plays` (the last one repeats). */
  const playing = (...plays: string[]) => dockerlab([
    `echo x >> ${dir}/calls`,
    `n=$(wc -l < ${dir}/calls)`,
    'results=${@: -1}; results=${results#gradescope=}',
    'case $n in',
    ...plays.map((play, i) => `  ${i === plays.length - 1 ? '*' : String(i + 1)}) ${play} ;;`),
    'esac',
  ].join('\n'));
  const run = () => spawnSync('bash', [script], {
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, DOCKERLAB_AUTOGRADER_ROOT: root, DOCKERLAB_RETRY_DELAY: '0' },
  });
  const results = () => path.join(root, 'results', 'results.json');
  const GRADE = `echo '{"score": 2, "tests": [{"score": 2, "max_score": 5, "name": "builds"}]}' > "$results"; exit 1`;

  it('a grading (exit 1, results.json written) is recorded as it is, exit 0, one run', () => {
    playing(GRADE);
    const out = run();
    expect(out.status).toBe(0);
    expect(gradescopeReads(results())).toEqual({ failed: false, score: 2 });
    expect(calls()).toBe(1);
  });

  it('no engine (the real grader against an engine that does not answer): no results.json after one retry, non-zero exit, the reason on the log', () => {
    const cli = path.join(ROOT, 'grader/dist/cli.js');
    expect(existsSync(cli)).toBe(true);
    dockerlab(`echo x >> ${dir}/calls; exec node ${cli} "$@"`);
    const out = run();
    expect(out.status).toBe(3);
    expect(gradescopeReads(results())).toEqual({ failed: true });
    expect(calls()).toBe(2);
    expect(out.stdout + out.stderr).toMatch(/No Docker engine answers at DOCKER_HOST=tcp:\/\/127\.0\.0\.1:9/);
    expect(out.stderr).toMatch(/no grade recorded for this submission: the grader failed with exit code 3/);
    expect(out.stdout + out.stderr).not.toContain('"score"');
  });

  it('a check that could not be evaluated (exit 1, no file), then a full grading on the retry: the retry\'s grade', () => {
    playing('exit 1', GRADE);
    const out = run();
    expect(out.status).toBe(0);
    expect(calls()).toBe(2);
    expect(gradescopeReads(results())).toEqual({ failed: false, score: 2 });
  });

  it('twice a check that could not be evaluated: Gradescope shows the autograder failed, never a 0', () => {
    playing('exit 1');
    const out = run();
    expect(out.status).toBe(1);
    expect(calls()).toBe(2);
    expect(gradescopeReads(results())).toEqual({ failed: true });
    expect(out.stderr).toContain('a check could not be evaluated');
  });

  it('a stale or half-written results.json from a failed run never survives', () => {
    playing('echo \'{"score": 0\' > "$results"; exit 3');
    const out = run();
    expect(out.status).toBe(3);
    expect(existsSync(results())).toBe(false);
  });

  it('a usage error (exit 2) is not retried; a config without DOCKER_HOST fails before grading', () => {
    playing('exit 2');
    expect(run().status).toBe(2);
    expect(calls()).toBe(1);
    writeFileSync(path.join(root, 'source', 'config.env'), 'LAB=lab-03\n');
    const out = run();
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('config.env must set DOCKER_HOST');
    expect(calls()).toBe(1);
  });
});
