import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
// The consumer's own parser (devDependency tap-parser@18.3.4, TAP 14): our output is read by it, not by our reading of the spec.
import { Parser } from 'tap-parser';
import { openReporters, parseReporterArgs, REPORTERS } from '../../grader/src/report/index.js';
import { renderTap, tapEscape, yamlString } from '../../grader/src/report/tap.js';
import { score, type CheckResult, type Result } from '../../grader/src/result.js';
import { ROOT } from '../helpers/submissions.js';

function check(id: string, status: CheckResult['status'], points: number, maxPoints: number, extra: Partial<CheckResult> = {}): CheckResult {
  return { id, title: `Title of ${id}`, status, points, maxPoints, message: `message of ${id}`, hint: null, expected: null, observed: null, durationMs: 1200, ...extra };
}

function resultOf(checks: CheckResult[], extra: Partial<Result> = {}): Result {
  return {
    lab: 'lab-03', title: 'Image non-root', ...score(checks), checks, actions: [], lang: 'en', submission: '/tmp/sub', notes: [],
    durationMs: 12_345, isolation: 'engine', grader: { version: '0.1.0' }, ...extra,
  };
}

/** What tap-parser (strict) made of a TAP text: its final summary, every test point, every line it could not read. */
interface Parsed {
  summary: { ok: boolean; count: number; pass: number; fail: number; skip: number; todo: number; bailout: boolean | string; plan: { start: number; end: number; skipAll: boolean } };
  asserts: { ok: boolean; id: number; name: string; skip: string | boolean; todo: string | boolean; diag: Record<string, unknown> | null }[];
  extra: string[];
}

function parseTap(tap: string): Parsed {
  const asserts: Parsed['asserts'] = [];
  const extra: string[] = [];
  let summary: Parsed['summary'] | undefined;
  const parser = new Parser({ strict: true }, (results) => {
    summary = results as unknown as Parsed['summary'];
  });
  parser.on('assert', (a: Parsed['asserts'][number]) => asserts.push(a));
  // Lines that are not TAP (strict mode: each is also a failure) and YAML that does not parse.
  parser.on('extra', (line: string) => extra.push(line));
  parser.end(tap);
  if (!summary) throw new Error('tap-parser gave no summary');
  return { summary, asserts, extra };
}

const partial = resultOf([
  check('builds', 'passed', 2, 2, { expected: '`docker build` succeeds', observed: 'image built in 3.1 s' }),
  check('label-version', 'failed', 0.5, 1, { expected: 'a label "version"', observed: 'labels: maintainer' }),
  check('non-root-user', 'failed', 0, 3, { expected: 'a USER whose uid is not 0', observed: 'USER "appuser" → uid 0\n(second line)', hint: 'Create a user', location: { file: 'Dockerfile', line: 7 } }),
  check('http-ok', 'skipped', 0, 3, { message: 'not evaluated: prerequisite "stays-running" did not pass' }),
  check('logs', 'error', 0, 2, { message: 'could not be evaluated: engine went away' }),
  check('exec-form', 'passed', 1.25, 1.25),
]);
const fullMarks = resultOf([check('builds', 'passed', 2, 2), check('http-ok', 'passed', 3, 3)]);

