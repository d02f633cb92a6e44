import type { CheckResult, CheckStatus } from '../result.js';
import type { LabCase } from '../spec/cases.js';

/** What a case's grading gave, reduced to what a teacher's expectation speaks of. */
export interface Observed {
  score: number;
  maxScore: number;
  checks: Pick<CheckResult, 'id' | 'status' | 'message' | 'maxPoints' | 'points'>[];
}

/** One check whose verdict is not the one the case expects. */
export interface Difference {
  check: string;
  expected: CheckStatus;
  observed: CheckStatus;
  /** The grader's message for that check (what it expected and observed). */
  message: string;
}

/** The check verdict a case expects: failed or skipped when it names it so, passed otherwise. */
export function expectedStatus(labCase: Pick<LabCase, 'failed' | 'skipped'>, check: string): CheckStatus {
  if (labCase.failed.includes(check)) return 'failed';
  if (labCase.skipped.includes(check)) return 'skipped';
  return 'passed';
}

/** Every check whose observed verdict differs from the expected one, in the lab's order; an error is never expected. */
export function compareVerdicts(labCase: Pick<LabCase, 'failed' | 'skipped'>, observed: Observed): Difference[] {
  const differences: Difference[] = [];
  const seen = new Set<string>();
  for (const c of observed.checks) {
    seen.add(c.id);
    const expected = expectedStatus(labCase, c.id);
    if (c.status !== expected) differences.push({ check: c.id, expected, observed: c.status, message: c.message });
  }
  // A check the expectation names that the grading did not report at all (the lab changed under the case).
  for (const id of [...labCase.failed, ...labCase.skipped]) {
    if (!seen.has(id)) differences.push({ check: id, expected: expectedStatus(labCase, id), observed: 'error', message: 'the grading reported no such check' });
  }
  return differences;
}

/** A one-line verdict: "full marks", or the failed / skipped checks. */
export function verdictText(v: { failed: readonly string[]; skipped: readonly string[] }): string {
  if (v.failed.length === 0 && v.skipped.length === 0) return 'full marks';
  return [v.failed.length ? `fails ${[...v.failed].sort().join(', ')}` : '', v.skipped.length ? `skips ${[...v.skipped].sort().join(', ')}` : ''].filter(Boolean).join('; ');
}

export function observedVerdict(observed: Observed): { failed: string[]; skipped: string[]; error: string[] } {
  const of = (status: CheckStatus) => observed.checks.filter((c) => c.status === status).map((c) => c.id).sort();
  return { failed: of('failed'), skipped: of('skipped'), error: of('error') };
}

export type LabProblemKind = 'no-cases' | 'no-reference' | 'reference-not-full' | 'unnamed-loss' | 'never-fails' | 'starter-full' | 'starter-error';

/** Something wrong with the lab itself, not with one case's expectation alone. */
export interface LabProblem {
  kind: LabProblemKind;
  message: string;
  case?: string;
  check?: string;
}

/**
 * The lab's problems, from its cases and what their gradings observed (a case
 * absent from `outcomes` was not graded: interrupted, or it could not be
 * assembled). A check nothing can fail is a defect: either the check cannot
 * fail or the lab has no case showing the mistake it is there to catch.
 */
export function labProblems(checkIds: readonly string[], cases: readonly LabCase[], outcomes: ReadonlyMap<string, Observed>): LabProblem[] {
  const problems: LabProblem[] = [];
  if (cases.length === 0) {
    problems.push({ kind: 'no-cases', message: 'the lab has no cases: add tests/cases.json and a folder per case (npm run grade -- new-lab writes an example)' });
    return problems;
  }
  const references = cases.filter((c) => c.reference);
  if (references.length === 0) problems.push({ kind: 'no-reference', message: 'no reference: no case expects full marks (an entry with no "failed" and no "skipped"); without one, nothing proves the lab can be passed' });
  for (const ref of references) {
    const seen = outcomes.get(ref.name);
    if (seen && seen.score < seen.maxScore) {
      const lost = seen.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id} ${c.status}`).join(', ');
      problems.push({ kind: 'reference-not-full', case: ref.name, message: `reference ${ref.name} scores ${seen.score}/${seen.maxScore}, not full marks (${lost})` });
    }
  }
  for (const c of cases) {
    if (c.reference) continue;
    const seen = outcomes.get(c.name);
    if (!seen) continue;
    for (const check of seen.checks) {
      if (check.status !== 'passed' && check.maxPoints > 0 && expectedStatus(c, check.id) === 'passed') {
        problems.push({ kind: 'unnamed-loss', case: c.name, check: check.id, message: `${c.name} loses points on ${check.id} (${check.status}), a check it does not name` });
      }
    }
  }
  // Only meaningful once every case was graded: a case not run could be the one that fails it.
  if (cases.every((c) => outcomes.has(c.name))) {
    for (const id of checkIds) {
      const failedSomewhere = [...outcomes.values()].some((o) => o.checks.some((c) => c.id === id && c.status === 'failed'));
      if (!failedSomewhere) problems.push({ kind: 'never-fails', check: id, message: `no case fails ${id}: a check nothing can fail is a defect; add a wrong case that makes that mistake` });
    }
  }
  return problems;
}
