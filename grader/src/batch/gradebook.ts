import { errorChecksOf } from './grading-failure.js';
import { studentSlug } from './student-slug.js';
import type { BatchManifest, GradingRecord, InputProblem, LabInfo, StudentIdentity } from './types.js';

/**
 * One lab of one student, as every output shows it:
 * - graded: a score;
 * - error: the engine could not evaluate some checks, even on the second try: shown as an error, never as a 0;
 * - missing: no folder for that lab;
 * - not-graded: the folder exists but could not be graded (two folders, a broken clone…);
 * - pending: not graded yet (the run was interrupted): the next run does it.
 */
export type CellState = 'graded' | 'error' | 'missing' | 'not-graded' | 'pending';

export interface Cell {
  lab: string;
  state: CellState;
  /** Points earned (for `error`, on the checks that could be evaluated). */
  score: number | null;
  maxScore: number;
  /** Why the cell is not a plain score, in English (teacher-facing). */
  reason: string | null;
  record: GradingRecord | null;
}

export interface GradebookRow {
  identity: StudentIdentity;
  /** How outputs name the student: the key, or an anonymous id. */
  display: string;
  /** Folder name under feedback/ and logs/. */
  slug: string;
  folders: string[];
  cells: Cell[];
  /** Sum of the graded cells. */
  total: number;
  maxTotal: number;
  /** Everything the teacher must know about this row, in English. */
  notes: string[];
  problems: InputProblem[];
}

export interface Gradebook {
  labs: LabInfo[];
  rows: GradebookRow[];
  /** Problems that concern no student in particular (an unusable roster line). */
  classProblems: InputProblem[];
  maxTotal: number;
}

const round = (n: number) => Math.round(n * 100) / 100;

export function buildGradebook(manifest: BatchManifest, records: GradingRecord[], display: (identity: StudentIdentity) => string = (i) => i.key): Gradebook {
  const byStudent = new Map<string, Map<string, GradingRecord>>();
  for (const r of records) {
    const labs = byStudent.get(r.student) ?? new Map<string, GradingRecord>();
    labs.set(r.lab, r);
    byStudent.set(r.student, labs);
  }
  const maxTotal = round(manifest.labs.reduce((s, l) => s + l.maxScore, 0));
  const rows = manifest.students.map((student): GradebookRow => {
    const key = student.identity.key;
    const problems = manifest.problems.filter((p) => p.student === key);
    const present = new Set(student.labs);
    const cells = manifest.labs.map((lab): Cell => {
      const record = byStudent.get(key)?.get(lab.id) ?? null;
      const blocking = problems.find((p) => !p.graded && (p.lab === lab.id || p.lab === null));
      if (record) {
        const errors = errorChecksOf(record.result);
        if (record.failure !== null || errors.length > 0) {
          const reason = record.failure ?? `engine fault on ${errors.join(', ')}${record.attempts > 1 ? ' (retried once)' : ''}: regrade with --regrade ${key}/${lab.id}`;
          return { lab: lab.id, state: 'error', score: record.result.score, maxScore: lab.maxScore, reason, record };
        }
        return { lab: lab.id, state: 'graded', score: record.result.score, maxScore: lab.maxScore, reason: null, record };
      }
      if (present.has(lab.id)) return { lab: lab.id, state: 'pending', score: null, maxScore: lab.maxScore, reason: 'not graded yet: the batch was stopped; run it again', record: null };
      if (blocking) return { lab: lab.id, state: blocking.lab ? 'not-graded' : student.folders.length ? 'not-graded' : 'missing', score: null, maxScore: lab.maxScore, reason: blocking.message, record: null };
      return { lab: lab.id, state: 'missing', score: null, maxScore: lab.maxScore, reason: `no ${lab.id} folder`, record: null };
    });
    const total = round(cells.filter((c) => c.state === 'graded').reduce((s, c) => s + (c.score ?? 0), 0));
    const notes = [
      ...problems.map((p) => p.message),
      ...cells.filter((c) => c.state === 'error' || c.state === 'pending').map((c) => `${c.lab}: ${c.state === 'error' ? 'ERROR, ' : ''}${c.reason}`),
    ];
    const missing = cells.filter((c) => c.state === 'missing' && !problems.some((p) => !p.graded && p.lab === null));
    if (missing.length > 0 && missing.length < cells.length) notes.push(`no folder for ${missing.map((c) => c.lab).join(', ')}`);
    if (cells.some((c) => c.state === 'error')) notes.push('the total leaves out the labs in error');
    return { identity: student.identity, display: display(student.identity), slug: studentSlug(display(student.identity)), folders: student.folders, cells, total, maxTotal, notes: [...new Set(notes)], problems };
  });
  const keys = new Set(manifest.students.map((s) => s.identity.key));
  return { labs: manifest.labs, rows, classProblems: manifest.problems.filter((p) => p.student === null || !keys.has(p.student)), maxTotal };
}
