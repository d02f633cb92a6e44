import { readBenchFigures } from './figures.js';

/**
 * npm run bench:class — would a whole class fit in a CI matrix's time? Computed, not guessed:
 * what one grading of each lab costs (measured by `npm run bench:verdicts`, every case of every
 * lab, warm, one at a time), times the number of gradings a shard holds, divided by the batch's
 * measured speed-up on this machine's cores (`npm run bench:batch`), plus a runner's set-up.
 * Prints the inputs, the arithmetic and the verdict against the budget.
 *
 * Environment: CLASS_STUDENTS (300), CLASS_SHARDS (20), CLASS_BUDGET_MINUTES (30),
 * CLASS_SETUP_SECONDS (a runner's set-up before it grades; see SETUP below),
 * CLASS_MERGE_SECONDS (the merge job after the shards; see MERGE below).
 */
export interface VerdictRow { lab: string; variant: string; ms: number; right: boolean; wrongWork: boolean; waits: string | null }
export interface BatchFigures { cores: number; jobs: number; speedUp: number; sameScores: boolean; errors: number }

export interface ClassInputs {
  students: number;
  shards: number;
  budgetSeconds: number;
  setupSeconds: number;
  mergeSeconds: number;
  rows: VerdictRow[];
  speedUp: number;
}

export interface LabCost { lab: string; cases: number; typicalSeconds: number; withWaitsSeconds: number }

export interface ClassEstimate {
  labs: LabCost[];
  studentsPerShard: number;
  gradingsPerShard: number;
  /** One shard's grading time when every student's work costs what the lab's references and quick wrong cases cost. */
  shardTypicalSeconds: number;
  /** Same, with the cases whose mistake is waiting (a hung script, a healthcheck that never passes) in the mix at their share of the cases. */
  shardWithWaitsSeconds: number;
  wallTypicalSeconds: number;
  wallWithWaitsSeconds: number;
  fits: boolean;
}

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);

/** The arithmetic, on its own so that it is tested without an engine. */
export function estimateClass(inputs: ClassInputs): ClassEstimate {
  if (!(inputs.students >= 1 && inputs.shards >= 1 && inputs.speedUp > 0)) throw new Error('students and shards must be at least 1 and the speed-up positive');
  const byLab = new Map<string, VerdictRow[]>();
  for (const row of inputs.rows) byLab.set(row.lab, [...(byLab.get(row.lab) ?? []), row]);
  const labs = [...byLab.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([lab, rows]) => ({
    lab,
    cases: rows.length,
    typicalSeconds: mean(rows.filter((r) => !r.waits).map((r) => r.ms)) / 1000,
    withWaitsSeconds: mean(rows.map((r) => r.ms)) / 1000,
  }));
  const studentsPerShard = Math.ceil(inputs.students / inputs.shards);
  const shard = (cost: (l: LabCost) => number) => labs.reduce((sum, l) => sum + studentsPerShard * cost(l), 0) / inputs.speedUp;
  const shardTypicalSeconds = shard((l) => l.typicalSeconds);
  const shardWithWaitsSeconds = shard((l) => l.withWaitsSeconds);
  const wall = (s: number) => inputs.setupSeconds + s + inputs.mergeSeconds;
  return {
    labs,
    studentsPerShard,
    gradingsPerShard: studentsPerShard * labs.length,
    shardTypicalSeconds,
    shardWithWaitsSeconds,
    wallTypicalSeconds: wall(shardTypicalSeconds),
    wallWithWaitsSeconds: wall(shardWithWaitsSeconds),
    fits: wall(shardWithWaitsSeconds) <= inputs.budgetSeconds,
  };
}

