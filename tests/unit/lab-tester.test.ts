import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assembleCase, InvalidCasesError, parseCases, readCases, type LabCase } from '../../grader/src/spec/cases.js';
import { writeNewLab } from '../../grader/src/authoring/new-lab.js';
import { ownFolderWithoutCases } from '../../grader/src/grading/own-folder.js';
import { renderCasesJunit, renderTable, type LabRows } from '../../grader/src/authoring/render.js';
import { labFoldersOf, runTestLabCommand } from '../../grader/src/authoring/test-lab.js';
import { compareVerdicts, labProblems, verdictText, type Observed } from '../../grader/src/authoring/verdict.js';
import { loadLabFile } from '../../grader/src/spec/load.js';

const CHECKS = ['builds', 'label', 'http'];
const parse = (cases: unknown, folders: string[] | null = null) => parseCases(JSON.stringify(cases), { file: 'labs/lab-99/tests/cases.json', checkIds: CHECKS, folders });
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidCasesError);
    return (error as InvalidCasesError).problems;
  }
  throw new Error('expected an InvalidCasesError');
};
const labCase = (name: string, failed: string[] = [], skipped: string[] = []): LabCase => ({ name, mistake: '', failed, skipped, remove: [], reference: failed.length === 0 && skipped.length === 0 });
const observed = (statuses: Record<string, 'passed' | 'failed' | 'skipped' | 'error'>): Observed => {
  const checks = Object.entries(statuses).map(([id, status]) => ({ id, status, message: `${id} was ${status}`, maxPoints: 2, points: status === 'passed' ? 2 : 0 }));
  return { checks, score: checks.reduce((s, c) => s + c.points, 0), maxScore: checks.length * 2 };
};

describe('cases.json', () => {
  it('reads a reference from a bare name and a wrong case from its failed and skipped checks', () => {
    const cases = parse([{ name: 'reference' }, { name: 'wrong-x', mistake: 'no label', failed: ['builds'], skipped: ['label', 'http'] }]);
    expect(cases.map((c) => [c.name, c.reference, c.failed, c.skipped])).toEqual([
      ['reference', true, [], []],
      ['wrong-x', false, ['builds'], ['label', 'http']],
    ]);
  });

  it('says where and what is wrong: not JSON, not an array, an unknown field', () => {
    expect(problemsOf(() => parseCases('[{"name": "a",}]', { file: 'f.json', checkIds: CHECKS, folders: null }))[0]).toMatch(/^f\.json: not JSON .*write an array of cases/);
    expect(problemsOf(() => parse({ name: 'reference' }))[0]).toMatch(/^labs\/lab-99\/tests\/cases\.json: .*array.*write an array of cases/);
    expect(problemsOf(() => parse([{ name: 'reference', fails: ['builds'] }])).join('\n')).toMatch(/cases\.json\/0.*fails|cases\.json\/0: .*additional/i);
  });

  it('collects every problem of the expectations at once: unknown checks, duplicates, a check both failed and skipped', () => {
    const problems = problemsOf(() => parse([{ name: 'a', failed: ['bulds'] }, { name: 'a' }, { name: 'b', failed: ['http'], skipped: ['http'] }]));
    expect(problems).toEqual([
      'labs/lab-99/tests/cases.json/0 (a)/failed: "bulds" is not a check of the lab (its checks: builds, label, http)',
      'labs/lab-99/tests/cases.json/1 (a): a second case named "a"; give each case its own name',
      'labs/lab-99/tests/cases.json/2 (b): "http" is both in failed and in skipped; a check has one verdict',
    ]);
  });

  it('ties entries to folders both ways: an entry without a folder, a folder without an entry', () => {
    const problems = problemsOf(() => parse([{ name: 'reference' }, { name: 'wrong-gone', failed: ['http'] }], ['reference', 'wrong-forgotten']));
    expect(problems).toEqual([
      'labs/lab-99/tests/cases.json/1 (wrong-gone): no folder labs/lab-99/tests/wrong-gone/; create it with the case\'s files',
      'labs/lab-99/tests/wrong-forgotten/: a folder that labs/lab-99/tests/cases.json does not name; add {"name": "wrong-forgotten", …} with its expectation, or remove the folder',
    ]);
  });
});

describe('verdicts', () => {
  it('a case is as expected only when every check has the verdict it names (passed for the others)', () => {
    expect(compareVerdicts(labCase('w', ['label']), observed({ builds: 'passed', label: 'failed', http: 'passed' }))).toEqual([]);
    expect(compareVerdicts(labCase('w', ['label']), observed({ builds: 'passed', label: 'passed', http: 'failed' }))).toEqual([
      { check: 'label', expected: 'failed', observed: 'passed', message: 'label was passed' },
      { check: 'http', expected: 'passed', observed: 'failed', message: 'http was failed' },
    ]);
  });

  it('an error is never expected, and a named check the grading did not report differs', () => {
    expect(compareVerdicts(labCase('w', ['label']), observed({ builds: 'error', http: 'passed' })).map((d) => [d.check, d.expected, d.observed])).toEqual([
      ['builds', 'passed', 'error'],
      ['label', 'failed', 'error'],
    ]);
  });

  it('words a verdict for the table', () => {
    expect(verdictText({ failed: [], skipped: [] })).toBe('full marks');
    expect(verdictText({ failed: ['b', 'a'], skipped: ['c'] })).toBe('fails a, b; skips c');
  });
});

