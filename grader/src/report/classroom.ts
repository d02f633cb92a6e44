import { MESSAGES } from '../i18n/messages.js';
import type { CheckResult, Result } from '../result.js';
import { ReporterUsageError } from './errors.js';
import { fileOutput } from './output.js';
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
const round = (n: number) => Math.round(n * 100) / 100;

/**
 * The `result` output of a grader step: every check a test with its own (fractional)
 * score, so the grading reporter's sum is our score, partial credit included.
 * `error` when a check could not be evaluated (the grade is not the student's), else
 * `fail` when points are missing.
 */
export function classroomPayload(results: Result[]): ClassroomPayload {
  const checks = results.flatMap((result) => result.checks.map((check) => ({ result, check })));
  const status = checks.some(({ check }) => check.status === 'error') ? 'error' : checks.every(({ check }) => check.status === 'passed') ? 'pass' : 'fail';
  return {
    version: 1,
    status,
    max_score: round(results.reduce((sum, r) => sum + r.maxScore, 0)),
    tests: checks.map(({ result, check }) => ({
      name: oneLine(`${result.lab} › ${check.title} [${check.id}]`),
      status: check.status === 'passed' ? 'pass' : check.status === 'error' ? 'error' : 'fail',
      score: check.points,
      message: testMessage(check, result),
      test_code: '',
      filename: check.location ? oneLine(check.location.file) : '',
      line_no: check.location?.line ?? 0,
      duration: check.durationMs,
    })),
  };
}

/** The grading reporter prints these messages in the log: no line of them may read as a workflow command. */
function testMessage(check: CheckResult, result: Result): string {
  const m = MESSAGES[result.lang];
  const colon = result.lang === 'fr' ? ' : ' : ': ';
  const points = `${check.points}/${check.maxPoints} pt`;
  const body = check.status === 'failed' && check.expected !== null && check.observed !== null
    ? `${m.expected}${colon}${check.expected}\n${m.observed}${colon}${check.observed}`
    : check.message;
  const text = safeText(`${points} — ${body}${check.hint && check.status !== 'passed' ? `\n${m.hint}${colon}${check.hint}` : ''}`);
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

export function encodeClassroomResult(payload: ClassroomPayload): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');
}

export const classroomReporter: ReporterFactory = {
  name: 'classroom',
  description: 'GitHub Classroom: the step output `result` (base64 grader-action JSON, partial credit per check) in $GITHUB_OUTPUT, or =FILE',
  create(options) {
    const file = options.destination?.kind === 'file' ? options.destination.path : options.env.GITHUB_OUTPUT || undefined;
    if (!file) {
      throw new ReporterUsageError('the classroom reporter writes the step output `result` to $GITHUB_OUTPUT, which is not set here (not inside GitHub Actions); give a file instead: --reporter classroom=FILE');
    }
    const out = fileOutput(file);
    const graded: Result[] = [];
    return {
      name: 'classroom',
      onResult(result) {
        // Several gradings in one process give one `result`: a later line replaces an earlier one.
        graded.push(result);
        out.append(`result=${encodeClassroomResult(classroomPayload(graded))}\n`);
      },
    };
  },
};
