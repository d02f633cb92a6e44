import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { csvCell } from '../../grader/src/batch/csv.js';
import { runBatchCommand, type BatchIo } from '../../grader/src/batch/index.js';
import { FakeGrader, FIXTURE_LABS, removeDir, Sink, tempDir, writeDirectLayout } from '../fixtures/batch/fake-class.js';

let root: string;
let dir: string;

beforeEach(() => {
  root = tempDir('hbat-out-');
  dir = path.join(root, 'class');
});
afterEach(() => removeDir(root));

async function batch(out: string, extra: string[] = [], env: Record<string, string> = {}) {
  const stdout = new Sink();
  const io: BatchIo = { stdout, stderr: new Sink(), env, signal: new AbortController().signal, cwd: root };
  const code = await runBatchCommand([dir, '--out', out, '--labs-dir', FIXTURE_LABS, '--quiet', ...extra], io, { grader: new FakeGrader() });
  return { code, stdout: stdout.text };
}

const read = (...parts: string[]) => readFileSync(path.join(...parts), 'utf8');
const csv = (file: string) => parse(read(file), { bom: true }) as string[][];

/** Every file under OUT that is meant to be shared (not the private state folder). */
function sharedFiles(out: string): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (name === '.dockerlab-batch' || name === 'logs') continue;
      if (statSync(full).isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(out);
  return files;
}

function classWithRoster(): string {
  writeDirectLayout(path.join(dir, 'amartin'), { 'lab-01': ['script-finishes', 'serveur-running'], 'lab-03': ['builds', 'non-root-user', '#observed=USER root (uid 0)'] });
  writeDirectLayout(path.join(dir, 'bdurand'), { 'lab-03': ['builds', 'exec-form', 'http-ok', 'non-root-user'] });
  writeDirectLayout(path.join(dir, '=2+5'), { 'lab-04': ['builds'] });
  const roster = path.join(root, 'roster.csv');
  writeFileSync(roster, 'username,student_id,name,email,section,sis_login_id,canvas_id\namartin,21001,"Martin, Alice",alice.martin@univ.fr,G1,amartin@univ,901\nbdurand,21002,Bruno Durand,bruno.durand@univ.fr,G2,,902\n');
  return roster;
}

describe('gradebook and LMS exports', () => {
  it('gradebook.csv: a row per student, a column per lab and the total, a points-possible row, notes; formulas neutralised', async () => {
    const out = path.join(root, 'out');
    await batch(out, ['--roster', classWithRoster()]);
    expect(read(out, 'gradebook.csv').startsWith('\uFEFF')).toBe(true);
    const [header, possible, ...rows] = csv(path.join(out, 'gradebook.csv'));
    expect(header).toEqual(['student', 'name', 'email', 'student_id', 'folders', 'lab-01', 'lab-03', 'lab-04', 'total', 'notes']);
    expect(possible).toEqual(['points possible', '', '', '', '', '10', '10', '5', '25', '']);
    expect(rows.map((r) => r.slice(0, 9))).toEqual([
      ["'=2+5", '', '', '', "'=2+5", '', '', '2', '2'],
      ['21001', 'Martin, Alice', 'alice.martin@univ.fr', '21001', 'amartin', '5', '5', '', '10'],
      ['21002', 'Bruno Durand', 'bruno.durand@univ.fr', '21002', 'bdurand', '', '10', '', '10'],
    ]);
    expect(rows[0]![9]).toContain('is not in the roster');
  });

  it('moodle.csv matches on username, email or idnumber; canvas.csv has the Canvas columns and a Points Possible row', async () => {
    const out = path.join(root, 'out');
    await batch(out, ['--roster', classWithRoster(), '--lang', 'en']);
    const moodle = csv(path.join(out, 'moodle.csv'));
    expect(moodle[0]).toEqual(['username', 'email', 'idnumber', 'name', 'lab-01 First container', 'lab-03 Non-root image', 'lab-04 nginx on port 8080']);
    expect(moodle[1]).toEqual(["'=2+5", null, null, null, '', '', '2'].map((v) => v ?? ''));
    expect(moodle[2]).toEqual(['amartin', 'alice.martin@univ.fr', '21001', 'Martin, Alice', '5', '5', '']);
    const canvas = csv(path.join(out, 'canvas.csv'));
    expect(canvas[0]).toEqual(['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', 'lab-01 First container', 'lab-03 Non-root image', 'lab-04 nginx on port 8080']);
    expect(canvas[1]).toEqual(['Points Possible', '', '', '', '', '10', '10', '5']);
    expect(canvas[2]).toEqual(["'=2+5", '', '', "'=2+5", '', '', '', '2']);
    expect(canvas[3]).toEqual(['Martin, Alice', '901', '21001', 'amartin@univ', 'G1', '5', '5', '']);
    expect(canvas[4]).toEqual(['Bruno Durand', '902', '21002', 'bdurand', 'G2', '', '10', '']);
  });

  it('CSV cells: quotes, separators, line breaks and formula starts', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('+33 6 12')).toBe("'+33 6 12");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(12.5)).toBe('12.5');
    expect(csvCell(null)).toBe('');
  });
});

