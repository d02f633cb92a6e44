// Over 300 lines because the batch's loop (queue, resume, per-grading snapshot, retries, progress) shares its state;
// its parts that stand alone are the other batch/ files.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Lang } from '../i18n/lang.js';
import type { Result } from '../result.js';
import { poolOf, type Concurrency, type Pool } from './concurrency.js';
import { discoverClass, sortProblems } from './discover.js';
import { writeTree } from './git-snapshot.js';
import { classifyFailure, errorChecksOf, reasonOf, unableToGrade } from './grading-failure.js';
import { GradingStore, sameKey, STATE_DIR } from './grading-store.js';
import { readCatalog } from './lab-catalog.js';
import type { BatchProgress } from './progress-display.js';
import { isForced, resolveRegrades } from './regrade.js';
import { readRoster } from './roster.js';
import { inShard, type Shard } from './shard.js';
import { studentSlug } from './student-slug.js';
import { hashFolder } from './submission-hash.js';
import { BATCH_FORMAT, type BatchManifest, type GradeOne, type GradingKey, type GradingRecord, type LabInfo, type LabSource, type StudentEntry } from './types.js';
import { runQueue, StopQueue } from './work-queue.js';

/** The grading function and what identifies it: its version is part of every stored grading's key. */
export interface BatchGrader {
  gradeOne: GradeOne;
  version: string;
  /** Fails fast (NoEngineError) before anything is queued, when there is something to grade. */
  preflight?(signal: AbortSignal): Promise<void>;
}

export interface BatchRunOptions {
  dir: string;
  out: string;
  labsDir: string;
  /** null: every lab of labsDir. */
  labs: string[] | null;
  concurrency: Concurrency;
  sandbox: 'auto' | 'off';
  shard: Shard | null;
  roster: string | null;
  before: Date | null;
  regrade: string[];
  lang: Lang;
  grader: BatchGrader;
  progress: BatchProgress;
  signal: AbortSignal;
}

export interface BatchRun {
  manifest: BatchManifest;
  /** The current grading of every (student, lab) that has one, in gradebook order. */
  records: GradingRecord[];
  /** Submissions in the batch; found in the store; gradings run now; identical submissions given another's grading; in error; labs not handed in. */
  counts: { total: number; fromStore: number; graded: number; identical: number; errors: number; missing: number };
  interrupted: boolean;
  /** Why the batch stopped before the end (no engine), when it did. */
  fatal: unknown;
  /** Labs whose spec grade() refused: nothing of them could be graded. */
  brokenLabs: Map<string, string>;
}

interface PlannedJob {
  student: StudentEntry;
  lab: LabInfo;
  source: LabSource;
  key: GradingKey;
  /** Where the submission is on disk; for a git tree, its files are written out only when graded. */
  folder: string;
}

interface Unit {
  pool: Pool;
  lab: LabInfo;
  /** Identical submissions of one lab: graded once, recorded for each. */
  jobs: PlannedJob[];
}

const contentKey = (k: GradingKey) => `${k.lab}\0${k.submissionHash}`;

async function submissionHash(source: LabSource): Promise<string> {
  return source.kind === 'git-tree' ? `git-tree:${source.tree}` : hashFolder(source.dir);
}

function displayFolder(dir: string, source: LabSource): string {
  return source.kind === 'folder' ? source.dir : path.join(dir, source.folder);
}

/** A result graded for one student, told for another with identical files: the paths in it become theirs. */
function retarget(result: Result, replacements: [string, string][]): Result {
  let text = JSON.stringify(result);
  for (const [from, to] of replacements) if (from && from !== to) text = text.split(JSON.stringify(from).slice(1, -1)).join(JSON.stringify(to).slice(1, -1));
  return JSON.parse(text) as Result;
}

