import { readFileSync } from 'node:fs';
import { MESSAGES } from '../i18n/messages.js';
import type { CheckResult, Result } from '../result.js';
import { ReporterUsageError } from './errors.js';
import { fileOutput } from './output.js';
import { formatPoints, roundPoints } from './points.js';
import { oneLine, safeText } from './sanitize.js';
import type { ReporterFactory } from './types.js';

/** One test of the grader-action format read by classroom-resources/autograding-grading-reporter. */
export interface ClassroomTest {
  name: string;
  status: 'pass' | 'fail' | 'error';
  score: number;
  message: string;
  test_code: string;
  filename: string;
  line_no: number;
  duration: number;
}

export interface ClassroomPayload {
  version: 1;
  status: 'pass' | 'fail' | 'error';
  max_score: number;
  tests: ClassroomTest[];
}

const MAX_MESSAGE = 2000;
/** Past this many tests the log would be a wall of lines: one test per check instead (see classroomPayload). */
export const MAX_CLASSROOM_TESTS = 300;
/**
 * The runner passes the encoded payload to the reporter in an environment variable,
 * and Linux refuses a single one over 128 KiB (MAX_ARG_STRLEN): messages are cut
 * so the base64 stays well below.
 */
export const MAX_ENCODED_BYTES = 96 * 1024;