describe('--anonymise', () => {
  it('replaces every name by a stable id in every shared output, and writes no LMS export', async () => {
    const out = path.join(root, 'out');
    const roster = classWithRoster();
    const first = await batch(out, ['--roster', roster, '--anonymise']);
    expect(first.code).toBe(0);
    const ids = csv(path.join(out, 'gradebook.csv')).slice(2).map((r) => r[0]);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(/^anon-[0-9a-f]{8}$/);
    expect(csv(path.join(out, 'gradebook.csv'))[0]).toEqual(['student', 'lab-01', 'lab-03', 'lab-04', 'total', 'notes']);
    expect(existsSync(path.join(out, 'moodle.csv'))).toBe(false);
    expect(existsSync(path.join(out, 'canvas.csv'))).toBe(false);
    for (const file of sharedFiles(out)) {
      const text = read(file);
      for (const secret of ['amartin', 'Martin', 'Alice', 'alice.martin', 'bdurand', 'Bruno', '21001', '=2+5']) {
        expect({ file: path.relative(out, file), has: text.includes(secret) }).toEqual({ file: path.relative(out, file), has: false });
      }
    }
    expect(readdirSync(path.join(out, 'feedback')).sort()).toEqual([...ids].sort());
    // Stable: the same ids at the next run into the same OUT, and with a shared key in any OUT.
    await batch(out, ['--roster', roster, '--anonymise']);
    expect(csv(path.join(out, 'gradebook.csv')).slice(2).map((r) => r[0])).toEqual(ids);
    const a = await batch(path.join(root, 'a'), ['--roster', roster, '--anonymise'], { DOCKERLAB_ANONYMISE_KEY: 'course-2025' });
    const b = await batch(path.join(root, 'b'), ['--roster', roster, '--anonymise'], { DOCKERLAB_ANONYMISE_KEY: 'course-2025' });
    expect(a.code + b.code).toBe(0);
    expect(read(root, 'a', 'gradebook.csv')).toEqual(read(root, 'b', 'gradebook.csv'));
    expect(csv(path.join(root, 'a', 'gradebook.csv')).slice(2).map((r) => r[0])).not.toEqual(ids);
  });

  it('a run with --anonymise after one without removes the files that name students', async () => {
    const out = path.join(root, 'out');
    const roster = classWithRoster();
    await batch(out, ['--roster', roster]);
    expect(existsSync(path.join(out, 'feedback', '21001'))).toBe(true);
    await batch(out, ['--roster', roster, '--anonymise']);
    expect(existsSync(path.join(out, 'feedback', '21001'))).toBe(false);
    expect(existsSync(path.join(out, 'moodle.csv'))).toBe(false);
  });
});

