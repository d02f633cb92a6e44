/**
 * The student's loop without an engine: which saves count, the debounced
 * re-grading (fake timers), what changed between two gradings, the history
 * file (incl. a damaged one) and the overview in both languages.
 */
import { jest } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CheckResult, Result } from '../../grader/src/result.js';
import { score } from '../../grader/src/result.js';
import { Rerunner } from '../../grader/src/student/debounce.js';
import { diffResults, renderDiff } from '../../grader/src/student/diff.js';
import { loadHistory, recordGrading, rememberGrading } from '../../grader/src/student/history.js';
import { isIgnoredChange } from '../../grader/src/student/ignore.js';
import { renderOverview } from '../../grader/src/student/overview.js';
import { watchAndGrade } from '../../grader/src/student/watch.js';

const check = (id: string, status: CheckResult['status'], maxPoints = 2): CheckResult => ({
  id, title: `Title of ${id}`, status, points: status === 'passed' ? maxPoints : 0, maxPoints, message: '', hint: null, expected: null, observed: null, durationMs: 1,
});
const resultOf = (lab: string, checks: CheckResult[], lang: 'fr' | 'en' = 'en'): Result => ({
  lab, title: lab, ...score(checks), checks, actions: [], lang, submission: '/tmp/sub', notes: [], durationMs: 1, isolation: 'engine', sandbox: null, grader: { version: '0' }, ungradable: null,
});

describe('which changes count as a save', () => {
  it.each(['Dockerfile', 'app.py', 'src/app.py', 'schema.sql', 'logo.svg', 'movie.swf', 'config/nginx.conf', '.dockerignore', 'commands.sh', 'compose.yaml'])('%s counts', (file) => {
    expect(isIgnoredChange(file)).toBe(false);
  });
  it.each([
    '.Dockerfile.swp', '.Dockerfile.swx', 'src/.app.py.swo', '4913', 'Dockerfile~', '#Dockerfile#', '.#Dockerfile',
    'Dockerfile___jb_tmp___', 'Dockerfile___jb_old___', 'Dockerfile.tmp.4242', 'app.py.3f2a1b9c.tmp',
    '.git/index', '.git', 'node_modules/x/index.js', 'src/node_modules/y', '__pycache__/app.cpython-312.pyc', '.DS_Store', '',
  ])('%s is ignored', (file) => {
    expect(isIgnoredChange(file)).toBe(true);
  });
  it('handles Windows separators', () => {
    expect(isIgnoredChange('.git\\HEAD')).toBe(true);
    expect(isIgnoredChange('src\\app.py')).toBe(false);
  });
});

describe('the re-grading after saves', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('waits for the quiet time and runs once for a burst of saves', async () => {
    const runs: string[][] = [];
    const r = new Rerunner<string>(300, async (changes) => void runs.push(changes));
    r.note('Dockerfile');
    jest.advanceTimersByTime(200);
    r.note('app.py');
    jest.advanceTimersByTime(299);
    expect(runs).toEqual([]);
    jest.advanceTimersByTime(1);
    await Promise.resolve();
    expect(runs).toEqual([['Dockerfile', 'app.py']]);
  });

  it('never runs two at once: saves during a run give exactly one run after it', async () => {
    let release!: () => void;
    const runs: string[][] = [];
    let concurrent = 0;
    let most = 0;
    const r = new Rerunner<string>(300, async (changes) => {
      runs.push(changes);
      most = Math.max(most, ++concurrent);
      await new Promise<void>((resolve) => (release = resolve));
      concurrent--;
    });
    r.note('Dockerfile');
    jest.advanceTimersByTime(300);
    expect(runs).toHaveLength(1);
    for (const file of ['a', 'b', 'a', 'c']) {
      r.note(file);
      jest.advanceTimersByTime(1000);
    }
    expect(runs).toHaveLength(1);
    release();
    await jest.advanceTimersByTimeAsync(0);
    await jest.advanceTimersByTimeAsync(300);
    expect(runs).toEqual([['Dockerfile'], ['a', 'b', 'c']]);
    release();
    await jest.advanceTimersByTimeAsync(5000);
    expect(runs).toHaveLength(2);
    expect(most).toBe(1);
  });

  it('stop() cancels a waiting run and waits for the one under way', async () => {
    const runs: string[][] = [];
    const r = new Rerunner<string>(300, async (changes) => void runs.push(changes));
    r.note('x');
    await r.stop();
    jest.advanceTimersByTime(1000);
    r.note('y');
    jest.advanceTimersByTime(1000);
    expect(runs).toEqual([]);
  });
});

