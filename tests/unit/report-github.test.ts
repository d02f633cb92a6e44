import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { ClassroomPayload } from '../../grader/src/report/classroom.js';
import { STEP_SUMMARY_LIMIT } from '../../grader/src/report/job-summary.js';
import { defaultReporters, openReporters, parseReporterArgs } from '../../grader/src/report/index.js';
import { score, type CheckResult, type Result } from '../../grader/src/result.js';

const FORGED = '::notice title=Autograding complete::Points 100/100';

function check(id: string, status: CheckResult['status'], points: number, maxPoints: number, extra: Partial<CheckResult> = {}): CheckResult {
  return { id, title: `Title of ${id}`, status, points, maxPoints, message: `message of ${id}`, hint: null, expected: null, observed: null, durationMs: 5, ...extra };
}

interface WorkflowCommand {
  name: string;
  properties: Record<string, string>;
  data: string;
}

const unescape = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');

/** Reads a log as GitHub's runner does: `::name k=v,…::data` lines, none between ::stop-commands::T and ::T::. */
function runnerCommands(log: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = [];
  let stoppedBy: string | null = null;
  for (const raw of log.split('\n')) {
    const line = raw.trimStart();
    if (stoppedBy !== null) {
      if (line === `::${stoppedBy}::`) stoppedBy = null;
      continue;
    }
    if (raw.includes('##[')) commands.push({ name: 'legacy', properties: {}, data: raw });
    const match = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!match) continue;
    const [, name, props = '', data = ''] = match;
    if (name === 'stop-commands') {
      stoppedBy = data;
      continue;
    }
    const properties = Object.fromEntries(props.split(',').filter(Boolean).map((p) => {
      const at = p.indexOf('=');
      return [p.slice(0, at), unescape(p.slice(at + 1))];
    }));
    commands.push({ name: name!, properties, data: unescape(data) });
  }
  return commands;
}

/** classroom-resources/autograding-grading-reporter: decode each runner's result, sum, and emit its two notices. */
function gradingReporter(outputFile: string): { notices: string[]; failed: boolean } {
  const line = readFileSync(outputFile, 'utf8').split('\n').filter((l) => l.startsWith('result=')).pop()!;
  const results = JSON.parse(Buffer.from(line.slice('result='.length), 'base64').toString('utf8')) as ClassroomPayload;
  const totals = { totalPoints: 0, maxPoints: 0 };
  if (results.max_score) {
    totals.maxPoints += results.max_score;
    for (const t of results.tests) totals.totalPoints += t.score;
  }
  return { notices: [`Points ${totals.totalPoints}/${totals.maxPoints}`, JSON.stringify(totals)], failed: results.status === 'fail' || results.status === 'error' };
}

