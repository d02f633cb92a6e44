import type { Lang } from '../i18n/lang.js';
import type { CheckResult, Result } from '../result.js';
import type { LabInfo } from './types.js';

/**
 * Why grade() threw, told apart by the error's name so that the batch needs none
 * of the spine's modules (and a fake grader can throw the same names):
 * - fatal: no engine answers; nothing else can be graded, the batch stops (exit 3);
 * - lab: the teacher's lab spec is invalid; no submission of that lab can be graded;
 * - submission: this submission cannot be graded as given (a usage error);
 * - engine: anything else, an engine fault: retried once.
 */
export type FailureKind = 'fatal' | 'lab' | 'submission' | 'engine';

export function classifyFailure(error: unknown): FailureKind {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'NoEngineError') return 'fatal';
  if (name === 'InvalidSpecError') return 'lab';
  if (name === 'UsageError') return 'submission';
  return 'engine';
}

export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error);
}

export function errorChecksOf(result: Result): string[] {
  return result.checks.filter((c) => c.status === 'error').map((c) => c.id);
}

const COULD_NOT_GRADE: Record<Lang, string> = {
  fr: "Le correcteur n'a pas pu évaluer ce rendu (ce n'est pas une erreur de l'étudiant) : {reason}",
  en: 'The grader could not evaluate this submission (not the student’s fault): {reason}',
};

/**
 * The result of a grading that could not run at all: every check of the spec is
 * `error` with the reason, so the gap shows everywhere as an error, never as a 0.
 */
export function unableToGrade(lab: LabInfo, lang: Lang, submission: string, reason: string, graderVersion: string): Result {
  const message = COULD_NOT_GRADE[lang].replace('{reason}', reason);
  const checks: CheckResult[] = lab.checks.map((c) => ({
    id: c.id,
    title: c.title ?? c.id,
    status: 'error',
    points: 0,
    maxPoints: c.points,
    message,
    hint: null,
    expected: null,
    observed: null,
    durationMs: 0,
  }));
  return {
    lab: lab.id,
    title: lab.title[lang],
    score: 0,
    maxScore: lab.maxScore,
    checks,
    actions: [],
    lang,
    submission,
    notes: [message],
    durationMs: 0,
    isolation: lab.kind === 'image' ? 'engine' : 'sandbox',
    grader: { version: graderVersion },
  };
}
