import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConcurrency, machineFacts, type Concurrency } from '../batch/concurrency.js';
import { plainProgress } from '../batch/progress-display.js';
import { createRealGrader } from '../batch/real-grader.js';
import { runBatch, type BatchGrader, type BatchRun } from '../batch/run-batch.js';
import { writeOutputs } from '../batch/write-outputs.js';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../paths.js';
import { casesDir, isGivenEntry } from '../spec/cases.js';
import { writeBenchFigures } from './figures.js';

/**
 * npm run bench:batch — grades a synthetic class (the cases of every lab that
 * has some, copied under several student names, some of them identical) with the
 * real grader, sequentially (--jobs 1) and in batch (default --jobs), in one run
 * and with the same warm caches; then runs the batch again with nothing to do.
 * Prints submissions per minute, the speed-up, the grader's peak memory and the
 * time of the resumed run. BENCH_STUDENTS (default 8) sets the class size.
 */
const ROOT = packageRoot();
/** The CLI bundled beside this bench (grader/dist/cli.js). */
const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli.js');
const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 8);
/** Variants that end by themselves quickly (no script left hanging until its time limit). */
const VARIANTS: Record<string, string[]> = {
  'lab-01': ['reference', 'reference-short-flags', 'wrong-port-swapped', 'wrong-ancien-running'],
  'lab-03': ['reference', 'reference-numeric-uid', 'wrong-no-user', 'wrong-shell-form', 'wrong-does-not-build'],
  'lab-04': ['reference', 'wrong-still-port-80', 'wrong-latest'],
};

/** A student's copy of the course with the given lab files and, over them, the case's files (labs/lab-NN/tests/<case>/). */
function assemble(classDir: string, student: string, lab: string, variant: string): void {
  const dir = path.join(classDir, student, 'labs', lab);
  mkdirSync(dir, { recursive: true });
  const labDir = path.join(ROOT, 'labs', lab);
  for (const entry of readdirSync(labDir)) if (isGivenEntry(entry)) cpSync(path.join(labDir, entry), path.join(dir, entry), { recursive: true });
  cpSync(path.join(casesDir(labDir), variant), dir, { recursive: true });
}

interface Phase {
  seconds: number;
  peakRssMiB: number;
  run: BatchRun;
}

/** One batch in this process, timed, with the process' resident memory sampled every 50 ms. */
async function phase(name: string, classDir: string, out: string, labs: string[], concurrency: Concurrency, grader: BatchGrader): Promise<Phase> {
  process.stderr.write(`\n== ${name}: ${concurrency.jobs} at once ==\n`);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = process.hrtime.bigint();
  const run = await runBatch({
    dir: classDir, out, labsDir: path.join(ROOT, 'labs'), labs, concurrency, sandbox: 'auto', shard: null, roster: null, before: null,
    regrade: [], lang: 'fr', grader, progress: plainProgress(process.stderr), signal: new AbortController().signal,
  });
  writeOutputs(out, run.manifest, run.records, { anonymise: false, env: process.env });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { seconds, peakRssMiB: Math.round(peak / 2 ** 20), run };
}

/** One student's lab graded alone by the CLI, as a student would: the score the gradebook must hold. */
function singleGrading(lab: string, submission: string): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, lab, '--submission', submission, '--format', 'json', '--quiet'], { maxBuffer: 16 * 2 ** 20 }, (_error, stdout) => {
      try {
        resolve((JSON.parse(stdout) as { score: number }).score);
      } catch {
        resolve(null);
      }
    });
  });
}