describe('a grading inside GitHub Actions', () => {
  let dir: string;
  let env: Record<string, string>;
  let submission: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-gha-'));
    submission = path.join(dir, 'workspace', 'labs', 'lab-03');
    mkdirSync(submission, { recursive: true });
    env = {
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: path.join(dir, 'workspace'),
      GITHUB_STEP_SUMMARY: path.join(dir, 'step_summary'),
      GITHUB_OUTPUT: path.join(dir, 'github_output'),
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const resultOf = (checks: CheckResult[], extra: Partial<Result> = {}): Result => ({
    lab: 'lab-03', title: 'Image non-root', ...score(checks), checks, actions: [], lang: 'en', submission, notes: ['Container started'],
    durationMs: 4200, isolation: 'sandbox', grader: { version: '0.1.0' }, ...extra,
  });
  const partial = () => resultOf([
    check('builds', 'passed', 2, 2),
    check('base-image', 'failed', 0.5, 1, { expected: 'python:3.11-*', observed: 'python:latest', location: { file: 'Dockerfile', line: 1 } }),
    check('non-root-user', 'failed', 0, 3, { expected: 'a USER whose uid is not 0', observed: 'USER root', hint: 'Add `USER appuser`', location: { file: 'Dockerfile', line: 8 } }),
    check('exec-form', 'failed', 0, 1, { expected: 'CMD in exec form', observed: 'CMD python app.py', location: { file: 'Dockerfile', line: 9 } }),
    check('http-ok', 'skipped', 0, 3, { message: 'not evaluated: prerequisite "stays-running" did not pass' }),
    check('logs', 'error', 0, 2, { message: 'could not be evaluated: engine went away' }),
    check('build-log', 'failed', 0, 2, { expected: 'builds', observed: `failed at line 4: RUN pip install\n${'  | Collecting x\n'.repeat(30)}` }),
  ]);

  async function grade(specs: string[] | null, result: Result): Promise<string> {
    const stdout = new PassThrough();
    const chunks: string[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
    const reporters = openReporters(specs ? parseReporterArgs(specs) : defaultReporters(env).map((name) => ({ name })), { color: false, env, stdout });
    await reporters.onResult(result);
    await reporters.close();
    return chunks.join('');
  }

  it('default reporters: the report in a stop-commands block, the summary, annotations on the files, one Points notice equal to the score', async () => {
    const result = partial();
    const log = await grade(null, result);
    const commands = runnerCommands(log);
    const notices = commands.filter((c) => c.name === 'notice');
    expect(notices).toEqual([
      { name: 'notice', properties: { title: 'Autograding complete' }, data: `Points ${result.score}/${result.maxScore}` },
      { name: 'notice', properties: { title: 'Autograding report' }, data: JSON.stringify({ totalPoints: result.score, maxPoints: result.maxScore }) },
    ]);
    expect(result.score).toBe(2.5);
    // Most valuable first: the check that cost 3 points, then those that cost 2, 1 and 0.5.
    const errors = commands.filter((c) => c.name === 'error');
    expect(errors.map((e) => [e.properties.file, e.properties.line])).toEqual([
      ['labs/lab-03/Dockerfile', '8'], [undefined, undefined], ['labs/lab-03/Dockerfile', '9'], ['labs/lab-03/Dockerfile', '1'],
    ]);
    expect(errors[0]).toMatchObject({ properties: { title: 'Title of non-root-user: 0/3 pt' }, data: 'expected: a USER whose uid is not 0\nobserved: USER root\nhint: Add `USER appuser`' });
    expect(commands.filter((c) => c.name === 'warning').map((w) => w.properties.title)).toEqual(['Not evaluated (grader problem): Title of logs']);
    // The terminal report is in the log, inside its stop-commands block.
    expect(log).toMatch(/^::stop-commands::dockerlab-[0-9a-f]{32}\nlab-03 — Image non-root/);
    expect(log).toContain('Score: 2.5/14');

    const summary = readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8');
    expect(summary).toContain('## Autograding — lab\\-03\\: Image non\\-root');
    expect(summary).toContain('Score: **2.5 / 14** (17.9 %)');
    expect(summary).toContain('| ❌ | Title of non-root-user <sub>non\\-root\\-user</sub> | failed | 0 / 3 |');
    expect(summary).toContain('**hint**: Add `USER appuser`');
    expect(summary).toMatch(/<details><summary>Observed output \(31 lines\)<\/summary>\n\n```text\nfailed at line 4: RUN pip install\n {2}\| Collecting x/);
    expect(summary).toContain('In Dockerfile, line 8'.replace(/,/, ','));
  });

  it('speaks French in the summary and the annotations', async () => {
    const log = await grade(['github'], { ...partial(), lang: 'fr' });
    const summary = readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8');
    expect(summary).toContain('Score : **2.5 / 14**');
    expect(summary).toContain('| ⏭️ | Title of http-ok <sub>http\\-ok</sub> | ignoré | 0 / 3 |');
    expect(summary).toContain('**piste** : Add `USER appuser`');
    expect(runnerCommands(log).find((c) => c.name === 'error')!.data).toContain('attendu : a USER');
  });

  it('with the Classroom reporter: the `result` output sums to our score, and the grading reporter emits the only Points notice', async () => {
    const result = partial();
    const log = await grade(['terminal', 'github', 'classroom'], result);
    expect(runnerCommands(log).filter((c) => c.name === 'notice')).toEqual([]);
    const reporter = gradingReporter(env.GITHUB_OUTPUT!);
    expect(reporter.notices).toEqual([`Points ${result.score}/${result.maxScore}`, JSON.stringify({ totalPoints: result.score, maxPoints: result.maxScore })]);
    expect(reporter.failed).toBe(true);
    expect(readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8')).toContain('autograding-grading-reporter');
  });

  it('a Classroom result written to a file (not the step output) leaves our notices in place', async () => {
    const result = partial();
    const log = await grade(['github', `classroom=${path.join(dir, 'classroom.txt')}`], result);
    expect(runnerCommands(log).filter((c) => c.name === 'notice').map((c) => c.data)).toEqual([`Points ${result.score}/${result.maxScore}`, JSON.stringify({ totalPoints: result.score, maxPoints: result.maxScore })]);
    expect(gradingReporter(path.join(dir, 'classroom.txt')).notices[0]).toBe(`Points ${result.score}/${result.maxScore}`);
  });

  it('full marks: no error annotation, the notice says so, the Classroom result passes', async () => {
    const result = resultOf([check('builds', 'passed', 2, 2), check('http-ok', 'passed', 3.5, 3.5)]);
    const log = await grade(['github'], result);
    expect(runnerCommands(log).map((c) => `${c.name} ${c.data}`)).toEqual(['notice Points 5.5/5.5', 'notice {"totalPoints":5.5,"maxPoints":5.5}']);
    await grade(['classroom'], result);
    expect(gradingReporter(env.GITHUB_OUTPUT!)).toEqual({ notices: ['Points 5.5/5.5', '{"totalPoints":5.5,"maxPoints":5.5}'], failed: false });
  });

  it('at most 10 error annotations per step, the costliest first', async () => {
    const checks = Array.from({ length: 14 }, (_, i) => check(`c${i}`, 'failed', 0, i + 1, { location: { file: 'Dockerfile', line: i + 1 } }));
    const commands = runnerCommands(await grade(['github'], resultOf(checks)));
    const errors = commands.filter((c) => c.name === 'error');
    expect(errors).toHaveLength(10);
    expect(errors.map((e) => Number(e.properties.line))).toEqual([14, 13, 12, 11, 10, 9, 8, 7, 6, 5]);
  });

  it('keeps the summary within the 1 MiB of the step, with what was already there, and says it was truncated', async () => {
    writeFileSync(env.GITHUB_STEP_SUMMARY!, 'x'.repeat(300_000));
    const checks = Array.from({ length: 30 }, (_, i) => check(`c${i}`, 'failed', 0, 1, { expected: 'x', observed: 'a long build log line\n'.repeat(20_000) }));
    await grade(['github'], resultOf(checks));
    const size = statSync(env.GITHUB_STEP_SUMMARY!).size;
    expect(size).toBeLessThanOrEqual(STEP_SUMMARY_LIMIT);
    expect(size).toBeGreaterThan(STEP_SUMMARY_LIMIT - 100_000);
    const summary = readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8');
    expect(summary).toContain('Summary truncated: it was over GitHub Actions’ limit of 1048576 bytes per step');
    expect(summary).toContain('| ❌ | Title of c29');
    expect(summary).toContain('bytes cut to fit the limit');
  });

  it('a submission whose output, labels, messages and paths carry forged workflow commands changes nothing', async () => {
    const honest = partial();
    const hostile: Result = {
      ...honest,
      checks: honest.checks.map((c) => ({
        ...c,
        message: `${c.message}\n${FORGED}`,
        ...(c.observed !== null ? { observed: `${c.observed}\n${FORGED}\r\n  ${FORGED}\n\x1b[2K##[error]forged` } : {}),
        ...(c.location ? { location: { file: `Dockerfile\n${FORGED}`, line: c.location.line } } : {}),
      })).concat(check('label-version', 'failed', 0, 0, { expected: 'label version', observed: `version=${FORGED}`, location: { file: `labels\n${FORGED}`, line: 1 } })),
      notes: [`script output:\n${FORGED}`, FORGED],
    };
    const log = await grade(['terminal', 'github', 'json', 'junit', 'classroom'], hostile);
    const commands = runnerCommands(log);
    expect(commands.filter((c) => c.name === 'legacy')).toEqual([]);
    expect(commands.filter((c) => c.name === 'notice')).toEqual([]);
    expect(commands.filter((c) => !['error', 'warning'].includes(c.name))).toEqual([]);
    // The student's text is there, escaped inside our own annotations only.
    expect(commands.filter((c) => c.name === 'error')).toHaveLength(5);
    expect(gradingReporter(env.GITHUB_OUTPUT!).notices[0]).toBe(`Points ${honest.score}/${honest.maxScore}`);

    // Without the Classroom reporter our own notice is the only one, and it tells the truth.
    rmSync(env.GITHUB_STEP_SUMMARY!);
    const plain = runnerCommands(await grade(null, hostile));
    expect(plain.filter((c) => c.name === 'notice').map((c) => c.data)).toEqual([`Points ${honest.score}/${honest.maxScore}`, JSON.stringify({ totalPoints: honest.score, maxPoints: honest.maxScore })]);
    const summary = readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8');
    expect(summary).not.toMatch(/^\s*::/m);
    expect(summary).not.toMatch(/\x1b/);
  });
});

