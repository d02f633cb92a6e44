import { existsSync } from 'node:fs';
import path from 'node:path';
import { BaseImages } from '../../grader/src/engine/base-images.js';
import { grade } from '../../grader/src/grade.js';
import type { Result } from '../../grader/src/result.js';
import { createHostRuntime } from '../../grader/src/engine/runtime.js';
import { labsDir, listLabIds, loadLabFile } from '../../grader/src/spec/load.js';
import { labelled, NOTHING_LABELLED, runtime } from '../helpers/engine.js';
import { assembleSubmission, FIXTURES, removeDir, variantsOf } from '../helpers/submissions.js';

/**
 * Every lab of labs/ is graded here with its fixtures: discovered, not listed, so a
 * new lab without fixtures fails the suite. LABS=lab-02,lab-05 narrows a run.
 */
const ALL = listLabIds();
const LABS = process.env.LABS ? process.env.LABS.split(',') : ALL;
const baseImages = new BaseImages(runtime);

function statuses(result: Result): Record<string, string[]> {
  const by: Record<string, string[]> = { passed: [], failed: [], skipped: [], error: [] };
  for (const c of result.checks) by[c.status]!.push(c.id);
  for (const list of Object.values(by)) list.sort();
  return by;
}

it('every lab has fixtures', () => {
  expect(ALL.filter((lab) => !existsSync(path.join(FIXTURES, lab, 'variants.json')))).toEqual([]);
});

describe.each(LABS)('%s', (lab) => {
  const variants = variantsOf(lab);

  it('has at least two reference solutions and six wrong variants', () => {
    expect(variants.filter((v) => v.failed.length === 0 && v.skipped.length === 0).length).toBeGreaterThanOrEqual(2);
    expect(variants.filter((v) => v.failed.length > 0).length).toBeGreaterThanOrEqual(6);
  });

  it.each(variants.map((v) => [v.name, v] as const))('%s', async (_name, variant) => {
    const dir = assembleSubmission(lab, variant.name);
    try {
      const result = await grade({ lab, submission: dir, lang: 'en', runtime, baseImages, logsDir: null });
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
      const result = await grade({ lab, submission: dir, lang: 'fr', runtime, baseImages, logsDir: null });
      expect(result.score).toBeLessThan(result.maxScore / 2);
      expect(result.checks.some((c) => c.status === 'error')).toBe(false);
      expect(result.checks.filter((c) => c.status === 'failed').every((c) => c.hint)).toBe(true);
    } finally {
      removeDir(dir);
    }
  });

  afterAll(async () => {
    expect(await labelled(lab)).toEqual(NOTHING_LABELLED);
  });
});

/**
 * The same grading with the other builder: GitHub's runners and Docker Desktop
 * build with BuildKit, Debian's engine with the classic builder. Every image
 * lab's references, and all of lab-05 (the lesson is the layer cache, read from
 * each builder's own output), must give the same verdicts with the classic one.
 */
const classic = createHostRuntime({ builder: 'classic' });
const classicImages = new BaseImages(classic);
const IMAGE_LABS = LABS.filter((lab) => loadLabFile(path.join(labsDir(), lab, 'lab.json')).workload.kind === 'image');
describe.each(IMAGE_LABS)('%s with the classic builder', (lab) => {
  const variants = variantsOf(lab).filter((v) => lab === 'lab-05' || (v.failed.length === 0 && v.skipped.length === 0));
  it.each(variants.map((v) => [v.name, v] as const))('%s', async (_name, variant) => {
    const dir = assembleSubmission(lab, variant.name);
    try {
      const result = await grade({ lab, submission: dir, lang: 'en', runtime: classic, baseImages: classicImages, logsDir: null });
      const by = statuses(result);
      expect({ failed: by.failed, skipped: by.skipped, error: by.error }).toEqual({ failed: [...variant.failed].sort(), skipped: [...variant.skipped].sort(), error: [] });
    } finally {
      removeDir(dir);
    }
  });
});
