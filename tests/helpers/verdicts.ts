import type { CaseOutcome } from '../../grader/src/authoring/test-lab.js';
import type { Result } from '../../grader/src/result.js';

/** A result's check ids by status, each list sorted. */
export function statuses(result: Pick<Result, 'checks'>): Record<string, string[]> {
  const by: Record<string, string[]> = { passed: [], failed: [], skipped: [], error: [] };
  for (const c of result.checks) by[c.status]!.push(c.id);
  for (const list of Object.values(by)) list.sort();
  return by;
}

/**
 * A case graded as its cases.json entry says: the checks it names failed or skipped, no other,
 * and no error. On a mismatch the diff shows what each check that did not pass observed, so a
 * flaky verdict is diagnosed from CI's log alone. One helper for every engine's suite
 * (labs.test on the host engine, engine28.test on Docker 28).
 */
export function expectAsExpected(outcome: CaseOutcome | undefined): Result {
  expect(outcome).toBeDefined();
  expect(outcome!.error).toBeUndefined();
  const result = outcome!.result!;
  const by = statuses(result);
  const detail = result.checks
    .filter((c) => c.status !== 'passed')
    .map((c) => `${c.id} ${c.status}: ${c.message} | expected: ${c.expected ?? '-'} | observed: ${c.observed ?? '-'}`)
    .join('\n');
  const want = { failed: [...outcome!.case.failed].sort(), skipped: [...outcome!.case.skipped].sort(), error: [] as string[] };
  const same = JSON.stringify(want) === JSON.stringify({ failed: by.failed, skipped: by.skipped, error: by.error });
  expect({ failed: by.failed, skipped: by.skipped, error: by.error, detail }).toEqual({ ...want, detail: same ? expect.any(String) : '(what the checks observed, shown on a mismatch)' });
  // The tester's own judgement agrees with the suite's.
  expect(outcome!.status).toBe('as-expected');
  expect(outcome!.differences).toEqual([]);
  // Points: only the checks that did not pass cost anything.
  const lost = result.checks.filter((c) => c.status !== 'passed').reduce((sum, c) => sum + c.maxPoints, 0);
  expect(result.score).toBe(result.maxScore - lost);
  return result;
}
