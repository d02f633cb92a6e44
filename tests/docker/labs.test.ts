import { grade } from '../../grader/src/grade.js';
import type { Result } from '../../grader/src/result.js';
import { labelled, NOTHING_LABELLED } from '../helpers/engine.js';
import { assembleSubmission, removeDir, variantsOf } from '../helpers/submissions.js';

const LABS = ['lab-01', 'lab-03', 'lab-04'];

function statuses(result: Result): Record<string, string[]> {
  const by: Record<string, string[]> = { passed: [], failed: [], skipped: [], error: [] };
  for (const c of result.checks) by[c.status]!.push(c.id);
  for (const list of Object.values(by)) list.sort();
  return by;
}

describe.each(LABS)('%s', (lab) => {
  const variants = variantsOf(lab);

  it('has a reference solution and at least five wrong variants', () => {
    expect(variants.filter((v) => v.failed.length === 0 && v.skipped.length === 0).length).toBeGreaterThanOrEqual(1);
    expect(variants.filter((v) => v.failed.length > 0).length).toBeGreaterThanOrEqual(5);
  });

  it.each(variants.map((v) => [v.name, v] as const))('%s', async (_name, variant) => {
    const dir = assembleSubmission(lab, variant.name);
    try {
      const result = await grade({ lab, submission: dir, lang: 'en' });
      const by = statuses(result);
      const detail = result.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id} ${c.status}: ${c.message}`).join('\n');
      expect({ failed: by.failed, skipped: by.skipped, error: by.error, detail }).toEqual({
        failed: [...variant.failed].sort(),
        skipped: [...variant.skipped].sort(),
        error: [],
        detail: expect.any(String),
      });
      const lost = result.checks.filter((c) => c.status !== 'passed').reduce((sum, c) => sum + c.maxPoints, 0);
      expect(result.score).toBe(result.maxScore - lost);
      for (const c of result.checks.filter((c) => c.status === 'failed')) {
        expect(c.expected).toBeTruthy();
        expect(c.observed).toBeTruthy();
      }
    } finally {
      removeDir(dir);
    }
  });

  it('grades the untouched starter files with a low score, never a crash', async () => {
    const dir = assembleSubmission(lab, null);
    try {
      const result = await grade({ lab, submission: dir, lang: 'fr' });
      expect(result.score).toBeLessThan(result.maxScore / 2);
      expect(result.checks.some((c) => c.status === 'error')).toBe(false);
      expect(result.checks.filter((c) => c.status === 'failed').every((c) => c.hint)).toBe(true);
    } finally {
      removeDir(dir);
    }
  });

  afterAll(async () => {
    expect(await labelled()).toEqual(NOTHING_LABELLED);
  });
});
