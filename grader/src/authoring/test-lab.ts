import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConcurrency, machineFacts, poolOf, type Pool } from '../batch/concurrency.js';
import type { WorkloadKind } from '../batch/types.js';
import { runQueue } from '../batch/work-queue.js';
import { BaseImages } from '../build/index.js';
import { createHostRuntime, type Runtime } from '../engine/index.js';
import { grade, resolveLabDir } from '../grade.js';
import type { Lang } from '../i18n/lang.js';
import type { Result } from '../result.js';
import { labsDir as defaultLabsDir, listLabIds, loadLabFile } from '../spec/load.js';
import type { Lab } from '../spec/schema.js';
import { assembleCase, InvalidCasesError, readCases, type LabCase } from '../spec/cases.js';
import { renderCasesJunit, renderTable, type CaseRow, type LabRows } from './render.js';
import { compareVerdicts, labProblems, observedVerdict, verdictText, type Difference, type LabProblem, type Observed } from './verdict.js';

/** One case graded: what was expected, what the grading gave, how long it took. */
export interface CaseOutcome {
  case: LabCase;
  status: 'as-expected' | 'differs' | 'error';
  differences: Difference[];
  /** The full result (null when the case could not be graded: `error` says why). */
  result: Result | null;
  error?: string;
  durationMs: number;
}

export interface LabTestReport {
  lab: string;
  labDir: string;
  spec: Lab;
  cases: CaseOutcome[];
  /** The untouched starter files graded (null when not asked). */
  starter: { result: Result | null; error?: string } | null;
  problems: LabProblem[];
  durationMs: number;
  /** Every case as expected and no problem of the lab. */
  ok: boolean;
}

export interface TestLabOptions {
  /** A lab folder (holding lab.json and tests/). */
  labDir: string;
  runtime: Runtime;
  baseImages?: BaseImages;
  /** Gradings at once (default: the batch's, from the machine's cores and memory). */
  jobs?: number;
  sandbox?: 'required' | 'auto' | 'off';
  lang?: Lang;
  /** Only these cases (lab problems that need every case are then not judged). */
  only?: string[];
  /** Also grade the untouched starter files. */
  starter?: boolean;
  /** The starter's language (default: lang): the project grades it in French, the course's language. */
  starterLang?: Lang;
  signal?: AbortSignal;
  logsDir?: string | null;
  onCase?: (outcome: CaseOutcome) => void;
}

function observedOf(result: Result): Observed {
  return { score: result.score, maxScore: result.maxScore, checks: result.checks };
}

