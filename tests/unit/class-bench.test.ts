import { estimateClass, type VerdictRow } from '../../grader/src/bench/class-bench.js';

const row = (lab: string, ms: number, waits: string | null = null): VerdictRow => ({ lab, variant: `${lab}-${ms}`, ms, right: true, wrongWork: ms !== 1000, waits });

describe('bench:class arithmetic (a class over CI shards)', () => {
  const rows = [row('lab-01', 1000), row('lab-01', 3000), row('lab-01', 60_000, 'hangs'), row('lab-03', 2000)];
  const base = { students: 300, shards: 20, budgetSeconds: 1800, setupSeconds: 100, mergeSeconds: 50, rows, speedUp: 2 };

  it('costs each lab by its mean grading, with and without the waiting mistakes', () => {
    const e = estimateClass(base);
    expect(e.labs).toEqual([
      { lab: 'lab-01', cases: 3, typicalSeconds: 2, withWaitsSeconds: 64 / 3 },
      { lab: 'lab-03', cases: 1, typicalSeconds: 2, withWaitsSeconds: 2 },
    ]);
  });

  it('a shard holds ceil(students / shards) students of every lab, divided by the batch speed-up, plus set-up and merge', () => {
    const e = estimateClass(base);
    expect(e.studentsPerShard).toBe(15);
    expect(e.gradingsPerShard).toBe(30);
    expect(e.shardTypicalSeconds).toBeCloseTo((15 * 2 + 15 * 2) / 2);
    expect(e.shardWithWaitsSeconds).toBeCloseTo((15 * (64 / 3) + 15 * 2) / 2);
    expect(e.wallWithWaitsSeconds).toBeCloseTo(100 + (15 * (64 / 3) + 15 * 2) / 2 + 50);
    expect(e.fits).toBe(true);
    expect(estimateClass({ ...base, students: 301 }).studentsPerShard).toBe(16);
  });

  it('does not fit when the waiting mistakes push it past the budget, even if the typical figure fits', () => {
    const e = estimateClass({ ...base, budgetSeconds: 300 });
    expect(e.wallTypicalSeconds).toBeLessThan(300);
    expect(e.fits).toBe(false);
  });

  it('refuses nonsense inputs', () => {
    expect(() => estimateClass({ ...base, shards: 0 })).toThrow('at least 1');
    expect(() => estimateClass({ ...base, speedUp: 0 })).toThrow('positive');
  });
});
