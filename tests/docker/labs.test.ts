import { existsSync } from 'node:fs';
import path from 'node:path';
import { casesDir, CASES_FILE } from '../../grader/src/spec/cases.js';
import { testLab, writeJsonReport, type LabTestReport } from '../../grader/src/authoring/test-lab.js';
import { BaseImages } from '../../grader/src/build/base-images.js';
import { createHostRuntime } from '../../grader/src/engine/runtime.js';
import { STAGES } from '../../grader/src/grade.js';
import type { Result } from '../../grader/src/result.js';
import { labsDir, listLabIds, loadLabFile } from '../../grader/src/spec/load.js';
import { labelled, NOTHING_LABELLED, runtime } from '../helpers/engine.js';
import { ROOT, variantsOf } from '../helpers/submissions.js';
import { expectAsExpected } from '../helpers/verdicts.js';

/**
 * Every lab of labs/ is proven here with its own cases (labs/lab-NN/tests/), through
 * the very code path of `npm run grade -- test-lab` (grader/src/authoring/test-lab.ts):
 * one mechanism, not two. Labs are discovered, not listed, so a new lab without cases
 * fails the suite. LABS=lab-02,lab-05 narrows a run; LAB_JOBS=N caps gradings at once
 * (default: the machine's, as the command).
 */
const ALL = listLabIds();
const LABS = process.env.LABS ? process.env.LABS.split(',') : ALL;
const JOBS = process.env.LAB_JOBS ? { jobs: Number(process.env.LAB_JOBS) } : {};
const baseImages = new BaseImages(runtime);
/** Per lab: every case graded, a few at once; the slowest labs take minutes. */
const LAB_TIMEOUT = 40 * 60_000;
/** Where each lab's report is written for the verdict table (the host engine: Debian's 20.10). */
const VERDICTS = path.join(ROOT, '.dockerlab', 'engine20');

/** What labs.test.ts has always held of a grading, whatever its verdict. */
function expectSound(result: Result): void {
  const lost = result.checks.filter((c) => c.status !== 'passed').reduce((sum, c) => sum + c.maxPoints, 0);
  expect(result.score).toBe(result.maxScore - lost);
  // Where the time went, stage by stage: every stage ran (steps included), and they add up to the whole.
  expect(Object.keys(result.timings ?? {})).toEqual([...STAGES]);
  const spent = Object.values(result.timings!).reduce((a, b) => a + b, 0);
  expect(spent).toBeLessThanOrEqual(result.durationMs);
  expect(spent).toBeGreaterThanOrEqual(result.durationMs - 50);
  // The steps stage holds every check it evaluated: none took longer than the stage (whole
  // milliseconds on both sides, hence the 1 ms). A workload that could not be set up (a build that
  // fails) only marks the steps skipped, and static checks can all take under a millisecond, so
  // the stage may be 0 ms (seen on lab-04's wrong-copy-path in CI).
  const longest = Math.max(0, ...result.checks.map((c) => c.durationMs ?? 0));
  expect(result.timings!.steps).toBeGreaterThanOrEqual(longest - 1);
  for (const c of result.checks.filter((c) => c.status === 'failed')) {
    expect(c.expected).toBeTruthy();
    expect(c.observed).toBeTruthy();
  }
}

it('every lab has cases', () => {
  expect(ALL.filter((lab) => !existsSync(path.join(casesDir(path.join(labsDir(), lab)), CASES_FILE)))).toEqual([]);
});

describe.each(LABS)('%s', (lab) => {
  const variants = variantsOf(lab);
  let report: LabTestReport;

  beforeAll(async () => {
    report = await testLab({ labDir: path.join(labsDir(), lab), runtime, baseImages, lang: 'en', starter: true, starterLang: 'fr', ...JOBS });
    // The same JSON as `test-lab --reporter json=FILE` (engine28.test writes its own beside it):
    // scripts/verdict-table.mjs joins them into the per-engine verdict table.
    writeJsonReport(path.join(VERDICTS, `${lab}.json`), [report]);
  }, LAB_TIMEOUT);

  it('has at least two reference solutions and six wrong variants', () => {
    expect(variants.filter((v) => v.reference).length).toBeGreaterThanOrEqual(2);
    expect(variants.filter((v) => v.failed.length > 0).length).toBeGreaterThanOrEqual(6);
  });

  it.each(variants.map((v) => [v.name, v] as const))('%s', (name) => {
    const outcome = report.cases.find((o) => o.case.name === name);
    expectSound(expectAsExpected(outcome));
  });

  it('has no problem as a lab (a reference below full marks, an unnamed loss, a check no case fails)', () => {
    expect(report.problems.map((p) => p.message)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('grades the untouched starter files with a low score, never a crash', async () => {
    // The starter is graded in French (the course's language) on its own: its hints must exist in that language too.
    const result = report.starter!.result!;
    expect(report.starter!.error).toBeUndefined();
    expect(result.score).toBeLessThan(result.maxScore / 2);
    expect(result.checks.some((c) => c.status === 'error')).toBe(false);
    expect(result.checks.filter((c) => c.status === 'failed').every((c) => c.hint)).toBe(true);
    expectSound(result);
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
(IMAGE_LABS.length > 0 ? describe.each(IMAGE_LABS) : describe.skip.each(['(LABS names no image lab)']))('%s with the classic builder', (lab) => {
  const variants = IMAGE_LABS.includes(lab) ? variantsOf(lab).filter((v) => lab === 'lab-05' || v.reference) : [];
  let report: LabTestReport;
  beforeAll(async () => {
    if (!variants.length) return;
    report = await testLab({ labDir: path.join(labsDir(), lab), runtime: classic, baseImages: classicImages, lang: 'en', only: variants.map((v) => v.name), ...JOBS });
  }, LAB_TIMEOUT);
  it.each(variants.map((v) => [v.name, v] as const))('%s', (name) => {
    expectAsExpected(report.cases.find((o) => o.case.name === name));
  });
});