/** `--reporter json=FILE`: every lab's report without its spec (the suite writes the same file for the verdict table). */
export function writeJsonReport(file: string, reports: LabTestReport[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ labs: reports.map(({ spec: _spec, ...report }) => report) }, null, 1)}\n`);
}

/** Reads a lab's spec and cases without grading: throws InvalidCasesError / InvalidSpecError with the teacher's fix. */
export function loadLabCases(labDir: string): { spec: Lab; cases: LabCase[] } {
  const file = path.join(labDir, 'lab.json');
  if (!existsSync(file)) throw new InvalidCasesError([`${labDir}: no lab.json; give a lab folder (lab-NN with --labs-dir, or its path)`]);
  const spec = loadLabFile(file);
  return { spec, cases: readCases(labDir, spec.checks.map((c) => c.id)) };
}

/**
 * Grades every case of a lab (and, if asked, its starter files), as many at once
 * as the batch would on this machine, and judges each against its expectation
 * and the lab as a whole. This is the one code path of `test-lab` and of the
 * project's own lab tests.
 */
export async function testLab(options: TestLabOptions): Promise<LabTestReport> {
  const started = Date.now();
  const labDir = path.resolve(options.labDir);
  const { spec, cases: all } = loadLabCases(labDir);
  const cases = options.only ? all.filter((c) => options.only!.includes(c.name)) : all;
  if (options.only) {
    const unknown = options.only.filter((name) => !all.some((c) => c.name === name));
    if (unknown.length) throw new InvalidCasesError(unknown.map((name) => `${spec.id}: no case "${name}" (its cases: ${all.map((c) => c.name).join(', ')})`));
  }
  const baseImages = options.baseImages ?? new BaseImages(options.runtime);
  const sandbox = options.sandbox ?? 'required';
  const pool: Pool = poolOf(spec.workload.kind as WorkloadKind, sandbox === 'off' ? 'off' : 'auto');
  const limits = defaultConcurrency(machineFacts(), options.jobs ?? null);
  const signal = options.signal ?? new AbortController().signal;

  const gradeOne = async (labCase: LabCase | null): Promise<Result> => {
    const dir = assembleCase(labDir, labCase);
    try {
      return await grade({ lab: labDir, submission: dir, lang: (labCase ? options.lang : options.starterLang ?? options.lang) ?? 'en', runtime: options.runtime, baseImages, sandbox, signal, logsDir: options.logsDir ?? null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  const outcomes = new Map<string, CaseOutcome>();
  let starter: LabTestReport['starter'] = null;
  type Item = { pool: Pool; labCase: LabCase | null };
  const items: Item[] = [...cases.map((labCase) => ({ pool, labCase })), ...(options.starter ? [{ pool, labCase: null }] : [])];
  await runQueue(items, limits, async ({ labCase }) => {
    const t0 = Date.now();
    let result: Result | null = null;
    let error: string | undefined;
    try {
      result = await gradeOne(labCase);
    } catch (e) {
      // An invalid spec is the lab's, not the case's: it stops the whole run with the spec's message.
      if ((e as Error)?.name === 'InvalidSpecError' || (e as Error)?.name === 'NoEngineError') throw e;
      error = (e as Error)?.message ?? String(e);
    }
    if (!labCase) {
      starter = { result, ...(error ? { error } : {}) };
      return;
    }
    const differences = result ? compareVerdicts(labCase, observedOf(result)) : [];
    const outcome: CaseOutcome = { case: labCase, status: !result ? 'error' : differences.length ? 'differs' : 'as-expected', differences, result, ...(error ? { error } : {}), durationMs: Date.now() - t0 };
    outcomes.set(labCase.name, outcome);
    options.onCase?.(outcome);
  }, signal);

  const ordered = cases.map((c) => outcomes.get(c.name)).filter((o): o is CaseOutcome => o !== undefined);
  const observed = new Map(ordered.filter((o) => o.result).map((o) => [o.case.name, observedOf(o.result!)] as const));
  // Lab problems that need every case (a check no case fails) are judged on a full run only.
  // Against every case: with --case, the ones not graded leave "a check no case fails" unjudged (labProblems needs them all).
  const problems = labProblems(spec.checks.map((c) => c.id), all, observed);
  const s = starter as LabTestReport['starter'];
  if (s?.error) problems.push({ kind: 'starter-error', message: `the starter files could not be graded: ${s.error}` });
  else if (s?.result && s.result.maxScore > 0 && s.result.score >= s.result.maxScore) problems.push({ kind: 'starter-full', message: `the untouched starter files score full marks (${s.result.score}/${s.result.maxScore}): the lab asks nothing of the student` });
  else if (s?.result?.checks.some((c) => c.status === 'error')) problems.push({ kind: 'starter-error', message: `grading the starter files gives an error on ${s.result.checks.filter((c) => c.status === 'error').map((c) => c.id).join(', ')}` });
  return { lab: spec.id, labDir, spec, cases: ordered, starter: s, problems, durationMs: Date.now() - started, ok: ordered.length === cases.length && ordered.every((o) => o.status === 'as-expected') && problems.length === 0 };
}

export function rowsOf(report: LabTestReport): LabRows {
  return {
    lab: report.lab,
    durationMs: report.durationMs,
    problems: report.problems,
    ...(report.starter ? { starter: report.starter.result ? `${report.starter.result.score}/${report.starter.result.maxScore}` : `not graded (${report.starter.error ?? 'error'})` } : {}),
    rows: report.cases.map((o): CaseRow => ({
      name: o.case.name,
      expected: verdictText(o.case),
      observed: o.result ? verdictText(observedVerdict(observedOf(o.result))) + (observedVerdict(observedOf(o.result)).error.length ? `; errors ${observedVerdict(observedOf(o.result)).error.join(', ')}` : '') : 'not graded',
      status: o.status,
      differences: o.differences,
      ...(o.error ? { error: o.error } : {}),
      durationMs: o.durationMs,
    })),
  };
}

export const TEST_LAB_HELP = `Prove a lab with its cases: npm run grade -- test-lab [lab-NN | DIR …] [options]