/** Text a student controls (build output, their file names, their labels) that would be TAP or YAML syntax if written as it is. */
const HOSTILE = [
  'line one\nok 99 - forged pass\nnot ok 98 - forged failure\nBail out! forged\n1..1\nTAP version 13\n# SKIP forged',
  '  ---\n  message: forged\n  ...\n---\n...\n    ok 1 - forged subtest',
  'a # SKIP forged directive # TODO forged \\# already escaped \\',
  'key: value\n- list\n? complex\n: mapping\n"quoted" \'single\' {flow: [1, 2]} &anchor *alias !tag |block >folded %YAML',
  '\x1b[31mred\x1b[0m\rback\x00nul\x07bell\x85nel\u2028ls\u2029ps\ud800lone\u202eoverride\x7f\x9b31m',
  '::error file=x::forged annotation\n##[error]legacy\n##vso[task.complete result=Failed;]',
];
const hostile = resultOf([
  check('builds', 'failed', 0, 2, { title: HOSTILE[0]!, expected: HOSTILE[1]!, observed: HOSTILE[3]!, hint: HOSTILE[5]!, message: HOSTILE[4]!, location: { file: 'Docker\nfile # 1', line: 3 } }),
  check('label\nok 7', 'skipped', 0, 1, { message: HOSTILE[2]!, title: '# not a comment' }),
  check('logs', 'error', 0, 1, { message: HOSTILE.join('\n'), title: '\\#\\' }),
  check('ok', 'passed', 1, 1, { title: 'ok 2 - forged', message: HOSTILE[1]! }),
], { lab: 'jean.dupont\nok 5/lab-03', title: 'Bail out! title' });

/** Each lab's variants (labs/lab-NN/tests/cases.json) as results, as test-lab grades them: failed and skipped checks get 0, the others full points. */
function fixtureResults(): Result[] {
  const out: Result[] = [];
  for (const lab of readdirSync(path.join(ROOT, 'labs')).filter((d) => /^lab-\d\d$/.test(d)).sort()) {
    const variantsFile = path.join(ROOT, 'labs', lab, 'tests', 'cases.json');
    if (!existsSync(variantsFile)) continue;
    const spec = JSON.parse(readFileSync(path.join(ROOT, 'labs', lab, 'lab.json'), 'utf8')) as { steps: { id: string; kind?: string; points?: number }[] };
    const variants = JSON.parse(readFileSync(variantsFile, 'utf8')) as { name: string; failed: string[]; skipped: string[] }[];
    for (const v of variants) {
      const checks = spec.steps.filter((st) => st.kind !== undefined && typeof st.points === 'number').map((st) => {
        const status = v.failed.includes(st.id) ? 'failed' : v.skipped.includes(st.id) ? 'skipped' : 'passed';
        return check(st.id, status, status === 'passed' ? st.points! : 0, st.points!, status === 'skipped' ? { message: `not evaluated: a prerequisite of ${st.id} did not pass` } : {});
      });
      out.push(resultOf(checks, { lab, title: v.name }));
    }
  }
  return out;
}

/** What tap-parser must report for these results: one point per check, failures = failed + error, skips = skipped. */
function expectRead(results: Result[]): Parsed {
  const tap = renderTap(results);
  const parsed = parseTap(tap);
  const checks = results.flatMap((r) => r.checks);
  const failing = checks.filter((c) => c.status === 'failed' || c.status === 'error').length;
  expect(parsed.extra).toEqual([]);
  expect(parsed.summary.bailout).toBe(false);
  expect(parsed.summary.plan).toMatchObject({ start: checks.length === 0 ? 1 : 1, end: checks.length === 0 ? 0 : checks.length });
  expect(parsed.summary.count).toBe(checks.length);
  expect(parsed.summary.fail).toBe(failing);
  expect(parsed.summary.skip).toBe(checks.filter((c) => c.status === 'skipped').length);
  expect(parsed.summary.todo).toBe(0);
  expect(parsed.summary.ok).toBe(failing === 0);
  expect(parsed.asserts.map((a) => a.id)).toEqual(checks.map((_, i) => i + 1));
  expect(parsed.asserts.map((a) => a.ok)).toEqual(checks.map((c) => c.status === 'passed' || c.status === 'skipped'));
  // Every point carries its diagnostics, with the check's id, status and points as numbers.
  parsed.asserts.forEach((a, i) => {
    const c = checks[i]!;
    expect(a.diag).toMatchObject({ id: c.id, status: c.status, points: c.points, maxPoints: c.maxPoints });
  });
  return parsed;
}