const hundredths = (n: number) => Math.round(Number((n * 100).toPrecision(15)));
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The `result` output of a grader step, shaped for what
 * classroom-resources/autograding-grading-reporter prints (src/notify-classroom.js,
 * src/console-results.js, src/aggregate-results.js, src/helpers/test-helpers.js):
 * - the notices `Points X/Y` and `{"totalPoints","maxPoints"}`, which Classroom
 *   records, add up `tests[].score` and `max_score`;
 * - the log's "Total points for RUNNER" line and its table print
 *   (tests with status `pass` / number of tests) × `max_score`, whatever each test's
 *   score.
 * Both give the grade only if every test weighs the same. So each check becomes as
 * many tests as it has units of points, the unit being the largest amount that
 * divides every check's points and maximum (1 pt for whole points, 0.5 pt when a
 * half point was given…): a check worth 3 pt with 1 pt earned is 3 tests, 1 passed.
 * A passed test scores one unit, the others 0, so both sums are the grade. (When
 * that would take more than MAX_CLASSROOM_TESTS tests, e.g. points in hundredths,
 * each check is one test with its score: the notices stay right, the log's ratio
 * does not.)
 * `error` when a check could not be evaluated (the grade is not the student's),
 * else `fail` when points are missing.
 */
export function classroomPayload(results: Result[]): ClassroomPayload {
  const checks = results.flatMap((result) => result.checks.map((check) => ({ result, check })));
  const status = checks.some(({ check }) => check.status === 'error') ? 'error' : checks.every(({ check }) => check.status === 'passed') ? 'pass' : 'fail';
  const maxScore = roundPoints(results.reduce((sum, r) => sum + r.maxScore, 0));
  const total = roundPoints(results.reduce((sum, r) => sum + r.score, 0));
  const unit = checks.reduce((g, { check }) => gcd(gcd(g, hundredths(check.points)), hundredths(check.maxPoints)), 0);
  const units = unit > 0 ? hundredths(maxScore) / unit : 0;
  const byUnits = unit > 0 && units <= MAX_CLASSROOM_TESTS && checks.every(({ check }) => check.points >= 0 && check.points <= check.maxPoints);
  const tests: ClassroomTest[] = byUnits
    ? checks.flatMap(({ result, check }) => unitTests(result, check, unit))
    : checks.map(({ result, check }) => ({ ...testOf(result, check, 1, 1), score: check.points }));
  exactSum(tests, total);
  return fit({ version: 1, status, max_score: maxScore, tests });
}

/** One check as `k` tests of one unit each (`unit` in hundredths of a point), the first ones passed for the points earned. */
function unitTests(result: Result, check: CheckResult, unit: number): ClassroomTest[] {
  const k = hundredths(check.maxPoints) / unit;
  const earned = hundredths(check.points) / unit;
  return Array.from({ length: k }, (_, i) => {
    const passed = i < earned;
    const test = testOf(result, check, i + 1, k, unit / 100);
    return { ...test, status: passed ? 'pass' : check.status === 'error' ? 'error' : 'fail', score: passed ? unit / 100 : 0 };
  });
}

function testOf(result: Result, check: CheckResult, i: number, k: number, unit?: number): ClassroomTest {
  const base = `${result.lab} › ${check.title} [${check.id}]`;
  const name = oneLine(k === 1 ? base : `${base} — ${formatPoints(unit ?? 0)} pt ${i}/${k}`);
  return {
    name,
    status: check.status === 'passed' ? 'pass' : check.status === 'error' ? 'error' : 'fail',
    score: 0,
    // The reporter prints `message` alone, without the name, for a test in error: it must say which check it is.
    message: i === 1 ? testMessage(check, result) : safeText(name),
    test_code: '',
    filename: check.location ? oneLine(check.location.file) : '',
    line_no: check.location?.line ?? 0,
    duration: i === 1 ? check.durationMs : 0,
  };
}

/**
 * The reporter adds the scores in order, in floating point: 0.1 + 0.2 would give
 * 0.30000000000000004. The last scoring test takes what makes that sum exactly the
 * grade (the difference is exact there, Sterbenz: the rest is at least half the total).
 */
function exactSum(tests: ClassroomTest[], total: number): void {
  const sum = () => tests.reduce((acc, t) => acc + t.score, 0);
  if (sum() === total) return;
  const last = tests.map((t) => t.score > 0).lastIndexOf(true);
  if (last < 0) return;
  const others = tests.reduce((acc, t, i) => (i === last ? acc : acc + t.score), 0);
  tests[last]!.score = total - others;
}

/** Shortens the messages until the encoded payload fits in one environment variable. */
function fit(payload: ClassroomPayload): ClassroomPayload {
  for (const limit of [MAX_MESSAGE, 500, 120, 0]) {
    const shorter = { ...payload, tests: payload.tests.map((t) => ({ ...t, message: t.message.length > limit ? `${t.message.slice(0, limit)}…` : t.message })) };
    if (encodeClassroomResult(shorter).length <= MAX_ENCODED_BYTES) return shorter;
  }
  return { ...payload, tests: payload.tests.map((t) => ({ ...t, message: '' })) };
}

/** The grading reporter prints these messages in the log: no line of them may read as a workflow command. */
function testMessage(check: CheckResult, result: Result): string {
  const m = MESSAGES[result.lang];
  const colon = result.lang === 'fr' ? ' : ' : ': ';
  const points = `${formatPoints(check.points)}/${formatPoints(check.maxPoints)} pt`;
  const body = check.status === 'failed' && check.expected !== null && check.observed !== null
    ? `${m.expected}${colon}${check.expected}\n${m.observed}${colon}${check.observed}`
    : check.message;
  const text = safeText(`${result.lab} › ${check.title} [${check.id}]${colon}${points} — ${body}${check.hint && check.status !== 'passed' ? `\n${m.hint}${colon}${check.hint}` : ''}`);
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

export function encodeClassroomResult(payload: ClassroomPayload): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');
}

export const classroomReporter: ReporterFactory = {
  name: 'classroom',
  description: 'GitHub Classroom: the step output `result` (base64 grader-action JSON, one test per unit of points) in $GITHUB_OUTPUT, or =FILE; DOCKERLAB_CLASSROOM_RESULTS=FILE sums several gradings of one step',
  create(options) {
    const file = options.destination?.kind === 'file' ? options.destination.path : options.env.GITHUB_OUTPUT || undefined;
    if (!file) {
      throw new ReporterUsageError('the classroom reporter writes the step output `result` to $GITHUB_OUTPUT, which is not set here (not inside GitHub Actions); give a file instead: --reporter classroom=FILE');
    }
    const out = fileOutput(file);
    const graded: Result[] = [];
    // Several gradings of one step, each its own process (one lab after the other): they
    // share a file of results, so the step's last `result` is the total of them all.
    const store = options.env.DOCKERLAB_CLASSROOM_RESULTS || undefined;
    const storeOutput = store ? fileOutput(store) : undefined;
    return {
      name: 'classroom',
      onResult(result) {
        // Several gradings give one `result`: a later line replaces an earlier one.
        graded.push(result);
        let all = graded;
        if (store && storeOutput) {
          storeOutput.append(`${JSON.stringify(result)}\n`);
          all = lastPerLab(readFileSync(store, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Result));
        }
        out.append(`result=${encodeClassroomResult(classroomPayload(all))}\n`);
      },
    };
  },
};

/** One result per lab (and submission), the last one graded: a lab graded again replaces its earlier grading. */
function lastPerLab(results: Result[]): Result[] {
  const byKey = new Map<string, Result>();
  for (const result of results) {
    const key = JSON.stringify([result.lab, result.submission]);
    byKey.delete(key);
    byKey.set(key, result);
  }
  return [...byKey.values()];
}
