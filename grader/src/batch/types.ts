import type { Lang } from '../i18n/lang.js';
import type { Result } from '../result.js';

/** How a lab's work runs, as its spec says: it decides which concurrency pool a grading takes a slot from. */
export type WorkloadKind = 'image' | 'script' | 'compose';

/** One lab of the teacher's course, as the batch needs it before any grading (from its lab.json). */
export interface LabInfo {
  id: string;
  title: { fr: string; en: string };
  chapter: string | null;
  kind: WorkloadKind;
  /** Points of every check of the spec: what a grading that could not run at all is out of. */
  maxScore: number;
  checks: { id: string; points: number; title: string | null }[];
  /** sha256 of lab.json: a changed spec makes every stored grading of this lab stale. */
  specHash: string;
  /** sha256 of the lab's own folder, files as a student receives them: a submission with this hash is the untouched starter. */
  starterHash: string;
  dir: string;
}

/** Who a student is: from the roster when there is one, else from the folder name. */
export interface StudentIdentity {
  /** The key every output uses for this student: roster id, else the folder (or GitHub) name. */
  key: string;
  name: string | null;
  email: string | null;
  studentId: string | null;
  username: string | null;
  section: string | null;
  canvasId: string | null;
  sisUserId: string | null;
  sisLoginId: string | null;
  /** The roster line (1-based, header is line 1), null when the student is not in a roster. */
  rosterLine: number | null;
}

/** Where one lab of one student is read from. */
export type LabSource =
  | { kind: 'folder'; dir: string; folder: string }
  /** A lab at the last commit before the deadline: a tree of a git clone, written out only when it must be graded. */
  | { kind: 'git-tree'; repo: string; commit: string; commitDate: string; tree: string; folder: string };

export interface StudentEntry {
  identity: StudentIdentity;
  /** The folders of DIR this student's work came from, relative to DIR (for messages). */
  folders: string[];
  labs: Map<string, LabSource>;
}

export type ProblemKind =
  | 'no-lab'
  | 'broken-git'
  | 'no-commit-before'
  | 'not-a-git-clone'
  | 'roster-no-folder'
  | 'not-in-roster'
  | 'roster-duplicate'
  | 'two-folders'
  | 'renamed-lab-folder';

/** Something wrong with the class folder or the roster: reported by name, never stopping the batch. */
export interface InputProblem {
  kind: ProblemKind;
  /** The student it concerns (their key), when it concerns one. */
  student: string | null;
  /** The folder (relative to DIR) or roster line it is about. */
  where: string;
  /** Lab concerned, when only one lab is. */
  lab: string | null;
  /** What is wrong and what happens, in English (the teacher's summary). */
  message: string;
  /** Whether the student's work (or that lab) is still graded despite it. */
  graded: boolean;
}

/** One grading to do, handed to the grading function. */
export interface GradeJob {
  student: string;
  lab: string;
  labDir: string;
  labsDir: string;
  kind: WorkloadKind;
  /** The folder holding the student's files for this lab (a temporary copy for a git tree). */
  submission: string;
  lang: Lang;
  logsDir: string;
  /** What the grading is doing now, for the progress display. */
  progress: (line: string) => void;
}

/** Grades one submission; throws only when it cannot grade at all (see classifyFailure). */
export type GradeOne = (job: GradeJob, signal: AbortSignal) => Promise<Result>;

/** What makes a stored grading still valid: the same inputs give the same grade. */
export interface GradingKey {
  student: string;
  lab: string;
  submissionHash: string;
  specHash: string;
  graderVersion: string;
  lang: Lang;
}

/** A grading as stored, one line of the store and of results.jsonl (under `batch`). */
export interface GradingRecord extends GradingKey {
  /** 1, or 2 when the first attempt hit an engine fault. */
  attempts: number;
  gradedAt: string;
  /** Another student's identical submission whose grading was reused. */
  reusedFrom: string | null;
  /** The git commit graded (--before), with its date. */
  commit: { id: string; date: string } | null;
  /** Why the grader could not grade at all (every check is then `error`). */
  failure: string | null;
  result: Result;
}

/** The part of results.jsonl lines that is not the Result itself. */
export type BatchFields = Omit<GradingRecord, 'result'>;
export type ResultLine = Result & { batch: BatchFields };

export const BATCH_FORMAT = 'dockerlab-batch/1';

/** OUT/batch.json: what a batch (or a shard of one) covered, enough to merge shards and render outputs again. */
export interface BatchManifest {
  format: typeof BATCH_FORMAT;
  graderVersion: string;
  lang: Lang;
  labs: LabInfo[];
  students: { identity: StudentIdentity; folders: string[]; labs: string[] }[];
  problems: InputProblem[];
  shard: { index: number; count: number } | null;
  before: string | null;
  /** False when the run was interrupted or some gradings are missing. */
  complete: boolean;
  /** The OUT folder the results were written in: their logs paths start with it, and a merge moves them to its own. */
  outDir: string;
  generatedAt: string;
}