describe('what changed since the last grade', () => {
  const before = resultOf('lab-03', [check('builds', 'passed'), check('non-root', 'failed'), check('http', 'skipped'), check('label', 'passed')]);
  const after = resultOf('lab-03', [check('builds', 'passed'), check('non-root', 'passed'), check('http', 'passed'), check('label', 'failed')]);

  it('names newly passing and newly failing checks and the score move', () => {
    const diff = diffResults(before, after);
    expect(diff.newlyPassing).toEqual(['Title of non-root', 'Title of http']);
    expect(diff.newlyFailing).toEqual(['Title of label']);
    expect(diff.before.score).toBe(4);
    expect(diff.after.score).toBe(6);
  });

  it('renders in English and French', () => {
    const diff = diffResults(before, after);
    expect(renderDiff(diff, 'en')).toBe('Since the last grade: score 4/8 → 6/8 (+2 pt)\n  ✓ now passing: Title of non-root, Title of http\n  ✗ now failing: Title of label\n');
    expect(renderDiff(diff, 'fr')).toMatch(/^Depuis la dernière correction : score 4\/8 → 6\/8 \(\+2 pt\)\n {2}✓ réussi\(s\) maintenant : Title of non-root, Title of http\n {2}✗ échoue\(nt\) maintenant : Title of label\n$/);
    expect(renderDiff(diffResults(after, before), 'en')).toMatch(/score 6\/8 → 4\/8 \(−2 pt\)/);
  });

  it('says when nothing changed', () => {
    expect(renderDiff(diffResults(after, after), 'en')).toBe('Since the last grade: nothing changed (score 6/8)\n');
  });
});