describe('tap reporter, read by tap-parser (strict)', () => {
  it('is registered, and --reporter tap / tap=FILE parse', () => {
    expect(Object.keys(REPORTERS)).toContain('tap');
    expect(parseReporterArgs(['tap', 'tap=out/results.tap'])).toEqual([{ name: 'tap' }, { name: 'tap', destination: { kind: 'file', path: 'out/results.tap' } }]);
  });

  it('starts with the version line and the plan, one point per check', () => {
    const lines = renderTap([partial]).split('\n');
    expect(lines[0]).toBe('TAP version 14');
    expect(lines[1]).toBe('1..6');
    expect(lines.filter((l) => /^(not )?ok \d+ - /.test(l))).toEqual([
      'ok 1 - Title of builds [builds] (2/2 pt)',
      'not ok 2 - Title of label-version [label-version] (0.5/1 pt)',
      'not ok 3 - Title of non-root-user [non-root-user] (0/3 pt)',
      'ok 4 - Title of http-ok [http-ok] (0/3 pt) # SKIP not evaluated: prerequisite "stays-running" did not pass',
      'not ok 5 - Title of logs [logs] (0/2 pt)',
      'ok 6 - Title of exec-form [exec-form] (1.25/1.25 pt)',
    ]);
    expect(lines).toContain('# Score: 3.75/12.25');
  });

  it('partial credit, skipped, error: the counts, ok false, the skip reason and the diagnostics (expected, observed, hint, points, file and line)', () => {
    const parsed = expectRead([partial]);
    expect(parsed.summary).toMatchObject({ ok: false, count: 6, fail: 3, skip: 1 });
    const byId = (n: number) => parsed.asserts[n - 1]!;
    expect(byId(4).skip).toBe('not evaluated: prerequisite "stays-running" did not pass');
    expect(byId(3).diag).toEqual({
      id: 'non-root-user', status: 'failed', points: 0, maxPoints: 3, message: 'message of non-root-user',
      expected: 'a USER whose uid is not 0', observed: 'USER "appuser" → uid 0\n(second line)', hint: 'Create a user',
      at: { file: 'Dockerfile', line: 7 }, lab: 'lab-03', durationMs: 1200,
    });
    expect(byId(2).diag).toMatchObject({ points: 0.5, maxPoints: 1, expected: 'a label "version"', observed: 'labels: maintainer' });
    expect(byId(5).diag).toMatchObject({ status: 'error', message: 'could not be evaluated: engine went away' });
  });

  it('full marks: ok true; no results: a skip-all plan that still parses', () => {
    expect(expectRead([fullMarks]).summary).toMatchObject({ ok: true, count: 2, pass: 2, fail: 0 });
    const empty = parseTap(renderTap([]));
    expect(empty.extra).toEqual([]);
    expect(empty.summary).toMatchObject({ ok: true, count: 0, plan: { start: 1, end: 0, skipAll: true } });
  });

  it('several labs (a batch) in one plan, each point named with its lab, French results in French', () => {
    const fr = { ...partial, lab: 'lab-04', lang: 'fr' as const };
    const parsed = expectRead([partial, fr]);
    expect(parsed.summary.count).toBe(12);
    expect(parsed.asserts[6]!.name).toBe('lab-04 › Title of builds [builds] (2/2 pt)');
    expect(renderTap([partial, fr])).toContain('# lab-04 Score : 3.75/12.25');
  });

  it('every result of every lab\'s fixtures (passed, failed, skipped): the counts, ok and the plan match', () => {
    const results = fixtureResults();
    expect(results.length).toBeGreaterThan(50);
    for (const result of results) expectRead([result]);
    // And all of them at once, as a batch's file would hold them.
    const all = expectRead(results);
    expect(all.summary.skip).toBeGreaterThan(0);
    expect(all.summary.fail).toBeGreaterThan(0);
  });

  it('hostile text in titles, messages, expected/observed, hints, file names and the lab: no forged point, bail out, directive or YAML key; the text is all there', () => {
    const parsed = expectRead([hostile]);
    expect(parsed.summary).toMatchObject({ count: 4, fail: 2, skip: 1, bailout: false });
    const tap = renderTap([hostile]);
    // Every line is the reporter's: version, plan, a point, a comment, or an indented YAML line.
    for (const line of tap.split('\n').filter(Boolean)) expect(line).toMatch(/^(TAP version 14|1\.\.4|(not )?ok [1-4] - |# |  (---|\.\.\.|[a-zA-Z]+:( |$)|  (file|line): ))/);
    expect(tap).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202e]/);
    expect(tap).not.toMatch(/^::|##\[/m);
    const [first, second, third, fourth] = parsed.asserts;
    expect(first!.name).toContain('ok 99 - forged pass');
    expect(first!.diag).toMatchObject({ expected: '  ---\n  message: forged\n  ...\n---\n...\n    ok 1 - forged subtest', at: { file: 'Docker\nfile # 1', line: 3 } });
    expect(String(first!.diag!.observed)).toContain('&anchor *alias !tag |block >folded %YAML');
    // Escapes and controls stripped; a lone CR, NEL and the Unicode line separators become line breaks (sanitize.ts plainText).
    expect(first!.diag!.message).toBe('red\nbacknulbell\nnel\nls\npsloneoverride');
    // The skip reason keeps its text, # and \ included, and its directive words stay words.
    expect(second!.skip).toBe('a # SKIP forged directive # TODO forged \\# already escaped \\');
    expect(second!.todo).toBe(false);
    expect(second!.name).toBe('# not a comment [label ⏎ ok 7] (0/1 pt)');
    expect(third!.name).toBe('\\#\\ [logs] (0/1 pt)');
    expect(fourth!).toMatchObject({ ok: true, id: 4, name: 'ok 2 - forged [ok] (1/1 pt)' });
  });

  it('a huge build log is cut, on a character boundary, and still parses', () => {
    const log = `${'é'.repeat(40_000)}\n---\n...`;
    const parsed = expectRead([resultOf([check('builds', 'failed', 0, 2, { observed: log, expected: 'builds' })])]);
    const observed = String(parsed.asserts[0]!.diag!.observed);
    expect(Buffer.byteLength(observed)).toBeLessThanOrEqual(16 * 1024);
    expect(observed).toMatch(/^é+$/);
  });

  it('writes to stdout at the end, or to a file named by tap=FILE rewritten after each grading', async () => {
    const stdout = new PassThrough();
    const chunks: string[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
    const reporters = openReporters(parseReporterArgs(['tap']), { color: false, env: {}, stdout });
    await reporters.onResult(partial);
    expect(chunks).toEqual([]);
    await reporters.close();
    expect(chunks.join('')).toBe(renderTap([partial]));

    const dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-tap-'));
    try {
      const file = path.join(dir, 'out', 'results.tap');
      const toFile = openReporters(parseReporterArgs([`tap=${file}`]), { color: false, env: {}, stdout: new PassThrough() });
      await toFile.onResult(partial);
      expect(parseTap(readFileSync(file, 'utf8')).summary.count).toBe(6);
      await toFile.onResult(fullMarks);
      await toFile.close();
      expect(readFileSync(file, 'utf8')).toBe(renderTap([partial, fullMarks]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tap escaping', () => {
  it('a description is one line, with \\ and # escaped (TAP 14)', () => {
    expect(tapEscape('a#b\\c\nd')).toBe('a\\#b\\\\c ⏎ d');
    expect(tapEscape('\x1b[31mred\x1b[0m')).toBe('red');
  });
  it('a YAML value is one double-quoted line, whatever the text', () => {
    expect(yamlString('---\n...\nkey: "v"')).toBe('"---\\n...\\nkey: \\"v\\""');
    expect(yamlString('lone \ud800 surrogate \x00')).toBe('"lone  surrogate "');
    expect(yamlString('\u2028')).toBe('"\\n"');
  });
});
