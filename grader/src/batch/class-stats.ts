import type { Gradebook, GradebookRow } from './gradebook.js';
import type { LabInfo } from './types.js';

export interface Bin {
  /** Scores in [from, to) (the last bin includes `to`). */
  from: number;
  to: number;
  label: string;
  count: number;
  students: string[];
}

export interface LabStats {
  lab: LabInfo;
  graded: number;
  errors: number;
  missing: number;
  mean: number | null;
  median: number | null;
  bins: Bin[];
}

export interface CheckStats {
  lab: string;
  id: string;
  title: string;
  points: number;
  passed: number;
  failed: number;
  skipped: number;
  error: number;
  /** passed / (passed + failed + skipped): a check skipped because its prerequisite failed was not achieved either. Null when nobody was evaluated. */
  rate: number | null;
}

export interface GradingRef {
  student: string;
  slug: string;
  lab: string;
  durationMs: number;
  score: number;
  maxScore: number;
  /** Checks in error and why (first message). */
  errorChecks: string[];
  reason: string | null;
  attempts: number;
}

export interface ClassStats {
  labs: LabStats[];
  checks: CheckStats[];
  slowest: GradingRef[];
  erroring: GradingRef[];
  /** Per lab, groups of students with byte-identical submissions (not the untouched starter). */
  identical: { lab: string; students: string[] }[];
}

const median = (values: number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Bins for a lab's histogram: one per possible score when the scores are whole
 * numbers and the maximum is small (a teacher reads "how many got 14/20"), else
 * ten equal ranges.
 */
export function binsFor(maxScore: number, scored: { score: number; student: string }[]): Bin[] {
  const whole = Number.isInteger(maxScore) && maxScore <= 25 && scored.every((s) => Number.isInteger(s.score));
  const edges = whole ? Array.from({ length: maxScore + 1 }, (_, i) => i) : Array.from({ length: 10 }, (_, i) => round((maxScore * i) / 10));
  const bins: Bin[] = edges.map((from, i) => {
    const to = whole ? from + 1 : (edges[i + 1] ?? maxScore);
    return { from, to, label: whole ? String(from) : `${from}–${to}`, count: 0, students: [] };
  });
  for (const { score, student } of scored) {
    const index = whole ? Math.min(bins.length - 1, Math.max(0, Math.round(score))) : Math.min(bins.length - 1, Math.max(0, Math.floor((score / (maxScore || 1)) * 10)));
    bins[index]!.count += 1;
    bins[index]!.students.push(student);
  }
  return bins;
}

export function classStats(book: Gradebook, { slowest = 10 }: { slowest?: number } = {}): ClassStats {
  const labs = book.labs.map((lab, i): LabStats => {
    const cells = book.rows.map((row) => ({ row, cell: row.cells[i]! }));
    const graded = cells.filter(({ cell }) => cell.state === 'graded');
    const scores = graded.map(({ cell }) => cell.score ?? 0);
    return {
      lab,
      graded: graded.length,
      errors: cells.filter(({ cell }) => cell.state === 'error').length,
      missing: cells.filter(({ cell }) => cell.state === 'missing' || cell.state === 'not-graded').length,
      mean: scores.length ? round(scores.reduce((a, b) => a + b, 0) / scores.length) : null,
      median: median(scores),
      bins: binsFor(lab.maxScore, graded.map(({ row, cell }) => ({ score: cell.score ?? 0, student: row.display }))),
    };
  });

  const checks: CheckStats[] = [];
  book.labs.forEach((lab, i) => {
    for (const spec of lab.checks) {
      const stat: CheckStats = { lab: lab.id, id: spec.id, title: spec.title ?? spec.id, points: spec.points, passed: 0, failed: 0, skipped: 0, error: 0, rate: null };
      for (const row of book.rows) {
        const check = row.cells[i]!.record?.result.checks.find((c) => c.id === spec.id);
        if (!check) continue;
        // The result's title is in the batch's language and says what the default title of the kind is.
        if (spec.title === null) stat.title = check.title;
        stat[check.status] += 1;
      }
      const evaluated = stat.passed + stat.failed + stat.skipped;
      stat.rate = evaluated ? stat.passed / evaluated : null;
      checks.push(stat);
    }
  });

  const refs: GradingRef[] = [];
  for (const row of book.rows) {
    row.cells.forEach((cell) => {
      if (!cell.record) return;
      const r = cell.record;
      const errorChecks = r.result.checks.filter((c) => c.status === 'error');
      refs.push({
        student: row.display,
        slug: row.slug,
        lab: cell.lab,
        // A reused grading did not run: its duration is the original's.
        durationMs: r.reusedFrom ? -1 : r.result.durationMs,
        score: r.result.score,
        maxScore: r.result.maxScore,
        errorChecks: errorChecks.map((c) => c.id),
        reason: r.failure ?? errorChecks[0]?.message ?? null,
        attempts: r.attempts,
      });
    });
  }

  const identical: { lab: string; students: string[] }[] = [];
  book.labs.forEach((lab, i) => {
    const groups = new Map<string, GradebookRow[]>();
    for (const row of book.rows) {
      const r = row.cells[i]!.record;
      if (!r || r.submissionHash === lab.starterHash) continue;
      groups.set(r.submissionHash, [...(groups.get(r.submissionHash) ?? []), row]);
    }
    for (const rows of groups.values()) if (rows.length > 1) identical.push({ lab: lab.id, students: rows.map((r) => r.display) });
  });

  return {
    labs,
    checks,
    slowest: refs.filter((r) => r.durationMs >= 0).sort((a, b) => b.durationMs - a.durationMs || a.student.localeCompare(b.student) || a.lab.localeCompare(b.lab)).slice(0, slowest),
    erroring: refs.filter((r) => r.errorChecks.length > 0),
    identical,
  };
}