describe('problems of a lab', () => {
  const all = (map: Record<string, Observed>) => new Map(Object.entries(map));

  it('none when a reference scores full marks and every check fails in some case', () => {
    const cases = [labCase('reference'), labCase('w1', ['builds'], ['label', 'http']), labCase('w2', ['label', 'http'])];
    expect(labProblems(CHECKS, cases, all({ reference: observed({ builds: 'passed', label: 'passed', http: 'passed' }), w1: observed({ builds: 'failed', label: 'skipped', http: 'skipped' }), w2: observed({ builds: 'passed', label: 'failed', http: 'failed' }) }))).toEqual([]);
  });

  it('no cases at all; no reference', () => {
    expect(labProblems(CHECKS, [], new Map()).map((p) => p.kind)).toEqual(['no-cases']);
    expect(labProblems(CHECKS, [labCase('w', CHECKS)], all({ w: observed({ builds: 'failed', label: 'failed', http: 'failed' }) })).map((p) => p.kind)).toEqual(['no-reference']);
  });

  it('a reference below full marks, and a variant losing points on a check it does not name', () => {
    const cases = [labCase('reference'), labCase('w', ['builds', 'label'])];
    const problems = labProblems(CHECKS, cases, all({ reference: observed({ builds: 'passed', label: 'passed', http: 'failed' }), w: observed({ builds: 'failed', label: 'failed', http: 'skipped' }) }));
    expect(problems.map((p) => [p.kind, p.case, p.check])).toEqual([
      ['reference-not-full', 'reference', undefined],
      ['unnamed-loss', 'w', 'http'],
    ]);
    expect(problems[0]!.message).toBe('reference reference scores 4/6, not full marks (http failed)');
  });

  it('a check nothing fails (skipped is not failed); judged only when every case was graded', () => {
    const cases = [labCase('reference'), labCase('w', ['builds'], ['label', 'http'])];
    const outcomes = all({ reference: observed({ builds: 'passed', label: 'passed', http: 'passed' }), w: observed({ builds: 'failed', label: 'skipped', http: 'skipped' }) });
    expect(labProblems(CHECKS, cases, outcomes).map((p) => [p.kind, p.check])).toEqual([['never-fails', 'label'], ['never-fails', 'http']]);
    outcomes.delete('w');
    expect(labProblems(CHECKS, cases, outcomes)).toEqual([]);
  });
});

describe('reports', () => {
  const lab: LabRows = {
    lab: 'lab-99',
    durationMs: 12_345,
    starter: '0/6',
    problems: [{ kind: 'never-fails', check: 'http', message: 'no case fails http: a check nothing can fail is a defect; add a wrong case that makes that mistake' }],
    rows: [
      { name: 'reference', expected: 'full marks', observed: 'full marks', status: 'as-expected', differences: [], durationMs: 3_000 },
      { name: 'wrong-label', expected: 'fails label', observed: 'full marks', status: 'differs', differences: [{ check: 'label', expected: 'failed', observed: 'passed', message: 'a label "version": found "1.0"' }], durationMs: 4_200 },
      { name: 'wrong-broken', expected: 'fails builds', observed: 'not graded', status: 'error', error: 'EACCES: permission denied', differences: [], durationMs: 10 },
    ],
  };

  it('the terminal table: a row per case with expected, observed, what differs and time; then details, problems, a summary', () => {
    expect(renderTable(lab).split('\n')).toEqual([
      'lab-99',
      '   case          expected      observed    differs                    time',
      '✓  reference     full marks    full marks  —                          3.0 s',
      '✗  wrong-label   fails label   full marks  label: failed→passed       4.2 s',
      '!  wrong-broken  fails builds  not graded  EACCES: permission denied  0.0 s',
      '',
      '✗ wrong-label: expected fails label, observed full marks',
      '    label: expected failed, observed passed — a label "version": found "1.0"',
      '',
      'problems of lab-99:',
      '  - no case fails http: a check nothing can fail is a defect; add a wrong case that makes that mistake',
      '',
      'starter files: 0/6',
      '',
      'lab-99: 1/3 case(s) as expected, 1 problem(s) of the lab, 12.3 s',
      '',
    ]);
  });

  it('JUnit: a testcase per case (failure when it differs, error when not graded) and one for the lab problems', () => {
    const xml = renderCasesJunit([lab], new Date('2026-01-02T03:04:05.678Z'));
    expect(xml).toContain('<testsuite name="lab-99" tests="4" failures="2" errors="1" time="12.345" timestamp="2026-01-02T03:04:05Z">');
    expect(xml).toContain('<testcase classname="lab-99.cases" name="reference" time="3.000"/>');
    expect(xml).toMatch(/<testcase classname="lab-99.cases" name="wrong-label" time="4.200">\n {6}<failure message="expected fails label, observed full marks">expected: fails label\nobserved: full marks\nlabel: expected failed, observed passed: a label &quot;version&quot;|a label "version"/);
    expect(xml).toContain('<error message="EACCES: permission denied">');
    expect(xml).toMatch(/name="lab problems" time="0.000">\n {6}<failure message="1 problem\(s\) of the lab">no case fails http/);
  });
});

