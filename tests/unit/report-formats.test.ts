import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { classroomPayload, type ClassroomPayload } from '../../grader/src/report/classroom.js';
import { gradescopeResults } from '../../grader/src/report/gradescope.js';
import { defaultReporters, openReporters, parseReporterArgs, REPORTERS } from '../../grader/src/report/index.js';
import { renderJunit } from '../../grader/src/report/junit.js';
import { PRAIRIELEARN_LIMIT, prairieLearnResults } from '../../grader/src/report/prairielearn.js';
import { renderTerminal } from '../../grader/src/report/terminal.js';
import { score, type ActionResult, type CheckResult, type Result } from '../../grader/src/result.js';
import { ROOT } from '../helpers/submissions.js';

function check(id: string, status: CheckResult['status'], points: number, maxPoints: number, extra: Partial<CheckResult> = {}): CheckResult {
  return { id, title: `Title of ${id}`, status, points, maxPoints, message: `message of ${id}`, hint: null, expected: null, observed: null, durationMs: 1200, ...extra };
}

function resultOf(checks: CheckResult[], extra: Partial<Result> = {}): Result {
  return {
    lab: 'lab-03', title: 'Image non-root', ...score(checks), checks, actions: [], lang: 'en', submission: '/tmp/sub', notes: ['Container started'],
    durationMs: 12_345, isolation: 'engine', grader: { version: '0.1.0' }, ...extra,
  };
}

const partial = resultOf([
  check('builds', 'passed', 2, 2, { expected: '`docker build` succeeds', observed: 'image built in 3.1 s' }),
  check('label-version', 'failed', 0.5, 1, { expected: 'a label "version"', observed: 'labels: maintainer' }),
  check('non-root-user', 'failed', 0, 3, { expected: 'a USER whose uid is not 0', observed: 'USER "appuser" → uid 0\n(second line)', hint: 'Create a user', location: { file: 'Dockerfile', line: 7 } }),
  check('http-ok', 'skipped', 0, 3, { message: 'not evaluated: prerequisite "stays-running" did not pass' }),
  check('logs', 'error', 0, 2, { message: 'could not be evaluated: engine went away' }),
  check('exec-form', 'passed', 1.25, 1.25),
]);
const fullMarks = resultOf([check('builds', 'passed', 2, 2), check('http-ok', 'passed', 3, 3)], { notes: [] });
const withActions = resultOf([check('builds', 'passed', 2, 2), check('cache', 'failed', 0, 2)], {
  actions: [
    { id: 'rebuild', action: 'rebuild', title: 'Rebuild after editing app.py', status: 'done', message: 'rebuilt in 1.2 s', durationMs: 1200, after: 'builds' },
    { id: 'restart', action: 'restart', title: 'Start a fresh container', status: 'error', message: 'engine went away', durationMs: 10, after: 'cache' },
  ] satisfies ActionResult[],
});

