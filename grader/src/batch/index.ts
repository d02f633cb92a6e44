import path from 'node:path';
import { parseArgs } from 'node:util';
import { isLang, langFromLocale, type Lang } from '../i18n/lang.js';
import { textSummary } from './batch-summary.js';
import { defaultConcurrency, describeConcurrency, machineFacts } from './concurrency.js';
import { ClassFolderError } from './discover.js';
import { StoreBusyError } from './grading-store.js';
import { defaultLabsDir, LAB_ID, LabCatalogError } from './lab-catalog.js';
import { mergeShards, seedStore } from './merge-shards.js';
import { progressFor, type ProgressStream } from './progress-display.js';
import { RegradeError } from './regrade.js';
import { RosterError } from './roster.js';
import { runBatch, type BatchGrader } from './run-batch.js';
import { parseShard, ShardError } from './shard.js';
import { MergeInputError, writeOutputs } from './write-outputs.js';

export interface BatchIo {
  stdout: ProgressStream;
  stderr: ProgressStream;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  /** Where relative paths are resolved (npm moves to the package root; the CLI passes INIT_CWD). */
  cwd?: string;
}

export interface BatchDeps {
  /** The grading function; the real engine's when not given (tests give a fake). */
  grader?: BatchGrader;
  /** Cores and memory, for the default --jobs. */
  machine?: { cores: number; availableMemory: number };
}

export const EXIT = { ok: 0, incomplete: 1, usage: 2, noEngine: 3, interrupted: 130 } as const;

export const BATCH_HELP = `Grade a whole class: npm run grade -- batch DIR --out OUT [options]

DIR holds one folder per student, each a clone of the course repository
(labs/lab-NN/…) or folders lab-NN/… directly; the layout of
\`gh classroom clone student-repos\` (<assignment>-submissions/<repo>/) works as it is.

Options:
  --out OUT            where the gradebook, feedback and report go (required)
  --labs L1,L2         the labs to grade (default: every lab of the course)
  --jobs N             gradings at once (default: from cores and memory)
  --shard i/n          grade the i-th of n slices of the class (merge them with batch-merge)
  --roster FILE        CSV mapping folders to student id, name, email (columns such as
                       folder or github_username, student_id, name, email, section)
  --before DATE        grade each clone's last commit before DATE (by commit date, which
                       students can forge); a date alone means the end of that day
  --regrade S[/lab-NN] grade again a student (or one lab of theirs) even if stored (repeatable)
  --lang fr|en         language of the feedback and report (default: LANG, else fr)
  --anonymise          stable anonymous ids instead of names in every shared output
  --labs-dir DIR       the course's labs folder (default: this repository's labs/)
  --sandbox auto|off   script and compose labs in throw-away sandbox engines (default auto)
  --quiet              no progress display
  -h, --help           this text

A second run grades only what is missing or changed; Ctrl-C keeps what is graded.
Exit codes: 0 all graded · 1 some gradings in error or not done · 2 bad usage · 3 no Docker engine · 130 interrupted`;

export const MERGE_HELP = `Merge the OUT folders of the shards of one batch: npm run grade -- batch-merge OUT1 OUT2 … --out OUT [--anonymise]

Gives the gradebook, exports, feedback and report the unsharded batch would have given.
Exit codes: 0 complete · 1 a shard is missing or some gradings are in error · 2 bad usage`;

function usageError(io: BatchIo, message: string, command: string): number {
  io.stderr.write(`dockerlab ${command}: ${message}\nRun npm run grade -- ${command} --help for usage.\n`);
  return EXIT.usage;
}

/** A deadline from the command line: an ISO date-time, or a date alone meaning the end of that day in the machine's time zone. */
export function parseDeadline(text: string): Date | null {
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (dateOnly) {
    const [, y, m, d] = dateOnly.map(Number) as [number, number, number, number];
    const end = new Date(y, m - 1, d, 23, 59, 59, 999);
    return end.getMonth() === m - 1 ? end : null;
  }
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : new Date(at);
}

