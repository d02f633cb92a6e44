import { format } from '../i18n/lang.js';
import { MESSAGES } from '../i18n/messages.js';
import { REPORT_MESSAGES } from '../i18n/report-messages.js';
import type { CheckResult, Result } from '../result.js';
import { inOrder, outputFor } from './output.js';
import { escapeMarkdownInline, markdownCodeBlock, oneLine, stringifyJson, truncateUtf8 } from './sanitize.js';
import type { ReporterFactory } from './types.js';

export interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  output_format: 'md';
  tags: string[];
  visibility: 'visible';
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  output_format: 'md';
  visibility: 'visible';
  stdout_visibility: 'hidden';
  tests: GradescopeTest[];
}

const MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * Gradescope's results.json (gradescope/autograder_samples, docs/specs.md): a test
 * per check with its points. Gradescope knows only passed and failed, so a skipped
 * check or one that could not be evaluated is `failed` with the reason in its output.
 */
export function gradescopeResults(result: Result): GradescopeResults {
  const r = REPORT_MESSAGES[result.lang];
  const failed = result.checks.filter((c) => c.status !== 'passed').length;
  const overview = [
    `**${escapeMarkdownInline(`${result.lab} — ${result.title}`)}**`,
    '',
    `${format(r.scoreLine, { score: result.score, maxScore: result.maxScore, percent: result.maxScore > 0 ? Math.round((result.score / result.maxScore) * 1000) / 10 : 100 })} — ${failed === 0 ? r.allPassed : format(r.someFailed, { failed, total: result.checks.length })}`,
    ...(result.notes.length ? ['', `**${r.notesHeading}**`, '', ...result.notes.map((n) => (n.includes('\n') ? markdownCodeBlock(truncateUtf8(n, MAX_OUTPUT_BYTES)) : `- ${escapeMarkdownInline(n)}`))] : []),
  ].join('\n');
  return {
    score: result.score,
    execution_time: Math.round(result.durationMs / 1000),
    output: overview,
    output_format: 'md',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests: result.checks.map((check, i) => ({
      name: oneLine(`${check.title} [${check.id}]`),
      number: String(i + 1),
      score: check.points,
      max_score: check.maxPoints,
      status: check.status === 'passed' ? 'passed' : 'failed',
      output: testOutput(check, result),
      output_format: 'md',
      tags: [oneLine(result.lab), oneLine(check.id)],
      visibility: 'visible',
    })),
  };
}

function testOutput(check: CheckResult, result: Result): string {
  const m = MESSAGES[result.lang];
  const r = REPORT_MESSAGES[result.lang];
  const colon = result.lang === 'fr' ? ' : ' : ': ';
  const block = (text: string) => (text.includes('\n') || text.length > 160 ? `\n\n${markdownCodeBlock(truncateUtf8(text, MAX_OUTPUT_BYTES))}\n` : escapeMarkdownInline(text));
  const lines: string[] = [];
  if (check.status === 'skipped') lines.push(escapeMarkdownInline(format(r.skippedExplained, { message: check.message })));
  else if (check.status === 'error') lines.push(`${escapeMarkdownInline(format(r.errorExplained, { message: '' }))}${block(check.message)}`);
  else if (check.expected !== null && check.observed !== null) {
    lines.push(`**${m.expected}**${colon}${block(check.expected)}`, '', `**${m.observed}**${colon}${block(check.observed)}`);
  } else lines.push(block(check.message));
  if (check.location) lines.push('', escapeMarkdownInline(format(r.location, { file: check.location.file, line: check.location.line })));
  if (check.hint && check.status !== 'passed') lines.push('', `**${m.hint}**${colon}${escapeMarkdownInline(check.hint)}`);
  return lines.join('\n');
}

export const gradescopeReporter: ReporterFactory = {
  name: 'gradescope',
  description: 'Gradescope results.json (a test per check, passed/failed, Markdown output); =FILE, e.g. =/autograder/results/results.json',
  create(options) {
    const out = inOrder(outputFor(options.destination, options.stdout));
    return {
      name: 'gradescope',
      onResult(result) {
        out.write(`${stringifyJson(gradescopeResults(result))}\n`);
      },
    };
  },
};
