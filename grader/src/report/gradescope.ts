import { format } from '../i18n/lang.js';
import { MESSAGES } from '../i18n/messages.js';
import { REPORT_MESSAGES } from '../i18n/report-messages.js';
import type { CheckResult, Result } from '../result.js';
import { rmSync } from 'node:fs';
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
 * check is `failed` with the reason in its output. A grading with a check that could
 * not be evaluated is no grade at all: the reporter writes no file for it
 * (gradescopeRefusal).
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

/**
 * Why a grading must not reach Gradescope's gradebook: a check the engine could not
 * evaluate has no verdict, and Gradescope has no status for "not graded" (a test is
 * passed or failed, and a failed test's points are lost). Gradescope shows "The
 * autograder failed to execute correctly" when results.json is missing or is not
 * valid JSON (gradescope/autograder_samples, docs/troubleshooting.md), which is the
 * truth here and lets the instructor rerun it, so no file is written.
 */
export function gradescopeRefusal(result: Result): string | null {
  const errored = result.checks.filter((c) => c.status === 'error');
  if (errored.length === 0) return null;
  return `${errored.length} check(s) of ${result.lab} could not be evaluated (a grader or engine problem, not the submission): ${errored.map((c) => `${c.id} (${oneLine(c.message)})`).join('; ')}`;
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
  description: 'Gradescope results.json (a test per check, passed/failed, Markdown output; no file when a check could not be evaluated); =FILE, e.g. =/autograder/results/results.json',
  create(options) {
    const destination = options.destination;
    const out = inOrder(outputFor(destination, options.stdout));
    let refused = false;
    return {
      name: 'gradescope',
      onResult(result) {
        const refusal = refused ? null : gradescopeRefusal(result);
        if (refused || refusal !== null) {
          // One grading without a verdict makes the whole file no grade: remove what is there.
          refused = true;
          if (destination?.kind === 'file') {
            rmSync(destination.path, { force: true });
            // On stderr: standard output may carry another reporter's JSON.
            if (refusal !== null) process.stderr.write(`gradescope: no results.json written, Gradescope will show that the autograder failed (rerun it): ${refusal}\n`);
          }
          return;
        }
        out.write(`${stringifyJson(gradescopeResults(result))}\n`);
      },
    };
  },
};