describe('feedback in Markdown', () => {
  it('in French: score, table of checks, what to fix with expected, observed and hint', async () => {
    const out = path.join(root, 'out');
    writeDirectLayout(path.join(dir, 'zoe'), { 'lab-03': ['builds', '#observed=USER root (uid 0)'] });
    await batch(out, ['--lang', 'fr']);
    const md = read(out, 'feedback', 'zoe', 'lab-03.md');
    expect(md).toContain('# lab-03 — Image non-root');
    expect(md).toMatch(/\*\*Note : 2 \/ 10\*\* · zoe · corrigé le/);
    expect(md).toContain('| ✅ | check builds | 2 / 2 |');
    expect(md).toContain('| ❌ | check non-root-user | 0 / 3 |');
    expect(md).toContain('## À corriger');
    expect(md).toContain('**Observé** :\n\n```text\nUSER root (uid 0)\n```');
    expect(md).toContain('💡 **Piste** : Fix non-root-user.');
    const index = read(out, 'feedback', 'zoe', 'README.md');
    expect(index).toContain('# Retours de zoe');
    expect(index).toContain('| [lab-03](lab-03.md) | Image non-root | 2 / 10 |');
    expect(index).toContain('| lab-01 | Premier conteneur | non rendu |');
  });

  it('in English, with student text that tries to break out of its block or inject HTML kept inert', async () => {
    const out = path.join(root, 'out');
    writeDirectLayout(path.join(dir, 'zoe'), { 'lab-03': ['builds', '#observed=```</details><img src=x onerror=alert(1)> # title'] });
    await batch(out, ['--lang', 'en']);
    const md = read(out, 'feedback', 'zoe', 'lab-03.md');
    expect(md).toMatch(/\*\*Score: 2 \/ 10\*\* · zoe · graded on/);
    expect(md).toContain('## To fix');
    expect(md).toContain('**Observed**:\n\n````text\n```</details><img src=x onerror=alert(1)> # title\n````');
    expect(md).toContain('💡 **Hint**: Fix');
  });

  it('an error is told as the grader’s, not the student’s, in both languages', async () => {
    const out = path.join(root, 'out');
    writeDirectLayout(path.join(dir, 'zoe'), { 'lab-03': ['#throw-always'] });
    await batch(out, ['--lang', 'fr']);
    const fr = read(out, 'feedback', 'zoe', 'lab-03.md');
    expect(fr).toContain('## Erreurs du correcteur');
    expect(fr).toContain("Le correcteur n'a pas pu évaluer ce rendu (ce n'est pas une erreur de l'étudiant) : the engine closed the connection");
    await batch(path.join(root, 'en'), ['--lang', 'en']);
    expect(read(root, 'en', 'feedback', 'zoe', 'lab-03.md')).toContain('## Grader errors');
  });
});

describe('results.jsonl, JUnit and the report', () => {
  it('results.jsonl holds every result object with its batch fields; junit.xml a suite per student and lab', async () => {
    const out = path.join(root, 'out');
    writeDirectLayout(path.join(dir, 'amy'), { 'lab-03': ['builds'], 'lab-04': [] });
    writeDirectLayout(path.join(dir, 'ben'), { 'lab-03': ['builds', 'http-ok'] });
    await batch(out);
    const lines = read(out, 'results.jsonl').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { batch: Record<string, unknown> });
    expect(lines).toHaveLength(3);
    expect(Object.keys(lines[0]!)).toEqual(expect.arrayContaining(['lab', 'title', 'score', 'maxScore', 'checks', 'lang', 'submission', 'notes', 'grader', 'batch']));
    expect(lines[0]!.batch).toMatchObject({ student: 'amy', lab: 'lab-03', specHash: expect.stringMatching(/^sha256:/), submissionHash: expect.stringMatching(/^sha256:/), graderVersion: 'fake-1', attempts: 1 });
    const junit = read(out, 'junit.xml');
    expect(junit).toMatch(/<testsuites name="dockerlab" tests="10" failures="7" errors="0"/);
    expect(junit).toContain('<testsuite name="amy/lab-03 — Image non-root"');
    expect(junit).toContain('classname="ben/lab-03"');
  });

  it('report.html escapes what came from students and loads nothing from anywhere', async () => {
    const out = path.join(root, 'out');
    writeDirectLayout(path.join(dir, '<img src=x onerror=alert(1)>'), { 'lab-03': ['#fault-always', '#observed=<script>alert(2)</script>'] });
    await batch(out);
    const html = read(out, 'report.html');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('Content-Security-Policy" content="default-src \'none\'');
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
  });
});

describe('Markdown escaping', () => {
  it('student text inline can neither format, link, embed nor break a table, and stays readable', async () => {
    const { mdInline } = await import('../../grader/src/batch/feedback-markdown.js');
    expect(mdInline("L'image (docker build) : /app")).toBe("L'image (docker build) : /app");
    expect(mdInline('a | b')).toBe('a \\| b');
    expect(mdInline('![x](http://evil/x.png) <img src=x> **bold** `code`')).toBe('\\!\\[x\\](http:\\/\\/evil/x.png) \\<img src=x\\> \\*\\*bold\\*\\* \\`code\\`');
    expect(mdInline('see www.evil.org\nnext line')).toBe('see www\\.evil.org ⏎ next line');
  });
});
