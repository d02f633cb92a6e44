import type { Lang } from './i18n/lang.js';

export type CheckStatus = 'passed' | 'failed' | 'skipped' | 'error';

/** A place in the student's files (path relative to the submission folder), for annotations and reports. */
export interface SourceLocation {
  file: string;
  line: number;
}

/** One line of the result contract (shared/ARCHITECTURE.md); extra fields are additions, never renames. */
export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  points: number;
  maxPoints: number;
  /** What was expected and what was observed, in the result's language. */
  message: string;
  hint: string | null;
  expected: string | null;
  observed: string | null;
  durationMs: number;
  /** Where in the student's files the fault lies, when the grader knows (failing instruction, USER line…). */
  location?: SourceLocation | null;
}

/** What an action between checks (rebuild, remove a container, POST /break…) did. Actions carry no points. */
export type ActionStatus = 'done' | 'failed' | 'skipped' | 'error';

export interface ActionResult {
  id: string;
  action: string;
  title: string;
  status: ActionStatus;
  /** What happened, or why it could not be done, in the result's language. */
  message: string;
  durationMs: number;
  /** Id of the check this action comes after in the lab's steps (null: before the first check). */
  after: string | null;
}

export interface Result {
  lab: string;
  title: string;
  score: number;
  maxScore: number;
  checks: CheckResult[];
  actions: ActionResult[];
  lang: Lang;
  submission: string;
  /** What the grader did around the checks that the student should know (objects removed, stand-ins built…). */
  notes: string[];
  durationMs: number;
  /**
   * Milliseconds spent in each stage of the grading (grade.ts: resolve, engine, isolation,
   * workload, steps, cleanup): where a slow grading's time went. Absent in results written
   * before stages were timed, and in a batch's record of a grading that could not run.
   */
  timings?: Record<'resolve' | 'engine' | 'isolation' | 'workload' | 'steps' | 'cleanup', number>;
  /** Where student work ran: a throw-away sandbox engine, or the engine itself (`--sandbox off`, image labs). */
  isolation: 'sandbox' | 'engine';
  /**
   * For script and Compose labs: the sandbox profile the grading ran with (null: none could
   * be made, see notes), whether it holds the hostile table, and every profile not used with
   * why (not safe, this machine's preflight, a failed start). Absent or null for image labs.
   */
  sandbox?: { profile: string | null; safe: boolean; refused: { profile: string; reason: string }[] } | null;
  grader: { version: string };
  /** Set when the lab's main deliverable (its Dockerfile, its commands.sh…) is missing: nothing of the student's could be graded. */
  ungradable?: { reason: string } | null;
}

export function score(checks: CheckResult[]): { score: number; maxScore: number } {
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    score: round(checks.reduce((sum, c) => sum + c.points, 0)),
    maxScore: round(checks.reduce((sum, c) => sum + c.maxPoints, 0)),
  };
}

/** 0 when every check passed, 1 otherwise: the exit code comes from the score, not from a reporter. */
export function exitCodeFor(result: Result): 0 | 1 {
  return result.checks.every((c) => c.status === 'passed') ? 0 : 1;
}