describe('the history file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'dlt-watch-history-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts empty, records the last grading per lab, and reads back what it wrote', () => {
    const file = path.join(dir, 'sub', 'history.json');
    expect(loadHistory(file)).toEqual({ history: { version: 1, labs: {} }, corrupt: null });
    recordGrading(file, resultOf('lab-03', [check('a', 'failed')]), new Date('2026-01-01T10:00:00Z'));
    recordGrading(file, resultOf('lab-03', [check('a', 'passed')]), new Date('2026-01-01T11:00:00Z'));
    recordGrading(file, resultOf('lab-05', [check('a', 'failed'), check('b', 'passed')]), new Date('2026-01-02T09:00:00Z'));
    const { history, corrupt } = loadHistory(file);
    expect(corrupt).toBeNull();
    expect(history.labs['lab-03']).toMatchObject({ score: 2, maxScore: 2, passed: 1, total: 1, at: '2026-01-01T11:00:00.000Z' });
    expect(history.labs['lab-05']).toMatchObject({ score: 2, maxScore: 4, passed: 1, total: 2 });
    expect(readdirSync(path.dirname(file))).toEqual(['history.json']);
  });

  it.each([
    ['not JSON', '{"version": 1, "labs": {'],
    ['another shape', '[1, 2]'],
    ['an entry without a date', '{"version":1,"labs":{"lab-03":{"score":1,"maxScore":2}}}'],
  ])('a damaged file (%s) is set aside with a clear message and a fresh history starts', (_what, text) => {
    const file = path.join(dir, 'history.json');
    writeFileSync(file, text);
    const warnings: string[] = [];
    rememberGrading(resultOf('lab-03', [check('a', 'passed')], 'en'), (t) => warnings.push(t), file);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^The history ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} cannot be read \\(.+\\): it is set aside as .+\\.corrupt-\\d+ and a new one starts\\.\\n$`));
    const backup = readdirSync(dir).find((f) => f.includes('.corrupt-'))!;
    expect(readFileSync(path.join(dir, backup), 'utf8')).toBe(text);
    expect(Object.keys(loadHistory(file).history.labs)).toEqual(['lab-03']);
  });

  it('a history that cannot be written is said, in the report language, not thrown', () => {
    const blocker = path.join(dir, 'file');
    writeFileSync(blocker, 'x');
    const warnings: string[] = [];
    rememberGrading(resultOf('lab-03', [check('a', 'passed')], 'fr'), (t) => warnings.push(t), path.join(blocker, 'history.json'));
    expect(warnings.join('')).toMatch(/^L’historique .+ n’a pas pu être écrit \((ENOTDIR|EEXIST)\)/);
    expect(existsSync(path.join(dir, 'history.json'))).toBe(false);
  });
});

describe('the overview of every lab', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  const history = {
    version: 1 as const,
    labs: {
      'lab-01': { lab: 'lab-01', score: 10, maxScore: 10, passed: 5, total: 5, at: '2026-03-10T11:57:00Z', submission: '/x', ungradable: false },
      'lab-03': { lab: 'lab-03', score: 12, maxScore: 20, passed: 6, total: 10, at: '2026-03-08T09:00:00Z', submission: '/x', ungradable: false },
    },
  };
  const labs = [{ id: 'lab-01', title: 'Premiers conteneurs' }, { id: 'lab-02', title: 'Volumes' }, { id: 'lab-03', title: 'Image non-root' }, { id: 'lab-04', title: null }, { id: 'lab-09', title: 'Docker Compose: a three-service application' }];

  it('shows not started / last score and when, in English', () => {
    const text = renderOverview(labs, history, 'en', now);
    expect(text.split('\n')[0]).toBe('Your labs (2/5 started)');
    expect(text).toMatch(/lab-09  Docker Compose: a three-service applica… {2}not started/);
    expect(text).toMatch(/✓ lab-01 {2}Premiers conteneurs +10\/10 \(full marks\) {2}3 min ago/);
    expect(text).toMatch(/· lab-02 {2}Volumes +not started/);
    expect(text).toMatch(/◐ lab-03 {2}Image non-root +12\/20 {2}2 d ago/);
    expect(text).toMatch(/· lab-04 {2}invalid lab.json +not started/);
  });

  it('and in French', () => {
    const text = renderOverview(labs, history, 'fr', now);
    expect(text.split('\n')[0]).toBe('Vos labs (2/5 commencés)');
    expect(text).toMatch(/✓ lab-01 .* \(tous les points\) {2}il y a 3 min/);
    expect(text).toMatch(/lab-02 .*pas commencé/);
    expect(text).toMatch(/lab-03 .*12\/20 {2}il y a 2 j/);
    expect(text).toContain('npm run grade lab-NN');
  });
});

describe('watchAndGrade', () => {
  it('grades, grades again after a save (not after an editor temp file), prints the diff, stops on abort', async () => {
    const results = [resultOf('lab-03', [check('a', 'failed')]), resultOf('lab-03', [check('a', 'passed')])];
    let gradings = 0;
    let onChange!: (file: string | null) => void;
    let closed = false;
    const out: string[] = [];
    const controller = new AbortController();
    const done = watchAndGrade({
      folder: '/tmp/sub',
      lang: 'en',
      gradeOnce: async () => results[gradings++]!,
      out: (t) => out.push(t),
      status: () => undefined,
      signal: controller.signal,
      quietMs: 20,
      watchFolder: (_folder, cb) => {
        onChange = cb;
        return { close: () => void (closed = true) };
      },
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(gradings).toBe(1);
    onChange('.Dockerfile.swp');
    onChange('4913');
    await new Promise((r) => setTimeout(r, 60));
    expect(gradings).toBe(1);
    onChange('Dockerfile');
    await new Promise((r) => setTimeout(r, 60));
    expect(gradings).toBe(2);
    expect(out.join('')).toContain('Since the last grade: score 0/2 → 2/2 (+2 pt)');
    controller.abort();
    const last = await done;
    expect(last).toBe(results[1]);
    expect(closed).toBe(true);
  });
});