describe('terminal reporter (same output as the function it replaces)', () => {
  const text = renderTerminal(partial, { color: false });
  it('lists every check with its mark and points', () => {
    expect(text).toContain('✓       2/2  Title of builds [builds]');
    expect(text).toContain('✗     0.5/1  Title of label-version [label-version]');
    expect(text).toContain('✗       0/3  Title of non-root-user [non-root-user]');
    expect(text).toContain('–       0/3  Title of http-ok');
    expect(text).toContain('!       0/2  Title of logs');
    expect(text).toContain('✓ 1.25/1.25  Title of exec-form');
  });
  it('says what was expected, what was observed (all lines) and the hint', () => {
    expect(text).toMatch(/expected: a USER whose uid is not 0\n\s+observed: USER "appuser" → uid 0\n\s+\(second line\)\n\s+hint: Create a user/);
  });
  it('ends with the fractional score', () => {
    expect(text.trim().split('\n').pop()).toBe('Score: 3.75/12.25  4 check(s) to look at.');
  });
  it('speaks French', () => {
    const fr = renderTerminal({ ...partial, lang: 'fr' }, { color: false });
    expect(fr).toContain('attendu : a USER');
    expect(fr).toContain('piste : Create a user');
    expect(fr).toMatch(/^Score : 3.75\/12.25/m);
  });
  it('shows actions after the check they follow', () => {
    const lines = renderTerminal(withActions, { color: false }).split('\n');
    const at = (s: string) => lines.findIndex((l) => l.includes(s));
    expect(at('Rebuild after editing app.py')).toBe(at('[builds]') + 1);
    expect(at('Start a fresh container')).toBeGreaterThan(at('[cache]'));
    expect(lines[at('Start a fresh container') + 1]).toContain('engine went away');
  });
  it('colours only when asked, and never colours a file', async () => {
    expect(text).not.toMatch(/\x1b\[/);
    expect(renderTerminal(partial, { color: true })).toMatch(/\x1b\[32m✓/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-term-'));
    try {
      const file = path.join(dir, 'report.txt');
      const reporters = openReporters([{ name: 'terminal', destination: { kind: 'file', path: file } }], { color: true, env: {}, stdout: new PassThrough() });
      await reporters.onResult(partial);
      await reporters.close();
      expect(readFileSync(file, 'utf8')).toBe(text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('strips escapes that a build log carries', () => {
    const hostile = resultOf([check('builds', 'failed', 0, 2, { expected: 'builds', observed: 'step 3\n\x1b[2J\x1b[31mERROR\x1b[0m\rforged ✓ 2/2' })]);
    const out = renderTerminal(hostile, { color: false });
    expect(out).not.toMatch(/[\x1b\r]/);
    expect(out).toContain('ERROR');
  });
});

describe('json reporter', () => {
  it('prints the result contract', async () => {
    const stdout = new PassThrough();
    const chunks: string[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
    const reporters = openReporters(parseReporterArgs(['json']), { color: false, env: {}, stdout });
    await reporters.onResult(partial);
    await reporters.close();
    const parsed = JSON.parse(chunks.join('')) as Result;
    expect(parsed).toMatchObject({ lab: 'lab-03', score: 3.75, maxScore: 12.25 });
    for (const c of parsed.checks) for (const field of ['id', 'title', 'status', 'points', 'maxPoints', 'message', 'hint']) expect(c).toHaveProperty(field);
  });
});

describe('junit reporter', () => {
  const xmllint = spawnSync('xmllint', ['--version']).status === 0;
  const schemas = [
    path.join(ROOT, 'tests/fixtures/junit/dockerlab-junit.xsd'),
    ...[path.join(ROOT, 'tests/fixtures/junit/jenkins-xunit-junit-10.xsd'), process.env.DOCKERLAB_JENKINS_JUNIT_XSD].filter((f): f is string => !!f && existsSync(f)),
  ];
  const validate = (xml: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-junit-'));
    try {
      const file = path.join(dir, 'junit.xml');
      writeFileSync(file, xml);
      for (const schema of schemas) {
        const run = spawnSync('xmllint', ['--noout', '--schema', schema, file], { encoding: 'utf8' });
        expect(`${path.basename(schema)}: ${run.stderr.trim()}`).toBe(`${path.basename(schema)}: ${file} validates`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const hostile = resultOf([check('builds', 'failed', 0, 2, { expected: '<ok/>', observed: ']]></failure><testcase name="forged"/>\x00\x1b[31m\ud800 & "quotes"', location: { file: 'Docker\nfile', line: 3 } })]);

  (xmllint ? it : it.skip)(`validates with xmllint against ${schemas.map((s) => path.basename(s)).join(' and ')}: full marks, partial credit, skipped, error, several labs, hostile text`, () => {
    for (const results of [[fullMarks], [partial], [partial, { ...fullMarks, lab: 'lab-04' }], [hostile], [], [{ ...partial, lang: 'fr' as const }]]) validate(renderJunit(results));
  });
  (xmllint ? it : it.skip)('the schemas do reject a suite without its counts', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-junit-'));
    try {
      const file = path.join(dir, 'bad.xml');
      writeFileSync(file, renderJunit([partial]).replace(/ failures="\d+"/g, ''));
      for (const schema of schemas) expect(spawnSync('xmllint', ['--noout', '--schema', schema, file]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  if (!xmllint) it('needs xmllint (Debian: apt-get install libxml2-utils) to validate the XML: skipped', () => undefined);

  it('has counts on every suite, points in properties, and the outcome of each check', () => {
    const xml = renderJunit([partial]);
    expect(xml).toMatch(/<testsuites name="dockerlab" tests="6" failures="2" errors="1" time="12.345">/);
    expect(xml).toMatch(/<testsuite name="lab-03 — Image non-root" tests="6" failures="2" errors="1" skipped="1" time="12.345" timestamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"/);
    expect(xml).toContain('<property name="score" value="3.75"/>');
    expect(xml).toContain('<property name="points.label-version" value="0.5"/>');
    expect(xml).toContain('<failure message="0/3 pt — message of non-root-user" type="failed">Dockerfile:7\nexpected: a USER whose uid is not 0');
    expect(xml).toContain('<skipped message="not evaluated: prerequisite &quot;stays-running&quot; did not pass"/>');
    expect(xml).toContain('<error message="0/2 pt — could not be evaluated: engine went away" type="error">');
  });
  it('student text cannot add elements', () => {
    const xml = renderJunit([hostile]);
    expect(xml.match(/<testcase /g)).toHaveLength(1);
    expect(xml).not.toMatch(/[\x00\x1b]/);
  });
  it('writes to a file named by --reporter junit=FILE, rewritten after each grading', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-junit-'));
    try {
      const file = path.join(dir, 'reports', 'junit.xml');
      const reporters = openReporters(parseReporterArgs([`junit=${file}`]), { color: false, env: {}, stdout: new PassThrough() });
      await reporters.onResult(partial);
      await reporters.onResult({ ...fullMarks, lab: 'lab-04' });
      await reporters.close();
      expect(readFileSync(file, 'utf8').match(/<testsuite /g)).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('gradescope reporter', () => {
  const results = gradescopeResults(partial);
  it('has a test per check with its points, passed or failed only, Markdown output', () => {
    expect(results.score).toBe(3.75);
    expect(results.output_format).toBe('md');
    expect(results.tests.map((t) => [t.name, t.status, t.score, t.max_score])).toEqual([
      ['Title of builds [builds]', 'passed', 2, 2],
      ['Title of label-version [label-version]', 'failed', 0.5, 1],
      ['Title of non-root-user [non-root-user]', 'failed', 0, 3],
      ['Title of http-ok [http-ok]', 'failed', 0, 3],
      ['Title of logs [logs]', 'failed', 0, 2],
      ['Title of exec-form [exec-form]', 'passed', 1.25, 1.25],
    ]);
    expect(results.tests.every((t) => t.output_format === 'md')).toBe(true);
    expect(results.tests.reduce((s, t) => s + t.score, 0)).toBe(results.score);
  });
  it('explains skipped and error checks in their output', () => {
    // Markdown-escaped: it renders as "Not evaluated: not evaluated: prerequisite…".
    expect(results.tests[3]!.output).toContain('Not evaluated\\: not evaluated\\: prerequisite');
    expect(results.tests[4]!.output).toContain('grader problem');
    expect(results.tests[4]!.output).toContain('engine went away');
    expect(gradescopeResults({ ...partial, lang: 'fr' }).tests[4]!.output).toContain('problème du correcteur');
  });
  it('puts multi-line observed text in a code block and escapes the rest', () => {
    expect(results.tests[2]!.output).toMatch(/\*\*observed\*\*: \n\n```text\nUSER "appuser" → uid 0\n\(second line\)\n```/);
    const hostile = gradescopeResults(resultOf([check('x', 'failed', 0, 1, { expected: 'e', observed: '<script>alert(1)</script>' })]));
    expect(hostile.tests[0]!.output).not.toContain('<script>');
  });
});

describe('prairielearn reporter', () => {
  it('gives a score between 0 and 1 and a test per check', () => {
    const pl = prairieLearnResults(partial);
    expect(pl.gradable).toBe(true);
    expect(pl.score).toBeCloseTo(3.75 / 12.25, 4);
    expect(pl.tests!.map((t) => [t.name, t.points, t.max_points])).toEqual(partial.checks.map((c) => [c.title, c.points, c.maxPoints]));
    expect(prairieLearnResults(fullMarks).score).toBe(1);
    expect(prairieLearnResults({ ...partial, lang: 'fr' }).message).toBe('Score : 3.75/12.25');
  });
  it('is not gradable, with a reason, when the grading says the submission cannot be graded or nothing could be evaluated', () => {
    const missing = prairieLearnResults({ ...partial, ungradable: { reason: 'no Dockerfile in the submission' } } as Result);
    expect(missing).toMatchObject({ gradable: false, format_errors: ['This submission cannot be graded: no Dockerfile in the submission'] });
    expect(missing.score).toBeUndefined();
    const engineDown = prairieLearnResults(resultOf([check('a', 'error', 0, 1), check('b', 'error', 0, 2)], { lang: 'fr' }));
    expect(engineDown.gradable).toBe(false);
    expect(engineDown.message).toContain('ne compte pas');
  });
  it('stays under 1 MB however long the observed output', () => {
    const huge = resultOf(Array.from({ length: 12 }, (_, i) => check(`c${i}`, 'failed', 0, 1, { expected: 'x', observed: 'log line ✗\n'.repeat(50_000) })));
    const pl = prairieLearnResults(huge);
    expect(Buffer.byteLength(JSON.stringify(pl, null, 2))).toBeLessThanOrEqual(PRAIRIELEARN_LIMIT);
    expect(pl.tests).toHaveLength(12);
    expect(pl.score).toBe(0);
  });
});

/** The sum classroom-resources/autograding-grading-reporter makes (src/notify-classroom.js), as INTEGRATIONS.md states it. */
function gradingReporterTotals(runners: ClassroomPayload[]): { totalPoints: number; maxPoints: number } {
  return runners.reduce((acc, results) => {
    if (!results.max_score) return acc;
    acc.maxPoints += results.max_score;
    for (const { score: s } of results.tests) acc.totalPoints += s;
    return acc;
  }, { totalPoints: 0, maxPoints: 0 });
}

describe('classroom reporter', () => {
  const decode = (line: string) => JSON.parse(Buffer.from(line.replace(/^result=/, ''), 'base64').toString('utf8')) as ClassroomPayload;

  it('writes the `result` output that the grading reporter sums to our score, partial credit included', async () => {
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
      expect(payload.tests.map((t) => [t.status, t.score])).toEqual([['pass', 2], ['fail', 0.5], ['fail', 0], ['fail', 0], ['error', 0], ['pass', 1.25]]);
      expect(payload.tests[2]).toMatchObject({ filename: 'Dockerfile', line_no: 7 });
      expect(gradingReporterTotals([payload])).toEqual({ totalPoints: partial.score, maxPoints: partial.maxScore });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('passes with full marks, fails when points are missing', () => {
    expect(classroomPayload([fullMarks]).status).toBe('pass');
    expect(classroomPayload([withActions]).status).toBe('fail');
    expect(gradingReporterTotals([classroomPayload([fullMarks])])).toEqual({ totalPoints: 5, maxPoints: 5 });
  });
  it('several gradings in one process give one result summing them all', () => {
    const payload = classroomPayload([partial, fullMarks]);
    expect(gradingReporterTotals([payload])).toEqual({ totalPoints: partial.score + fullMarks.score, maxPoints: partial.maxScore + fullMarks.maxScore });
  });
  it('says what to do outside GitHub Actions', () => {
    expect(() => openReporters(parseReporterArgs(['classroom']), { color: false, env: {}, stdout: new PassThrough() })).toThrow(/GITHUB_OUTPUT.*--reporter classroom=FILE/);
  });
});

describe('--reporter parsing and defaults', () => {
  it('knows every format, sorted', () => {
    expect(Object.keys(REPORTERS)).toEqual(['classroom', 'github', 'gradescope', 'json', 'junit', 'prairielearn', 'terminal']);
    for (const [name, factory] of Object.entries(REPORTERS)) {
      expect(factory.name).toBe(name);
      expect(factory.description.length).toBeGreaterThan(10);
    }
  });
  it('parses NAME and NAME=FILE, repeatable; - is standard output', () => {
    expect(parseReporterArgs(['terminal', 'junit=out/j=1.xml', 'json=-'])).toEqual([
      { name: 'terminal' },
      { name: 'junit', destination: { kind: 'file', path: 'out/j=1.xml' } },
      { name: 'json', destination: { kind: 'stdout' } },
    ]);
  });
  it('refuses an unknown name and lists the known ones', () => {
    expect(() => parseReporterArgs(['junt=x.xml'])).toThrow('unknown reporter "junt" in --reporter junt=x.xml; known reporters: classroom, github, gradescope, json, junit, prairielearn, terminal');
    expect(() => parseReporterArgs(['junit='])).toThrow(/file name after "=" is empty/);
  });
  it('defaults to terminal, plus github inside GitHub Actions', () => {
    expect(defaultReporters({})).toEqual(['terminal']);
    expect(defaultReporters({ GITHUB_ACTIONS: 'true' })).toEqual(['terminal', 'github']);
  });
  it('fans events out to every reporter and closes them all', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-fan-'));
    try {
      const stdout = new PassThrough();
      const chunks: string[] = [];
      stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
      const reporters = openReporters(parseReporterArgs(['terminal', `gradescope=${dir}/results.json`, `prairielearn=${dir}/pl.json`]), { color: false, env: {}, stdout });
      reporters.onCheck(partial.checks[0]!);
      reporters.onAction(withActions.actions[0]!);
      await reporters.onResult(partial);
      await reporters.onBatchEnd([partial]);
      await reporters.close();
      expect(chunks.join('')).toBe(renderTerminal(partial, { color: false }));
      expect(JSON.parse(readFileSync(`${dir}/results.json`, 'utf8'))).toEqual(gradescopeResults(partial));
      expect(JSON.parse(readFileSync(`${dir}/pl.json`, 'utf8'))).toEqual(prairieLearnResults(partial));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('reports a file it cannot write with the path and what to do', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-unwritable-'));
    try {
      writeFileSync(path.join(dir, 'a-file'), '');
      const target = path.join(dir, 'a-file', 'results.json');
      const reporters = openReporters(parseReporterArgs([`gradescope=${target}`]), { color: false, env: {}, stdout: new PassThrough() });
      await expect(reporters.onResult(partial)).rejects.toThrow(new RegExp(`cannot write the report to ${target} \\((ENOTDIR|EEXIST)\\); give a writable path`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});