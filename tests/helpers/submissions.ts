import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleCase, readCases, type LabCase } from '../../grader/src/spec/cases.js';
import { loadLabFile } from '../../grader/src/spec/load.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The suite's own fixtures (batch, hostile, build-output, junit); each lab's cases live in labs/lab-NN/tests/. */
export const FIXTURES = path.join(ROOT, 'tests/fixtures');

/** A lab's case (labs/lab-NN/tests/cases.json), as the lab tester reads it. */
export type Variant = LabCase;

const labDir = (lab: string) => path.join(ROOT, 'labs', lab);

/** The cases of a lab, read and checked by the lab tester's own code (grader/src/authoring/cases.ts). */
export function variantsOf(lab: string): Variant[] {
  return readCases(labDir(lab), loadLabFile(path.join(labDir(lab), 'lab.json')).checks.map((c) => c.id));
}

/**
 * A submission as a student would have it: the lab's given files (its folder
 * without lab.json, README.md and tests/), with the case's own files laid over
 * them (null: the untouched starter files). The same assembly test-lab grades.
 */
export function assembleSubmission(lab: string, variant: string | null): string {
  if (variant === null) return assembleCase(labDir(lab), null);
  const found = variantsOf(lab).find((v) => v.name === variant);
  if (!found) throw new Error(`no case ${variant} in labs/${lab}/tests/cases.json`);
  return assembleCase(labDir(lab), found);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
