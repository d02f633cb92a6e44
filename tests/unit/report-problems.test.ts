/**
 * The `problems` reporter and the VS Code task that reads it: the task's own
 * problemMatcher (read from .vscode/tasks.json) is applied, line by line as the
 * editor does, to what the reporters the task names really print.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parse, type ParseError } from 'jsonc-parser';
import { openReporters, parseReporterArgs } from '../../grader/src/report/index.js';
import { renderProblems } from '../../grader/src/report/problems.js';
import { score, type CheckResult, type Result } from '../../grader/src/result.js';
import { listLabIds } from '../../grader/src/spec/load.js';
import { ROOT } from '../helpers/submissions.js';

interface Matcher {
  owner: string;
  fileLocation: [string, string];
  pattern: { regexp: string; file: number; line: number; column: number; severity: number; message: number; code: number };
}
interface Task {
  label: string;
  command: string;
  args: string[];
  problemMatcher: Matcher;
}

const errors: ParseError[] = [];
const tasksFile = parse(readFileSync(path.join(ROOT, '.vscode/tasks.json'), 'utf8'), errors) as { tasks: Task[]; inputs: { id: string; options: string[] }[] };
const task = tasksFile.tasks.find((t) => t.problemMatcher?.owner === 'dockerlab')!;

/** What VS Code does with each line of the task's output: one regexp per line, groups by the matcher's indices. */
function problemsSeenBy(matcher: Matcher, output: string) {
  const regexp = new RegExp(matcher.pattern.regexp);
  const p = matcher.pattern;
  return output.split(/\r?\n/).flatMap((line) => {
    const m = regexp.exec(line);
    return m ? [{ file: m[p.file]!, line: Number(m[p.line]), column: Number(m[p.column]), severity: m[p.severity]!, message: m[p.message]!, code: m[p.code]! }] : [];
  });
}

function check(id: string, status: CheckResult['status'], points: number, maxPoints: number, extra: Partial<CheckResult> = {}): CheckResult {
  return { id, title: `Title of ${id}`, status, points, maxPoints, message: `message of ${id}`, hint: null, expected: null, observed: null, durationMs: 10, ...extra };
}

function resultOf(checks: CheckResult[], extra: Partial<Result> = {}): Result {
  return { lab: 'lab-03', title: 'Image non-root', ...score(checks), checks, actions: [], lang: 'en', submission: '/home/eleve/cours/labs/lab-03', notes: [], durationMs: 5000, isolation: 'engine', grader: { version: '0.1.0' }, ...extra };
}

// Student text that tries to look like problems of its own, with escapes and line breaks.
const hostileObserved = 'the container is not running (exit code 1)\nlast log lines:\n/etc/passwd:1:1: error: fake problem [builds]\n\x1b[31mred\x1b[0m [not-an-id]';
const mixed = resultOf([
  check('builds', 'passed', 2, 2, { location: { file: 'Dockerfile', line: 1 } }),
  check('non-root-user', 'failed', 0, 3, { expected: 'a USER whose uid is not 0', observed: 'no USER: the default user is root', hint: 'Create a user', location: { file: 'Dockerfile', line: 7 } }),
  check('label-version', 'failed', 0.5, 1, { expected: 'a label "version"', observed: 'labels: maintainer', location: { file: 'Dockerfile', line: 3 } }),
  check('stays-running', 'failed', 0, 2, { expected: 'running', observed: hostileObserved, location: { file: 'app/main.py', line: 12 } }),
  check('http-ok', 'failed', 0, 3, { expected: '200', observed: 'connection refused' }),
  check('logs', 'skipped', 0, 2, { location: { file: 'Dockerfile', line: 9 } }),
  check('exec-form', 'error', 0, 1, { message: 'engine went away', location: { file: 'Dockerfile', line: 10 } }),
]);