Grades every case of labs/lab-NN/tests/ (cases.json: one entry per folder, the
files laid over the lab's given files; no "failed"/"skipped" = full marks) and
the untouched starter files, and says per case the expected and observed verdict,
the checks that differ and the time; then the lab's problems (no reference, a
reference below full marks, points lost on a check a case does not name, a check
no case fails, starter files at full marks).

  lab-NN | DIR            labs by id (in --labs-dir) or lab folders; a folder of labs tests them all; none: every lab
  --labs-dir DIR          the labs folder (default: the one shipped with the grader)
  --case NAME             only this case (repeatable; the lab-wide problems are then not judged)
  --jobs N                gradings at once (default: from the machine, as batch)
  --sandbox MODE          required (default), auto or off, as for grading
  --reporter NAME[=FILE]  terminal (default, stdout), junit=FILE or json=FILE (every case's full
                          result, for tools: the project's own engine tests read it); repeatable
  --quiet                 no progress lines on stderr

Exit codes: 0 every case as expected and no problem · 1 some differ or the lab has problems · 2 bad usage or an invalid lab/cases file · 3 no Docker engine`;

export interface TestLabIo {
  stdout: { write(text: string): unknown; columns?: number };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal: AbortSignal;
}

function usage(io: TestLabIo, message: string): number {
  io.stderr.write(`dockerlab test-lab: ${message}\nRun npm run grade -- test-lab --help for usage.\n`);
  return 2;
}

/** Lab folders named by the command line: ids in the labs folder, lab folders, or folders of labs. */
export function labFoldersOf(args: string[], labs: string, cwd: string): string[] {
  if (args.length === 0) return listLabIds(labs).map((id) => path.join(labs, id));
  return args.flatMap((arg) => {
    const dir = /^lab-\d{2}$/.test(arg) && !existsSync(path.resolve(cwd, arg)) ? resolveLabDir(arg, labs) : path.resolve(cwd, arg);
    if (existsSync(path.join(dir, 'lab.json'))) return [dir];
    if (existsSync(dir)) {
      const inside = listLabIds(dir);
      if (inside.length) return inside.map((id) => path.join(dir, id));
    }
    throw new InvalidCasesError([`${arg}: no lab there (looked for ${path.join(dir, 'lab.json')}); name a lab-NN of ${labs}, a lab folder, or a folder of labs`]);
  });
}

/** `test-lab`: parses its options, grades, renders; returns the exit code. */
export async function runTestLabCommand(argv: string[], io: TestLabIo, deps: { runtime?: Runtime } = {}): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'labs-dir': { type: 'string' },
        case: { type: 'string', multiple: true },
        jobs: { type: 'string' },
        sandbox: { type: 'string' },
        reporter: { type: 'string', multiple: true },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  if (values.help) {
    io.stdout.write(`${TEST_LAB_HELP}\n`);
    return 0;
  }
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) return usage(io, `--jobs must be a whole number ≥ 1, not "${values.jobs}"`);
  const sandbox = values.sandbox ?? 'required';
  if (sandbox !== 'required' && sandbox !== 'auto' && sandbox !== 'off') return usage(io, `--sandbox must be required, auto or off, not "${sandbox}"`);
  let terminal = false;
  let junit: string | null = null;
  let json: string | null = null;
  for (const r of values.reporter ?? ['terminal']) {
    if (r === 'terminal') terminal = true;
    else if (r.startsWith('junit=') && r.length > 'junit='.length) junit = path.resolve(io.cwd, r.slice('junit='.length));
    else if (r.startsWith('json=') && r.length > 'json='.length) json = path.resolve(io.cwd, r.slice('json='.length));
    else return usage(io, `unknown --reporter "${r}"; test-lab knows terminal, junit=FILE and json=FILE`);
  }
  const labs = values['labs-dir'] ? path.resolve(io.cwd, values['labs-dir']) : defaultLabsDir();
  let folders: string[];
  try {
    folders = labFoldersOf(positionals, labs, io.cwd);
    if (values.case && folders.length !== 1) return usage(io, '--case needs exactly one lab');
    // Every lab's cases are checked before anything is graded: a typo costs seconds, not a run.
    for (const dir of folders) loadLabCases(dir);
  } catch (error) {
    if (error instanceof InvalidCasesError) {
      io.stderr.write(`dockerlab test-lab: invalid cases:\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`);
      return 2;
    }
    throw error;
  }
  const runtime = deps.runtime ?? createHostRuntime({ env: io.env });
  const baseImages = new BaseImages(runtime);
  const reports: LabTestReport[] = [];
  for (const labDir of folders) {
    if (io.signal.aborted) break;
    if (!values.quiet) io.stderr.write(`test-lab ${path.basename(labDir)}: grading its cases…\n`);
    try {
      const report = await testLab({
        labDir, runtime, baseImages, sandbox, signal: io.signal, starter: !values.case,
        ...(jobs ? { jobs } : {}), ...(values.case ? { only: values.case } : {}),
        onCase: (o) => { if (!values.quiet) io.stderr.write(`  ${o.status === 'as-expected' ? '✓' : '✗'} ${o.case.name} (${(o.durationMs / 1000).toFixed(1)} s)\n`); },
      });
      reports.push(report);
      if (terminal) io.stdout.write(`${renderTable(rowsOf(report), io.stdout.columns ?? 200)}\n`);
    } catch (error) {
      if (error instanceof InvalidCasesError) {
        io.stderr.write(`dockerlab test-lab: invalid cases:\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`);
        return 2;
      }
      throw error;
    }
  }
  if (junit) {
    mkdirSync(path.dirname(junit), { recursive: true });
    writeFileSync(junit, renderCasesJunit(reports.map(rowsOf)));
  }
  if (json) {
    writeJsonReport(json, reports);
  }
  if (io.signal.aborted) return 130;
  return reports.every((r) => r.ok) ? 0 : 1;
}
