import { LAB_ID } from './lab-catalog.js';
import type { StudentEntry } from './types.js';

export class RegradeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegradeError';
  }
}

/** `--regrade STUDENT[/lab-NN]`: the student's key (or one of their folders), every lab or one. */
export interface RegradeTarget {
  student: string;
  lab: string | null;
}

/**
 * Resolves each --regrade against the whole class (before sharding: a shard
 * simply has nothing to do for a student of another shard). A name that matches
 * nobody is an error that lists the closest names: a typo must not silently
 * regrade nothing.
 */
export function resolveRegrades(texts: string[], students: StudentEntry[], labs: string[]): RegradeTarget[] {
  return texts.map((text) => {
    const slash = text.lastIndexOf('/');
    const maybeLab = slash > 0 ? text.slice(slash + 1) : '';
    const lab = LAB_ID.test(maybeLab) ? maybeLab : null;
    const name = lab ? text.slice(0, slash) : text;
    if (lab && !labs.includes(lab)) throw new RegradeError(`--regrade ${text}: ${lab} is not among the labs graded (${labs.join(', ')})`);
    const wanted = name.toLowerCase();
    const student = students.find((s) => s.identity.key.toLowerCase() === wanted || s.folders.some((f) => f.toLowerCase() === wanted || f.toLowerCase().endsWith(`/${wanted}`)));
    if (!student) {
      const close = students.map((s) => s.identity.key).filter((k) => k.toLowerCase().includes(wanted.slice(0, 3))).slice(0, 5);
      throw new RegradeError(`--regrade ${text}: no student "${name}" in the class${close.length ? ` (did you mean ${close.join(', ')}?)` : ''}; use the name shown in gradebook.csv`);
    }
    return { student: student.identity.key, lab };
  });
}

export function isForced(targets: RegradeTarget[], student: string, lab: string): boolean {
  return targets.some((t) => t.student === student && (t.lab === null || t.lab === lab));
}