describe('the problems reporter', () => {
  it('prints one line per failed check with a location, and the task\'s matcher reads each as the editor should', () => {
    const seen = problemsSeenBy(task.problemMatcher, renderProblems(mixed));
    const sub = '/home/eleve/cours/labs/lab-03';
    expect(seen.map(({ message, ...rest }) => rest)).toEqual([
      { file: `${sub}/Dockerfile`, line: 7, column: 1, severity: 'error', code: 'non-root-user' },
      { file: `${sub}/Dockerfile`, line: 3, column: 1, severity: 'warning', code: 'label-version' },
      { file: `${sub}/app/main.py`, line: 12, column: 1, severity: 'error', code: 'stays-running' },
    ]);
    expect(seen[0]!.message).toBe('Title of non-root-user (0/3): expected: a USER whose uid is not 0 ; observed: no USER: the default user is root ; hint: Create a user');
    // The student's fake problem stays inside the message of the real one; no escape survives.
    expect(seen[2]!.message).toContain('last log lines: ⏎ /etc/passwd:1:1: error: fake problem [builds] ⏎ red [not-an-id]');
    expect(seen[2]!.message).not.toMatch(/\x1b/);
  });

  it('ends with a line that is not a problem: the score and how many failures have no place', () => {
    const lines = renderProblems(mixed).trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('lab-03: 2.5/14 points, 3 of the 6 check(s) that did not pass point to a line of your files above');
    expect(problemsSeenBy(task.problemMatcher, lines[3]!)).toEqual([]);
  });

  it('full marks: no problem, and says so, in French', () => {
    const output = renderProblems(resultOf([check('builds', 'passed', 2, 2, { location: { file: 'Dockerfile', line: 1 } })], { lang: 'fr' }));
    expect(output).toBe('lab-03 : 2/2 points, toutes les vérifications sont réussies\n');
    expect(problemsSeenBy(task.problemMatcher, output)).toEqual([]);
  });

  it('cuts a very long message, keeping the check id the matcher reads as the code', () => {
    const seen = problemsSeenBy(task.problemMatcher, renderProblems(resultOf([check('builds', 'failed', 0, 2, { message: 'x'.repeat(5000), location: { file: 'Dockerfile', line: 4 } })])));
    expect(seen.map((s) => ({ code: s.code, length: s.message.length, end: s.message.slice(-1) }))).toEqual([{ code: 'builds', length: 601, end: '…' }]);
  });
});

describe('the VS Code task (.vscode/tasks.json)', () => {
  it('is valid JSONC', () => {
    expect(errors).toEqual([]);
    expect(task).toBeDefined();
  });

  it('offers every lab of labs/', () => {
    expect(tasksFile.inputs.find((i) => i.id === 'lab')?.options).toEqual(listLabIds());
  });

  it('names reporters the grader knows, problems among them', () => {
    const values = task.args.flatMap((arg, i) => (task.args[i - 1] === '--reporter' ? [arg] : []));
    expect(parseReporterArgs(values).map((r) => r.name)).toEqual(['terminal', 'problems']);
  });

  it('on the output of the reporters it names, together on one standard output, matches the problems lines only', async () => {
    const values = task.args.flatMap((arg, i) => (task.args[i - 1] === '--reporter' ? [arg] : []));
    for (const color of [false, true]) {
      const stdout = new PassThrough();
      const chunks: string[] = [];
      stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
      const reporters = openReporters(parseReporterArgs(values), { color, env: {}, stdout });
      await reporters.onResult(mixed);
      await reporters.close();
      const output = chunks.join('');
      // The terminal report printed the hostile log line too, indented: it must not become a problem.
      expect(output).toContain('/etc/passwd:1:1: error: fake problem [builds]');
      expect({ color, codes: problemsSeenBy(task.problemMatcher, output).map((p) => `${p.code}@${p.line}`) }).toEqual({ color, codes: ['non-root-user@7', 'label-version@3', 'stays-running@12'] });
    }
  });
});
