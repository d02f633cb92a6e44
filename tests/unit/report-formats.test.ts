import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
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
/** `partial` without its check that could not be evaluated: a grading the gradescope reporter writes. */
const gradable = resultOf(partial.checks.filter((c) => c.status !== 'error'));
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
  // Debian's libxml2-utils (npm run provision -- --for-tests installs it): the schemas are checked by libxml2, not by us.
  const xmllint = spawnSync('xmllint', ['--version']).status === 0;
  const JENKINS_XSD = path.join(ROOT, 'tests/fixtures/junit/jenkins-xunit-junit-10.xsd');
  const schemas = [path.join(ROOT, 'tests/fixtures/junit/dockerlab-junit.xsd'), JENKINS_XSD];
  const withFile = <T>(xml: string, use: (file: string) => T): T => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-junit-'));
    try {
      const file = path.join(dir, 'junit.xml');
      writeFileSync(file, xml);
      return use(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const validate = (xml: string) => withFile(xml, (file) => {
    for (const schema of schemas) {
      const run = spawnSync('xmllint', ['--noout', '--schema', schema, file], { encoding: 'utf8' });
      expect(`${path.basename(schema)}: ${run.stderr.trim()}`).toBe(`${path.basename(schema)}: ${file} validates`);
    }
  });
  /** An XPath string value, evaluated by libxml2 on the file. */
  const xpath = (xml: string, expression: string) => withFile(xml, (file) => {
    const run = spawnSync('xmllint', ['--xpath', `string(${expression})`, file], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    // xmllint ends what it prints with a newline of its own.
    return run.stdout.replace(/\n$/, '');
  });
  const hostile = resultOf([check('builds', 'failed', 0, 2, { expected: '<ok/>', observed: ']]></failure><testcase name="forged"/>\x00\x1b[31m\ud800 & "quotes"', location: { file: 'Docker\nfile', line: 3 } })]);
  const noisy = resultOf([check('a', 'failed', 0.1 + 0.2, 0.1 + 0.2 + 0.4), check('b', 'passed', 1.1 + 2.2, 1.1 + 2.2)]);
  const batchName = { ...partial, lab: 'jean.dupont/lab-03' };

  it('needs xmllint (Debian: apt-get install -y libxml2-utils) and the vendored Jenkins schema', () => {
    expect(xmllint).toBe(true);
    expect(readFileSync(JENKINS_XSD, 'utf8')).toContain('jenkinsci/xunit-plugin');
  });
  it('validates with xmllint against our schema and Jenkins\' xunit junit-10.xsd: full marks, partial credit, skipped, error, several labs, hostile text, a batch name with a dot, fractional noise', () => {
    for (const results of [[fullMarks], [partial], [partial, { ...fullMarks, lab: 'lab-04' }], [hostile], [], [{ ...partial, lang: 'fr' as const }], [batchName], [noisy]]) validate(renderJunit(results));
  });
  it('the schemas do reject what they should: a suite without its counts (both), a time zone-less timestamp or a dotted classname (ours)', () => {
    const rejects = (xml: string, schema: string) => withFile(xml, (file) => spawnSync('xmllint', ['--noout', '--schema', schema, file]).status);
    for (const schema of schemas) expect(rejects(renderJunit([partial]).replace(/ failures="\d+"/g, ''), schema)).not.toBe(0);
    expect(rejects(renderJunit([partial]).replace(/(timestamp="[^"]+)Z"/, '$1"'), schemas[0]!)).not.toBe(0);
    expect(rejects(renderJunit([partial]).replace('classname="lab-03"', 'classname="jean.dupont/lab-03"'), schemas[0]!)).not.toBe(0);
  });

  it('read as GitLab reads it (the text of <failure>, <error>, <skipped>, not their attributes): points, reason, expected/observed/hint are there', () => {
    const xml = renderJunit([partial]);
    const outcome = (id: string, element: string) => xpath(xml, `//testcase[@name="Title of ${id} [${id}]"]/${element}`);
    expect(outcome('non-root-user', 'failure')).toBe('0/3 pt\nDockerfile:7\nexpected: a USER whose uid is not 0\nobserved: USER "appuser" → uid 0\n(second line)\nhint: Create a user');
    expect(outcome('label-version', 'failure')).toMatch(/^0\.5\/1 pt\nexpected: a label "version"/);
    expect(outcome('http-ok', 'skipped')).toBe('0/3 pt\nnot evaluated: prerequisite "stays-running" did not pass');
    expect(outcome('logs', 'error')).toBe('0/2 pt\ncould not be evaluated: engine went away');
    // Jenkins and the test-report actions read the attribute: the short form is there too.
    expect(xpath(xml, '//testcase[@name="Title of http-ok [http-ok]"]/skipped/@message')).toBe('not evaluated: prerequisite "stays-running" did not pass');
  });

  it('has counts on every suite, points in properties, a timestamp with its zone', () => {
    const now = new Date('2025-03-14T10:00:12.345Z');
    const xml = renderJunit([partial], now);
    expect(xml).toMatch(/<testsuites name="dockerlab" tests="6" failures="2" errors="1" time="12.345">/);
    expect(xml).toContain('<testsuite name="lab-03 — Image non-root" tests="6" failures="2" errors="1" skipped="1" time="12.345" timestamp="2025-03-14T10:00:00Z"');
    expect(new Date(xpath(xml, '//testsuite/@timestamp')).getTime()).toBe(now.getTime() - partial.durationMs);
    expect(xml).toContain('<property name="score" value="3.75"/>');
    expect(xml).toContain('<property name="points.label-version" value="0.5"/>');
    expect(xml).toContain('<failure message="0/3 pt — message of non-root-user" type="failed">0/3 pt\nDockerfile:7\nexpected: a USER whose uid is not 0');
    expect(xml).toContain('<error message="0/2 pt — could not be evaluated: engine went away" type="error">0/2 pt\n');
  });
  it('prints fractional points without binary noise', () => {
    const xml = renderJunit([noisy]);
    expect(xml).not.toMatch(/\d\.\d*0000000|\d\.\d*9999999/);
    expect(xpath(xml, '//testcase[@name="Title of a [a]"]/failure')).toMatch(/^0\.3\/0\.7 pt\n/);
    expect(xpath(xml, '//property[@name="points.b"]/@value')).toBe('3.3');
    expect(xpath(xml, '//property[@name="maxScore"]/@value')).toBe('4');
  });
  it('a batch name with a dot is not split by Jenkins into package and class, and the exact name is kept', () => {
    const xml = renderJunit([batchName]);
    const classname = xpath(xml, '(//testcase)[1]/@classname');
    // Jenkins' JUnit plugin: package = what precedes the last '.' of the class name.
    expect(classname.lastIndexOf('.')).toBe(-1);
    expect(classname).toBe('jean·dupont/lab-03');
    expect(xpath(xml, '//property[@name="classname"]/@value')).toBe('jean.dupont/lab-03');
    expect(xpath(xml, '//testsuite/@name')).toBe('jean.dupont/lab-03 — Image non-root');
  });
  it('student text cannot add elements', () => {
    const xml = renderJunit([hostile]);
    expect(xml.match(/<testcase /g)).toHaveLength(1);
    expect(xml).not.toMatch(/[\x00\x1b]/);
    expect(xpath(xml, 'count(//testcase)')).toBe('1');
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

// The classroom reporter's tests, with the grading reporter's arithmetic, are in report-classroom.test.ts.

describe('--reporter parsing and defaults', () => {
  it('knows every format, sorted', () => {
    expect(Object.keys(REPORTERS)).toEqual(['classroom', 'github', 'gradescope', 'json', 'junit', 'prairielearn', 'problems', 'tap', 'terminal']);
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
    expect(() => parseReporterArgs(['junt=x.xml'])).toThrow('unknown reporter "junt" in --reporter junt=x.xml; known reporters: classroom, github, gradescope, json, junit, prairielearn, problems, tap, terminal');
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
      await reporters.onResult(gradable);
      await reporters.onBatchEnd([gradable]);
      await reporters.close();
      expect(chunks.join('')).toBe(renderTerminal(gradable, { color: false }));
      expect(JSON.parse(readFileSync(`${dir}/results.json`, 'utf8'))).toEqual(gradescopeResults(gradable));
      expect(JSON.parse(readFileSync(`${dir}/pl.json`, 'utf8'))).toEqual(prairieLearnResults(gradable));
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
      await expect(reporters.onResult(gradable)).rejects.toThrow(new RegExp(`cannot write the report to ${target} \\((ENOTDIR|EEXIST)\\); give a writable path`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});