/** Temporary work trees of runs killed before they could remove them. */
function removeStaleTemps(tmpRoot: string): void {
  if (!existsSync(tmpRoot)) return;
  for (const name of readdirSync(tmpRoot)) {
    const pid = Number(name.split('-')[0]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch (error) {
      alive = (error as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) rmSync(path.join(tmpRoot, name), { recursive: true, force: true });
  }
}

/**
 * One batch: discover the class, plan what the store does not already hold,
 * grade it with bounded concurrency, store each grading as it finishes, and
 * return everything the outputs need. Rendering is the caller's (write-outputs).
 */
export async function runBatch(options: BatchRunOptions): Promise<BatchRun> {
  const { grader, progress, signal, lang } = options;
  const catalog = readCatalog(options.labsDir, options.labs, lang);
  const roster = options.roster ? readRoster(options.roster) : null;
  const found = await discoverClass({ dir: options.dir, labs: catalog.map((l) => l.id), roster, before: options.before, exclude: [options.out] });
  const regrades = resolveRegrades(options.regrade, found.students, catalog.map((l) => l.id));
  const students = inShard(found.students, options.shard);
  const inThisShard = new Set(students.map((s) => s.identity.key));
  const firstShard = !options.shard || options.shard.index === 1;
  const everyone = new Set(found.students.map((s) => s.identity.key));
  // A problem of no student of the class (an unusable roster line) is reported once, by the first shard.
  const problems = sortProblems(found.problems).filter((p) => (p.student === null || !everyone.has(p.student) ? firstShard : inThisShard.has(p.student)));

  mkdirSync(options.out, { recursive: true });
  const store = GradingStore.open(options.out);
  const tmpRoot = path.join(options.out, STATE_DIR, 'tmp');
  removeStaleTemps(tmpRoot);
  if (store.repairedBytes > 0) progress.note(`the last run was stopped while writing a grading: its ${store.repairedBytes} unfinished bytes were dropped, that grading is done again`);
  const counts = { total: 0, fromStore: 0, graded: 0, identical: 0, errors: 0, missing: 0 };
  const brokenLabs = new Map<string, string>();
  let interrupted = false;
  let fatal: unknown = null;
  const keys: GradingKey[] = [];
  try {
    const planned: PlannedJob[] = [];
    for (const student of students) {
      for (const lab of catalog) {
        const source = student.labs.get(lab.id);
        if (!source) {
          counts.missing += 1;
          continue;
        }
        counts.total += 1;
        const key: GradingKey = { student: student.identity.key, lab: lab.id, submissionHash: await submissionHash(source), specHash: lab.specHash, graderVersion: grader.version, lang };
        keys.push(key);
        const job: PlannedJob = { student, lab, source, key, folder: displayFolder(options.dir, source) };
        if (isForced(regrades, key.student, key.lab)) {
          planned.push(job);
          continue;
        }
        if (store.find(key)) {
          counts.fromStore += 1;
          continue;
        }
        const identical = store.findIdentical(key);
        if (identical) {
          store.append(reuse(identical, job, options.out));
          counts.identical += 1;
          continue;
        }
        planned.push(job);
      }
    }

    const units = new Map<string, Unit>();
    for (const job of planned) {
      const id = contentKey(job.key);
      const unit = units.get(id) ?? { pool: poolOf(job.lab.kind, options.sandbox), lab: job.lab, jobs: [] };
      unit.jobs.push(job);
      units.set(id, unit);
    }

    if (units.size > 0 && grader.preflight) {
      try {
        await grader.preflight(signal);
      } catch (error) {
        if (classifyFailure(error) === 'fatal') throw new StopQueue(error);
        throw error;
      }
    }
    progress.start(counts.total, counts.total - planned.length, Math.min(options.concurrency.jobs, Math.max(1, units.size)));

    const gradeUnit = async (unit: Unit, slot: number): Promise<void> => {
      const [first] = unit.jobs as [PlannedJob, ...PlannedJob[]];
      const label = `${first.key.student} ${unit.lab.id}`;
      const say = (what: string) => progress.worker(slot, `${label}: ${what}`);
      say('starting');
      let temp: string | null = null;
      let submission = first.folder;
      try {
        if (first.source.kind === 'git-tree') {
          mkdirSync(tmpRoot, { recursive: true });
          temp = mkdtempSync(path.join(tmpRoot, `${process.pid}-`));
          say(`writing commit ${first.source.commit.slice(0, 10)}`);
          await writeTree(first.source.repo, first.source.tree, temp);
          submission = temp;
        }
        const logsDir = path.join(options.out, 'logs', studentSlug(first.key.student), unit.lab.id);
        let result: Result | null = null;
        let failure: string | null = null;
        let attempts = 0;
        while (attempts < 2) {
          attempts += 1;
          const broken = brokenLabs.get(unit.lab.id);
          if (broken) {
            failure = broken;
            break;
          }
          try {
            result = await grader.gradeOne({ student: first.key.student, lab: unit.lab.id, labDir: unit.lab.dir, labsDir: options.labsDir, kind: unit.lab.kind, submission, lang, logsDir, progress: say }, signal);
            failure = null;
          } catch (error) {
            if (signal.aborted) return;
            const kind = classifyFailure(error);
            if (kind === 'fatal') throw new StopQueue(error);
            failure = reasonOf(error);
            result = null;
            if (kind === 'lab') brokenLabs.set(unit.lab.id, failure);
            if (kind !== 'engine') break;
            if (attempts < 2) progress.note(`${label}: the grader failed (${failure}); trying once more`);
            continue;
          }
          if (signal.aborted) return;
          const inError = errorChecksOf(result);
          if (inError.length === 0) break;
          if (attempts < 2) progress.note(`${label}: engine fault on ${inError.join(', ')}; grading once more`);
        }
        if (signal.aborted) return;
        const graded = result ?? unableToGrade(unit.lab, lang, submission, failure ?? 'unknown failure', grader.version);
        const gradedAt = new Date().toISOString();
        const own = temp ? retarget(graded, [[temp, first.folder]]) : graded;
        const records = unit.jobs.map((job, index): GradingRecord => ({
          ...job.key,
          attempts,
          gradedAt,
          reusedFrom: index === 0 ? null : first.key.student,
          commit: job.source.kind === 'git-tree' ? { id: job.source.commit, date: job.source.commitDate } : null,
          failure,
          result: index === 0 ? own : retarget(own, [[first.folder, job.folder], [logsDir, path.join(options.out, 'logs', studentSlug(job.key.student), unit.lab.id)]]),
        }));
        for (const record of records) store.append(record);
        if (unit.jobs.length > 1 && existsSync(logsDir)) {
          for (const job of unit.jobs.slice(1)) cpSync(logsDir, path.join(options.out, 'logs', studentSlug(job.key.student), unit.lab.id), { recursive: true });
        }
        const inError = failure !== null || errorChecksOf(graded).length > 0;
        counts.graded += 1;
        counts.identical += unit.jobs.length - 1;
        if (inError) counts.errors += unit.jobs.length;
        progress.finished({ label, count: unit.jobs.length, score: graded.score, maxScore: graded.maxScore, error: inError, durationMs: graded.durationMs });
      } finally {
        if (temp) rmSync(temp, { recursive: true, force: true });
        progress.worker(slot, null);
      }
    };

    // Heavier pools first in the order, so a long sandbox grading does not start last and hold the batch's tail.
    const order: Record<Pool, number> = { sandbox: 0, exclusive: 1, image: 2 };
    const queue = [...units.values()].sort((a, b) => order[a.pool] - order[b.pool]);
    await runQueue(queue, options.concurrency, gradeUnit, signal);
    interrupted = signal.aborted;
  } catch (error) {
    if (!(error instanceof StopQueue)) {
      progress.stop();
      store.close();
      throw error;
    }
    fatal = error.reason;
  }
  progress.stop();

  // A stored grading of other files, spec or grader (interrupted before it was redone) is not this submission's grade.
  const records = keys.map((key) => store.latestOf(key.student, key.lab)).filter((r, i): r is GradingRecord => !!r && sameKey(r, keys[i]!));
  if (!interrupted && !fatal) store.compact();
  store.close();

  const manifest: BatchManifest = {
    format: BATCH_FORMAT,
    graderVersion: grader.version,
    lang,
    labs: catalog,
    students: students.map((s) => ({ identity: s.identity, folders: s.folders, labs: [...s.labs.keys()] })),
    problems,
    shard: options.shard,
    before: options.before ? options.before.toISOString() : null,
    complete: records.length === counts.total,
    outDir: options.out,
    generatedAt: new Date().toISOString(),
  };
  return { manifest, records, counts, interrupted, fatal, brokenLabs };
}

/** The stored grading of another student's identical files, recorded for this student. */
function reuse(from: GradingRecord, job: PlannedJob, out: string): GradingRecord {
  const fromLogs = path.join(out, 'logs', studentSlug(from.student), from.lab);
  const toLogs = path.join(out, 'logs', studentSlug(job.key.student), job.key.lab);
  if (existsSync(fromLogs) && !existsSync(toLogs)) cpSync(fromLogs, toLogs, { recursive: true });
  return {
    ...job.key,
    attempts: from.attempts,
    gradedAt: from.gradedAt,
    reusedFrom: from.reusedFrom ?? from.student,
    commit: job.source.kind === 'git-tree' ? { id: job.source.commit, date: job.source.commitDate } : null,
    failure: null,
    result: retarget(from.result, [[from.result.submission, job.folder], [fromLogs, toLogs]]),
  };
}