export async function runBatchCommand(argv: string[], io: BatchIo, deps: BatchDeps = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        labs: { type: 'string' },
        jobs: { type: 'string' },
        shard: { type: 'string' },
        roster: { type: 'string' },
        before: { type: 'string' },
        regrade: { type: 'string', multiple: true },
        lang: { type: 'string' },
        anonymise: { type: 'boolean' },
        anonymize: { type: 'boolean' },
        'labs-dir': { type: 'string' },
        sandbox: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usageError(io, (error as Error).message, 'batch');
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`${BATCH_HELP}\n`);
    return EXIT.ok;
  }
  const cwd = io.cwd ?? process.cwd();
  const here = (p: string) => path.resolve(cwd, p);
  if (positionals.length === 0) return usageError(io, 'which class folder? e.g. npm run grade -- batch submissions/ --out grades/', 'batch');
  if (positionals.length > 1) return usageError(io, `one class folder only, got ${positionals.map((p) => `"${p}"`).join(' and ')}`, 'batch');
  if (!values.out) return usageError(io, '--out OUT is required: the folder where the gradebook, feedback and report go', 'batch');
  if (values.lang !== undefined && !isLang(values.lang)) return usageError(io, `--lang must be fr or en, not "${values.lang}"`, 'batch');
  if (values.sandbox !== undefined && values.sandbox !== 'auto' && values.sandbox !== 'off') return usageError(io, `--sandbox must be auto or off, not "${values.sandbox}"`, 'batch');
  let labs: string[] | null = null;
  if (values.labs !== undefined) {
    labs = values.labs.split(',').map((l) => l.trim()).filter(Boolean);
    const bad = labs.filter((l) => !LAB_ID.test(l));
    if (labs.length === 0 || bad.length) return usageError(io, `--labs takes lab ids separated by commas, e.g. lab-01,lab-03${bad.length ? ` ("${bad.join('", "')}" is not one)` : ''}`, 'batch');
  }
  let jobs: number | null = null;
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) return usageError(io, `--jobs must be a whole number from 1 to 256, not "${values.jobs}"`, 'batch');
  }
  let shard = null;
  try {
    shard = values.shard === undefined ? null : parseShard(values.shard);
  } catch (error) {
    return usageError(io, (error as ShardError).message, 'batch');
  }
  const before = values.before === undefined ? null : parseDeadline(values.before);
  if (values.before !== undefined && !before) return usageError(io, `--before "${values.before}" is not a date; write 2025-03-14 (end of that day) or 2025-03-14T18:00:00+01:00`, 'batch');
  const lang: Lang = (values.lang as Lang | undefined) ?? langFromLocale(io.env.LC_ALL || io.env.LC_MESSAGES || io.env.LANG) ?? 'fr';
  const sandbox = (values.sandbox as 'auto' | 'off' | undefined) ?? 'auto';
  const anonymise = !!(values.anonymise || values.anonymize);
  const out = here(values.out);
  const concurrency = defaultConcurrency(deps.machine ?? machineFacts(), jobs);

  let grader = deps.grader;
  if (!grader) {
    const { createRealGrader } = await import('./real-grader.js');
    grader = createRealGrader({ env: io.env as NodeJS.ProcessEnv, sandbox });
  }
  const progress = progressFor(io.stderr, { quiet: !!values.quiet });
  if (!values.quiet) io.stderr.write(`grading with ${describeConcurrency(concurrency)}\n`);
  let run;
  try {
    run = await runBatch({
      dir: here(positionals[0]!),
      out,
      labsDir: values['labs-dir'] ? here(values['labs-dir']) : defaultLabsDir(),
      labs,
      concurrency,
      sandbox,
      shard,
      roster: values.roster ? here(values.roster) : null,
      before,
      regrade: values.regrade ?? [],
      lang,
      grader,
      progress,
      signal: io.signal,
    });
  } catch (error) {
    if (error instanceof LabCatalogError || error instanceof RosterError || error instanceof ClassFolderError || error instanceof RegradeError || error instanceof StoreBusyError) {
      return usageError(io, error.message, 'batch');
    }
    throw error;
  }
  const written = writeOutputs(out, run.manifest, run.records, { anonymise, env: io.env });
  const warnings = [...run.brokenLabs].map(([lab, why]) => `${lab} could not be graded at all: its lab spec was refused (${why}); fix it, then run again`);
  io.stdout.write(textSummary(run.manifest, written.book, { counts: run.counts, out, files: written.files, leftOutOfLms: written.leftOutOfLms, warnings }));
  if (run.fatal) {
    io.stderr.write(`dockerlab batch: stopped: ${(run.fatal as Error).message ?? String(run.fatal)}\nWhat was graded is kept; run the same command again once the engine answers.\n`);
    return EXIT.noEngine;
  }
  if (run.interrupted) {
    io.stderr.write('dockerlab batch: interrupted; what was graded is kept, run the same command again to finish.\n');
    return EXIT.interrupted;
  }
  const inError = written.book.rows.some((r) => r.cells.some((c) => c.state === 'error'));
  return run.manifest.complete && !inError && run.brokenLabs.size === 0 ? EXIT.ok : EXIT.incomplete;
}

export async function runMergeCommand(argv: string[], io: BatchIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { out: { type: 'string' }, anonymise: { type: 'boolean' }, anonymize: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    return usageError(io, (error as Error).message, 'batch-merge');
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`${MERGE_HELP}\n`);
    return EXIT.ok;
  }
  if (!values.out) return usageError(io, '--out OUT is required: the folder for the merged gradebook and report', 'batch-merge');
  if (positionals.length === 0) return usageError(io, 'which shard folders? e.g. npm run grade -- batch-merge shards/* --out grades/', 'batch-merge');
  const cwd = io.cwd ?? process.cwd();
  const out = path.resolve(cwd, values.out);
  const inputs = positionals.map((p) => path.resolve(cwd, p));
  if (inputs.includes(out)) return usageError(io, `--out ${values.out} is also one of the inputs; write the merge to a new folder`, 'batch-merge');
  let merged;
  try {
    merged = mergeShards(inputs, out);
    seedStore(out, merged.records);
  } catch (error) {
    if (error instanceof MergeInputError || error instanceof StoreBusyError) return usageError(io, error.message, 'batch-merge');
    throw error;
  }
  const written = writeOutputs(out, merged.manifest, merged.records, { anonymise: !!(values.anonymise || values.anonymize), env: io.env });
  io.stdout.write(textSummary(merged.manifest, written.book, { out, files: written.files, leftOutOfLms: written.leftOutOfLms, warnings: merged.warnings }));
  const errors = written.book.rows.some((r) => r.cells.some((c) => c.state === 'error'));
  return merged.manifest.complete && !errors ? EXIT.ok : EXIT.incomplete;
}

export type { BatchGrader } from './run-batch.js';
export type { GradeJob, GradeOne } from './types.js';