/** The resumed run as a teacher runs it: the CLI in a process of its own, start-up included. */
function resumeWithCli(classDir: string, out: string, labs: string[]): Promise<{ seconds: number; code: number | null; stdout: string }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'batch', classDir, '--out', out, '--labs', labs.join(','), '--lang', 'fr', '--quiet'], { maxBuffer: 16 * 2 ** 20 }, (error, stdout) => {
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

async function main(): Promise<void> {
  const labs = Object.keys(VARIANTS).filter((lab) => existsSync(path.join(ROOT, 'labs', lab, 'lab.json')) && existsSync(casesDir(path.join(ROOT, 'labs', lab))));
  if (labs.length === 0) throw new Error('no lab with cases under labs/lab-NN/tests/');
  const work = mkdtempSync(path.join(os.tmpdir(), 'dockerlab-batch-bench-'));
  const classDir = path.join(work, 'class');
  const students = Array.from({ length: STUDENTS }, (_, i) => `student-${String(i + 1).padStart(2, '0')}`);
  // Student i hands in variant i mod n: past n students, submissions repeat (identical work, as in a real class).
  students.forEach((student, i) => labs.forEach((lab) => assemble(classDir, student, lab, VARIANTS[lab]![i % VARIANTS[lab]!.length]!)));
  const submissions = students.length * labs.length;
  const distinct = labs.reduce((n, lab) => n + Math.min(students.length, VARIANTS[lab]!.length), 0);
  const grader = createRealGrader({ env: process.env, sandbox: 'auto' });
  const machine = machineFacts();
  const parallel = defaultConcurrency(machine);
  const sequential = defaultConcurrency(machine, 1);
  process.stderr.write(`synthetic class: ${students.length} students × ${labs.length} labs (${labs.join(', ')}) = ${submissions} submissions, ${distinct} distinct; ${machine.cores} cores\n`);
  try {
    // Every distinct submission graded once first, so that both timed runs find the same warm caches (base images, layer cache).
    const warm = await phase('warm-up', classDir, path.join(work, 'out-warm'), labs, parallel, grader);
    const seq = await phase('sequential', classDir, path.join(work, 'out-sequential'), labs, sequential, grader);
    const par = await phase('batch', classDir, path.join(work, 'out-batch'), labs, parallel, grader);
    const resumed = await resumeWithCli(classDir, path.join(work, 'out-batch'), labs);

    // Each distinct submission graded alone by the CLI: the batch's gradebook must say the same.
    process.stderr.write('\n== single gradings with the CLI, one per distinct submission ==\n');
    const singles: string[] = [];
    let agree = 0;
    for (const lab of labs) {
      for (let v = 0; v < Math.min(students.length, VARIANTS[lab]!.length); v++) {
        const student = students[v]!;
        const alone = await singleGrading(lab, path.join(classDir, student, 'labs', lab));
        const inBatch = par.run.records.find((r) => r.student === student && r.lab === lab)?.result.score ?? null;
        if (alone !== null && alone === inBatch) agree += 1;
        else singles.push(`${student} ${lab} (${VARIANTS[lab]![v]}): alone ${alone}, in the batch ${inBatch}`);
      }
    }
    const same = JSON.stringify(seq.run.records.map((r) => [r.student, r.lab, r.result.score])) === JSON.stringify(par.run.records.map((r) => [r.student, r.lab, r.result.score]));
    const perMinute = (p: Phase) => Math.round((submissions / p.seconds) * 60 * 10) / 10;
    const lines = [
      '',
      `submissions: ${submissions} (${distinct} distinct, graded once each; the rest get the identical submission's grading)`,
      `warm-up: ${warm.seconds.toFixed(1)} s`,
      `sequential (--jobs 1): ${seq.seconds.toFixed(1)} s, ${perMinute(seq)} submissions/min, peak RSS ${seq.peakRssMiB} MiB`,
      `batch (--jobs ${parallel.jobs}): ${par.seconds.toFixed(1)} s, ${perMinute(par)} submissions/min, peak RSS ${par.peakRssMiB} MiB`,
      `speed-up: ${(seq.seconds / par.seconds).toFixed(2)}× (target ≥ 1.7×)`,
      `grader peak memory: ${Math.max(seq.peakRssMiB, par.peakRssMiB, warm.peakRssMiB)} MiB RSS`,
      `resumed run with nothing to do: ${resumed.seconds.toFixed(2)} s (target < 5 s), exit ${resumed.code}${/graded now: 0\b/.test(resumed.stdout) ? ', graded nothing' : ', GRADED SOMETHING'}`,
      `distinct gradings per minute: sequential ${Math.round((distinct / seq.seconds) * 600) / 10}, batch ${Math.round((distinct / par.seconds) * 600) / 10}`,
      `sequential and batch gave the same scores: ${same ? 'yes' : 'NO'}`,
      `gradebook equals the single gradings (npm run grade lab-NN -- --submission DIR): ${agree}/${distinct}${singles.length ? ` — differ: ${singles.join('; ')}` : ''}`,
      `errors: sequential ${seq.run.counts.errors}, batch ${par.run.counts.errors}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const file = writeBenchFigures('batch', {
      cores: machine.cores, jobs: parallel.jobs, submissions, distinct, sequentialSeconds: seq.seconds, batchSeconds: par.seconds,
      speedUp: seq.seconds / par.seconds, sameScores: same, errors: seq.run.counts.errors + par.run.counts.errors,
    });
    process.stdout.write(`figures written to ${path.relative(process.cwd(), file)}\n`);
    const gradebook = readFileSync(path.join(work, 'out-batch', 'gradebook.csv'), 'utf8');
    process.stderr.write(`\ngradebook of the batch run:\n${gradebook}`);
  } finally {
    if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
    else process.stderr.write(`kept ${work}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:batch failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
