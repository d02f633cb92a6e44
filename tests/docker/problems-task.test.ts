/**
 * The student's VS Code task, end to end: its command and arguments as
 * .vscode/tasks.json writes them (the lab picked, the workspace folder), run on
 * a real engine, and its problemMatcher applied to what it printed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'jsonc-parser';
import { labelled, NOTHING_LABELLED } from '../helpers/engine.js';
import { assembleSubmission, removeDir, ROOT } from '../helpers/submissions.js';

interface Task {
  command: string;
  args: string[];
  options?: { cwd?: string };
  problemMatcher: { owner: string; pattern: { regexp: string; file: number; line: number; column: number; severity: number; message: number; code: number } };
}

const { tasks } = parse(readFileSync(path.join(ROOT, '.vscode/tasks.json'), 'utf8')) as { tasks: Task[] };
const task = tasks.find((t) => t.problemMatcher?.owner === 'dockerlab')!;
const substitute = (text: string, lab: string) => text.replaceAll('${input:lab}', lab).replaceAll('${workspaceFolder}', ROOT);

afterAll(async () => {
  expect(await labelled('lab-05')).toEqual(NOTHING_LABELLED);
});

it('lab-05 with COPY . . before the install: the Problems panel gets the cache check, on the COPY line of the Dockerfile', async () => {
  const dir = assembleSubmission('lab-05', 'wrong-copy-all-first');
  try {
    const run = await execa(task.command, [...task.args.map((a) => substitute(a, 'lab-05')), '--submission', dir], { cwd: substitute(task.options?.cwd ?? '${workspaceFolder}', 'lab-05'), reject: false, env: { NO_COLOR: '1' } });
    const p = task.problemMatcher.pattern;
    const regexp = new RegExp(p.regexp);
    const problems = run.stdout.split('\n').flatMap((line) => {
      const m = regexp.exec(line);
      return m ? [{ file: m[p.file], line: Number(m[p.line]), column: Number(m[p.column]), severity: m[p.severity], code: m[p.code] }] : [];
    });
    const copyLine = readFileSync(path.join(dir, 'Dockerfile'), 'utf8').split('\n').findIndex((l) => /^COPY \. \./.test(l)) + 1;
    expect({ exitCode: run.exitCode, problems }).toEqual({
      exitCode: 1,
      problems: [{ file: path.join(dir, 'Dockerfile'), line: copyLine, column: 1, severity: 'error', code: 'deps-cached' }],
    });
    // The terminal report is printed too, before the problems.
    expect(run.stdout).toMatch(/✗ 0\/3 .*\[deps-cached\]/);
  } finally {
    removeDir(dir);
  }
}, 240_000);
