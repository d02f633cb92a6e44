export type CsvValue = string | number | null;

/**
 * One CSV cell (RFC 4180). Text that a spreadsheet would run as a formula
 * (=, +, -, @, tab, CR at the start: "CSV injection") gets a leading apostrophe:
 * folder names and roster cells are not the teacher's own text. Numbers are
 * written with a dot, whatever the locale.
 */
export function csvCell(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n;]/.test(safe) || safe !== safe.trim() ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(rows: CsvValue[][], { bom = false }: { bom?: boolean } = {}): string {
  return (bom ? '\uFEFF' : '') + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