/**
 * A shard runner's set-up before its first grading, measured on this machine on 2026-12-08 from
 * nothing (/tmp/fresh-measure.sh of that session: a new clone, a cold npm cache, an empty engine):
 * `npm ci --omit=dev` 12.8 s; Debian's docker.io installed 13 s (that morning's new machine) and
 * the CLI plugins from trixie about 8 s; `npm run provision` (dockerd started, the Debian root
 * debootstrapped) 33.2 s; `npm run grade -- images --ensure` for every other image side by side
 * 47.6 s. A GitHub runner has Docker and pulls the images instead: this is the slower case.
 * Override: CLASS_SETUP_SECONDS.
 */
const SETUP_SECONDS = 13 + 13 + 8 + 33 + 48;
/** The merge job: a runner's start, the shards' artifacts downloaded, batch-merge (seconds). An allowance, not a measurement. */
const MERGE_SECONDS = 90;

function numberFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number, not "${raw}"`);
  return value;
}

function main(): void {
  const verdicts = readBenchFigures<{ rows: VerdictRow[] }>('verdicts');
  const batch = readBenchFigures<BatchFigures>('batch');
  const missing = [!verdicts && '`npm run bench:verdicts` (every lab: what one grading costs)', !batch && '`npm run bench:batch` (the batch speed-up on this machine)'].filter(Boolean);
  if (missing.length || !verdicts || !batch) {
    process.stderr.write(`bench:class computes from measured figures; run first: ${missing.join(' and ')}\n`);
    process.exitCode = 2;
    return;
  }
  const inputs: ClassInputs = {
    students: numberFrom('CLASS_STUDENTS', 300),
    shards: numberFrom('CLASS_SHARDS', 20),
    budgetSeconds: numberFrom('CLASS_BUDGET_MINUTES', 30) * 60,
    setupSeconds: numberFrom('CLASS_SETUP_SECONDS', SETUP_SECONDS),
    mergeSeconds: numberFrom('CLASS_MERGE_SECONDS', MERGE_SECONDS),
    rows: verdicts.figures.rows,
    speedUp: batch.figures.speedUp,
  };
  const e = estimateClass(inputs);
  const s = (seconds: number) => `${(seconds / 60).toFixed(1)} min`;
  const out = [
    `inputs: bench:verdicts of ${verdicts.measuredAt} (${inputs.rows.length} gradings, ${e.labs.length} labs); bench:batch of ${batch.measuredAt} (speed-up ${inputs.speedUp.toFixed(2)}× with ${batch.figures.jobs} jobs on ${batch.figures.cores} cores${batch.figures.sameScores ? ', same scores as sequential' : ', SCORES DIFFERED'})`,
    '',
    'lab      cases  one grading (typical)  (waiting mistakes in the mix)',
    ...e.labs.map((l) => `${l.lab.padEnd(8)} ${String(l.cases).padStart(5)}  ${`${l.typicalSeconds.toFixed(1)} s`.padStart(21)}  ${`${l.withWaitsSeconds.toFixed(1)} s`.padStart(29)}`),
    '',
    `class: ${inputs.students} students × ${e.labs.length} labs = ${inputs.students * e.labs.length} gradings over ${inputs.shards} shards: ${e.studentsPerShard} students, ${e.gradingsPerShard} gradings per shard`,
    `one shard grades for Σ(lab cost × ${e.studentsPerShard}) / ${inputs.speedUp.toFixed(2)} = ${s(e.shardTypicalSeconds)} typical, ${s(e.shardWithWaitsSeconds)} with the waiting mistakes`,
    `wall time = set-up ${inputs.setupSeconds} s + the shards side by side + merge ${inputs.mergeSeconds} s = ${s(e.wallTypicalSeconds)} typical, ${s(e.wallWithWaitsSeconds)} with the waiting mistakes`,
    `budget ${s(inputs.budgetSeconds)}: ${e.fits ? 'fits' : 'DOES NOT FIT'} (judged on the figure with the waiting mistakes; identical submissions, graded once, are not counted as savings)`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  if (!e.fits) process.exitCode = 1;
}

if (process.argv[1] && /class-bench|bench-class/.test(process.argv[1])) main();
