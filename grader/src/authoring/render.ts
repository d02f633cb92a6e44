import { escapeXml, escapeXmlText, oneLine, plainText, truncateUtf8 } from '../report/sanitize.js';
import type { Difference, LabProblem } from './verdict.js';

/** One case as the reports show it (a subset of CaseOutcome: what rendering needs, so it is testable without a grading). */
export interface CaseRow {
  name: string;
  expected: string;
  observed: string;
  /** as-expected / differs / error (the case could not be graded at all). */
  status: 'as-expected' | 'differs' | 'error';
  differences: Difference[];
  /** When status is error: why. */
  error?: string;
  durationMs: number;
}

export interface LabRows {
  lab: string;
  /** The untouched starter files' score, when they were graded. */
  starter?: string;
  rows: CaseRow[];
  problems: LabProblem[];
  durationMs: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const MARK: Record<CaseRow['status'], string> = { 'as-expected': '✓', differs: '✗', error: '!' };

function differing(row: CaseRow): string {
  if (row.status === 'error') return oneLine(row.error ?? 'error');
  return row.differences.map((d) => `${d.check}: ${d.expected}→${d.observed}`).join(', ');
}

function pad(text: string, width: number): string {
  const length = [...text].length;
  return length >= width ? text : text + ' '.repeat(width - length);
}

/** Cuts a cell to a width, keeping it one line (a table row is one line). */
function cell(text: string, width: number): string {
  const chars = [...oneLine(text)];
  return chars.length <= width ? chars.join('') : `${chars.slice(0, width - 1).join('')}…`;
}

/**
 * The terminal table of one lab: a row per case (expected vs observed verdict,
 * the checks that differ, time), then the lab's problems, then one summary line.
 * Plain text, no colours: it is also what CI logs show.
 */
export function renderTable(lab: LabRows, width = 200): string {
  const head = ['', 'case', 'expected', 'observed', 'differs', 'time'];
  const name = Math.min(32, Math.max(4, ...lab.rows.map((r) => [...r.name].length)));
  const verdictWidth = Math.max(12, Math.floor((width - name - 24) / 3));
  const rows = lab.rows.map((r) => [MARK[r.status], cell(r.name, name), cell(r.expected, verdictWidth), cell(r.observed, verdictWidth), cell(differing(r) || '—', verdictWidth), seconds(r.durationMs)]);
  const widths = head.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...r[i]!].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!))).join('  ').trimEnd();
  const out = [`${lab.lab}`, line(head), ...rows.map(line)];
  const detail = lab.rows.filter((r) => r.status === 'differs');
  for (const r of detail) {
    out.push('', `✗ ${r.name}: expected ${r.expected}, observed ${r.observed}`);
    for (const d of r.differences) out.push(`    ${d.check}: expected ${d.expected}, observed ${d.observed} — ${oneLine(d.message)}`);
  }
  if (lab.problems.length) {
    out.push('', `problems of ${lab.lab}:`);
    for (const p of lab.problems) out.push(`  - ${p.message}`);
  }
  const ok = lab.rows.filter((r) => r.status === 'as-expected').length;
  if (lab.starter) out.push('', `starter files: ${lab.starter}`);
  out.push('', `${lab.lab}: ${ok}/${lab.rows.length} case(s) as expected, ${lab.problems.length} problem(s) of the lab, ${seconds(lab.durationMs)}`);
  return `${out.join('\n')}\n`;
}

const attr = (name: string, value: string | number) => `${name}="${escapeXml(String(value))}"`;
const text = (value: string) => escapeXmlText(truncateUtf8(plainText(value), 64 * 1024));

/**
 * JUnit XML for the course's CI: a suite per lab, a testcase per case (a failure
 * when its verdict differs, an error when it could not be graded), and one
 * testcase "lab problems" failing with the lab's problems when there are any.
 */
export function renderCasesJunit(labs: LabRows[], now = new Date()): string {
  const suites = labs.map((lab) => {
    const cases = lab.rows.map((r) => {
      const open = `    <testcase ${attr('classname', `${lab.lab}.cases`)} ${attr('name', r.name)} ${attr('time', (r.durationMs / 1000).toFixed(3))}`;
      if (r.status === 'as-expected') return `${open}/>`;
      if (r.status === 'error') return `${open}>\n      <error ${attr('message', oneLine(r.error ?? 'error'))}>${text(r.error ?? 'error')}</error>\n    </testcase>`;
      const body = [`expected: ${r.expected}`, `observed: ${r.observed}`, ...r.differences.map((d) => `${d.check}: expected ${d.expected}, observed ${d.observed}: ${d.message}`)].join('\n');
      return `${open}>\n      <failure ${attr('message', `expected ${r.expected}, observed ${r.observed}`)}>${text(body)}</failure>\n    </testcase>`;
    });
    const problems = `    <testcase ${attr('classname', `${lab.lab}.lab`)} ${attr('name', 'lab problems')} time="0.000"${lab.problems.length ? `>\n      <failure ${attr('message', `${lab.problems.length} problem(s) of the lab`)}>${text(lab.problems.map((p) => p.message).join('\n'))}</failure>\n    </testcase>` : '/>'}`;
    const failures = lab.rows.filter((r) => r.status === 'differs').length + (lab.problems.length ? 1 : 0);
    const errors = lab.rows.filter((r) => r.status === 'error').length;
    return `  <testsuite ${attr('name', lab.lab)} ${attr('tests', lab.rows.length + 1)} ${attr('failures', failures)} ${attr('errors', errors)} ${attr('time', (lab.durationMs / 1000).toFixed(3))} ${attr('timestamp', now.toISOString().replace(/\.\d{3}Z$/, 'Z'))}>\n${[...cases, problems].join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ${attr('name', 'dockerlab test-lab')}>\n${suites.join('\n')}\n</testsuites>\n`;
}