describe('lab folders, assembly and the command line without an engine', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'dlt-labtester-unit-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env: {}, cwd: tmp, signal: new AbortController().signal } };
  };

  it('new-lab writes a valid spec with $schema, a statement, given files and cases that read back, for each kind', () => {
    for (const [id, kind] of [['lab-91', 'image'], ['lab-92', 'script'], ['lab-93', 'compose']] as const) {
      const dir = writeNewLab(tmp, id, kind);
      const spec = JSON.parse(readFileSync(path.join(dir, 'lab.json'), 'utf8')) as { $schema: string };
      expect(existsSync(path.resolve(dir, spec.$schema))).toBe(true);
      const lab = loadLabFile(path.join(dir, 'lab.json'));
      expect(lab.workload.kind).toBe(kind);
      const cases = readCases(dir, lab.checks.map((c) => c.id));
      expect(cases.map((c) => c.reference)).toEqual([true, false]);
      // The one wrong case fails every check, so no check is one nothing can fail.
      expect([...cases[1]!.failed].sort()).toEqual(lab.checks.map((c) => c.id).sort());
      expect(existsSync(path.join(dir, 'README.md'))).toBe(true);
    }
    expect(() => writeNewLab(tmp, 'lab-91', 'image')).toThrow(/already exists/);
  });

  it('assembles a case from the given files (never lab.json, README.md or tests/) with its files laid over', () => {
    const dir = writeNewLab(tmp, 'lab-91', 'image');
    const [reference] = readCases(dir, ['label-version', 'exposes-8080', 'http-ok']);
    const starter = assembleCase(dir, null, tmp);
    const assembled = assembleCase(dir, reference!, tmp);
    expect(readdirSync(starter)).toEqual(['Dockerfile']);
    expect(readFileSync(path.join(assembled, 'Dockerfile'), 'utf8')).toContain('LABEL version');
    expect(() => assembleCase(dir, { name: 'reference', remove: ['nope'] }, tmp)).toThrow(/removes nope, which the lab does not give/);
  });

  it('grading a lab in its own folder hides tests/ (and only then)', () => {
    const dir = writeNewLab(tmp, 'lab-91', 'image');
    const own = ownFolderWithoutCases(dir, undefined)!;
    try {
      expect(readdirSync(own.dir).sort()).toEqual(['Dockerfile', 'README.md', 'lab.json']);
      expect(own.original).toBe(dir);
    } finally {
      own.remove();
    }
    expect(existsSync(own.dir)).toBe(false);
    expect(ownFolderWithoutCases(dir, path.join(dir, 'tests', 'reference'))).toBeNull();
  });

  it('labFoldersOf: ids in the labs folder, a lab folder, a folder of labs; a clear error otherwise', () => {
    writeNewLab(tmp, 'lab-91', 'image');
    writeNewLab(tmp, 'lab-92', 'script');
    expect(labFoldersOf(['lab-92'], tmp, '/')).toEqual([path.join(tmp, 'lab-92')]);
    expect(labFoldersOf([tmp], '/nowhere', '/')).toEqual([path.join(tmp, 'lab-91'), path.join(tmp, 'lab-92')]);
    expect(labFoldersOf([], tmp, '/')).toHaveLength(2);
    expect(() => labFoldersOf(['lab-77'], tmp, '/')).toThrow(/lab-77: no lab there/);
  });

  it('exit 2 with the teacher\'s fix for an invalid cases file, before any grading', async () => {
    const dir = writeNewLab(tmp, 'lab-91', 'image');
    writeFileSync(path.join(dir, 'tests', 'cases.json'), '[{"name": "reference"}, {"name": "wrong-port-9090", "failed": ["http"]}]');
    const { err, io: streams } = io();
    // No runtime is ever made: the command must stop before it needs the engine.
    expect(await runTestLabCommand(['lab-91', '--labs-dir', tmp], streams)).toBe(2);
    expect(err.join('')).toMatch(/invalid cases:\n {2}.*cases\.json\/1 \(wrong-port-9090\)\/failed: "http" is not a check of the lab/);
  });

  it('exit 2 on bad usage', async () => {
    for (const argv of [['--jobs', '0'], ['--reporter', 'html'], ['--sandbox', 'maybe'], ['--bogus']]) {
      const { err, io: streams } = io();
      expect(await runTestLabCommand(argv, streams)).toBe(2);
      expect(err.join('')).toMatch(/^dockerlab test-lab: .+\nRun npm run grade -- test-lab --help/);
    }
  });
});