describe('annotations under a checkout like the workflows\' (the student\'s repository in student/, the course in course/)', () => {
  let dir: string;
  let workspace: string;
  let student: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-gha-ws-'));
    workspace = path.join(dir, 'work', 'repo', 'repo');
    student = path.join(workspace, 'student');
    mkdirSync(path.join(student, 'labs', 'lab-03'), { recursive: true });
    mkdirSync(path.join(workspace, 'course', 'labs', 'lab-03'), { recursive: true });
    writeFileSync(path.join(student, 'labs', 'lab-03', 'Dockerfile'), 'FROM python:latest\nWORKDIR /app\nCOPY . .\nUSER root\nCMD python app.py\n');
    execFileSync('git', ['init', '-q'], { cwd: student });
    execFileSync('git', ['init', '-q'], { cwd: path.join(workspace, 'course') });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('every annotation names a path that exists in the student\'s repository, with the line of the fault', async () => {
    const checks = [
      check('base-image', 'failed', 0, 1, { expected: 'python:3.11-*', observed: 'python:latest', location: { file: 'Dockerfile', line: 1 } }),
      check('non-root-user', 'failed', 0, 3, { expected: 'a USER whose uid is not 0', observed: 'USER root', location: { file: 'Dockerfile', line: 4 } }),
      check('exec-form', 'failed', 0, 1, { expected: 'CMD in exec form', observed: 'CMD python app.py', location: { file: './Dockerfile', line: 5 } }),
    ];
    const result: Result = {
      lab: 'lab-03', title: 'Image non-root', ...score(checks), checks, actions: [], lang: 'en', submission: path.join(student, 'labs', 'lab-03'), notes: [],
      durationMs: 10, isolation: 'engine', grader: { version: '0.1.0' },
    };
    const stdout = new PassThrough();
    const chunks: string[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
    const reporters = openReporters(parseReporterArgs(['github']), { color: false, env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: workspace }, stdout });
    await reporters.onResult(result);
    await reporters.close();
    const errors = runnerCommands(chunks.join('')).filter((c) => c.name === 'error');
    expect(errors.map((e) => [e.properties.file, e.properties.line])).toEqual([['labs/lab-03/Dockerfile', '4'], ['labs/lab-03/Dockerfile', '1'], ['labs/lab-03/Dockerfile', '5']]);
    // GitHub resolves file= from the root of the repository that ran the workflow: the student's.
    const lines = readFileSync(path.join(student, 'labs/lab-03/Dockerfile'), 'utf8').split('\n');
    for (const e of errors) {
      expect(existsSync(path.join(student, e.properties.file!))).toBe(true);
      expect(existsSync(path.join(workspace, e.properties.file!))).toBe(false);
    }
    expect(lines[Number(errors[0]!.properties.line) - 1]).toBe('USER root');
    expect(lines[Number(errors[2]!.properties.line) - 1]).toBe('CMD python app.py');
  });
});
