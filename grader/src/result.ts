import type { Lang } from './i18n/lang.js';

export type CheckStatus = 'passed' | 'failed' | 'skipped' | 'error';

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
}

export interface Result {
  lab: string;
  title: string;
  score: number;
  maxScore: number;
  checks: CheckResult[];
  lang: Lang;
  submission: string;
  /** What the grader did around the checks that the student should know (objects removed, stand-ins built…). */
  notes: string[];
  durationMs: number;
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
