/**
 * Points as a person reads them: at most two decimals, no binary noise
 * (0.1 + 0.2 prints 0.3, not 0.30000000000000004), no trailing zeros (1.5, 2).
 * The grader's scores are rounded to hundredths already (result.ts); a check's own
 * points may be a sum of fractions, so every reporter that prints points uses this.
 */
export function formatPoints(points: number): string {
  if (!Number.isFinite(points)) return String(points);
  // toPrecision(15) drops the noise of binary arithmetic (1.005 * 100 is 100.49999999999999), so halves round up as written.
  const rounded = Math.round(Number((points * 100).toPrecision(15))) / 100;
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

/** The same value as a number (for JSON formats): the float nearest to what formatPoints prints. */
export function roundPoints(points: number): number {
  return Number(formatPoints(points));
}
