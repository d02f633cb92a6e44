import { REPORT_MESSAGES } from '../i18n/report-messages.js';
import { MESSAGES } from '../i18n/messages.js';
import { format } from '../i18n/lang.js';
import type { CheckResult, CheckStatus, Result } from '../result.js';
import { escapeHtml, escapeHtmlText, escapeMarkdownInline, markdownCodeBlock, oneLine, truncateUtf8, utf8Length } from './sanitize.js';

/** GitHub Actions refuses a step summary over 1 MiB (and shows an error instead of it). */
export const STEP_SUMMARY_LIMIT = 1024 * 1024;
/** One check's observed output may not crowd out the others. */
const MAX_BLOCK_BYTES = 64 * 1024;
const INLINE_MAX = 160;

const EMOJI: Record<CheckStatus, string> = { passed: '✅', failed: '❌', skipped: '⏭️', error: '⚠️' };

export interface SummaryOptions {
  /** Bytes this summary may take (what is left of the step's 1 MiB). */
  limitBytes?: number;
  /** The score notices come from the Classroom reporter step, not from us: say so. */
  scoreSentByClassroom?: boolean;
}

/**
 * The job summary of one grading, in the result's language: score, a table of
 * checks with points, then for each check not passed the expected / observed /
 * hint (long output collapsed), the actions and notes. Sections that do not fit in
 * the limit are left out, most important first kept, and a note says so.
 */
export function renderJobSummary(result: Result, options: SummaryOptions = {}): string {
  const limit = options.limitBytes ?? STEP_SUMMARY_LIMIT;
  const r = REPORT_MESSAGES[result.lang];
  const m = MESSAGES[result.lang];
  const statusWord: Record<CheckStatus, string> = { passed: m.passed, failed: m.failed, skipped: m.skipped, error: m.errorStatus };
  const failed = result.checks.filter((c) => c.status !== 'passed');
  const percent = result.maxScore > 0 ? Math.round((result.score / result.maxScore) * 1000) / 10 : 100;

  const head = [
    `## ${escapeMarkdownInline(format(r.heading, { lab: result.lab, title: result.title }))}`,
    '',
    `${format(r.scoreLine, { score: result.score, maxScore: result.maxScore, percent })} — ${failed.length === 0 ? r.allPassed : format(r.someFailed, { failed: failed.length, total: result.checks.length })}`,
    ...(options.scoreSentByClassroom ? ['', `<sub>${escapeHtml(r.reportedByClassroom)}</sub>`] : []),
    '',
    `| | ${r.columnCheck} | ${r.columnStatus} | ${r.columnPoints} |`,
    '|---|---|---|---:|',
    ...result.checks.map((c) => `| ${EMOJI[c.status]} | ${teacherText(c.title)} <sub>${escapeMarkdownInline(c.id)}</sub> | ${statusWord[c.status]} | ${c.points} / ${c.maxPoints} |`),
    '',
  ].join('\n');

  const sections: string[] = [];
  if (failed.length > 0) {
    sections.push(`### ${r.failuresHeading}\n`);
    for (const check of failed) sections.push(renderCheckDetail(check, result));
  }
  const actions = result.actions ?? [];
  if (actions.length > 0) {
    sections.push(
      [`### ${r.actionsHeading}`, '', ...actions.map((a) => `- ${a.status === 'done' ? '↻' : '⚠️'} ${teacherText(a.title)}${a.status === 'done' ? '' : ` — ${inlineOrBlock(a.message, r.outputBlock, result.lang)}`}`), ''].join('\n'),
    );
  }
  if (result.notes.length > 0) {
    sections.push([`### ${r.notesHeading}`, '', ...result.notes.map((n) => `- ${inlineOrBlock(n, r.outputBlock, result.lang)}`), ''].join('\n'));
  }
  sections.push(`<sub>${escapeHtml(format(r.gradedBy, {
    version: result.grader?.version ?? '?',
    isolation: result.isolation === 'sandbox' ? r.isolationSandbox : r.isolationEngine,
    seconds: (result.durationMs / 1000).toFixed(1),
  }))}</sub>\n`);

  const note = `\n> [!WARNING]\n> ${escapeHtml(format(r.summaryTruncated, { limit: STEP_SUMMARY_LIMIT }))}\n`;
  let text = head;
  for (const [i, section] of sections.entries()) {
    const rest = sections.length - i - 1;
    // Keep room for the note unless this is the last section and it fits whole.
    if (utf8Length(text) + utf8Length(section) + (rest > 0 ? utf8Length(note) : 0) <= limit) {
      text += `\n${section}`;
      continue;
    }
    return fitWithNote(text, note, limit);
  }
  return utf8Length(text) <= limit ? text : fitWithNote(text, note, limit);
}

function fitWithNote(text: string, note: string, limit: number): string {
  if (utf8Length(text) + utf8Length(note) <= limit) return text + note;
  // Even the table is too long: cut it on a line boundary.
  const cut = truncateUtf8(text, Math.max(0, limit - utf8Length(note)));
  const whole = cut.slice(0, Math.max(0, cut.lastIndexOf('\n') + 1));
  return truncateUtf8(whole + note, limit);
}

function renderCheckDetail(check: CheckResult, result: Result): string {
  const r = REPORT_MESSAGES[result.lang];
  const m = MESSAGES[result.lang];
  const colon = result.lang === 'fr' ? ' : ' : ': ';
  const lines = [`#### ${EMOJI[check.status]} ${teacherText(check.title)} — ${check.points} / ${check.maxPoints}`, ''];
  if (check.location) lines.push(`${escapeMarkdownInline(format(r.location, { file: check.location.file, line: check.location.line }))}`, '');
  if (check.status === 'failed' && check.expected !== null && check.observed !== null) {
    lines.push(`**${m.expected}**${colon}${inlineOrBlock(check.expected, r.outputBlock, result.lang)}`, '');
    lines.push(`**${m.observed}**${colon}${inlineOrBlock(check.observed, r.outputBlock, result.lang)}`, '');
  } else {
    lines.push(inlineOrBlock(check.message, r.outputBlock, result.lang), '');
  }
  if (check.hint) lines.push(`**${m.hint}**${colon}${teacherText(check.hint)}`, '');
  return lines.join('\n');
}

/**
 * Titles and hints come from the lab spec (the course's pinned copy in CI), so their
 * code spans may render; still one line, and no HTML.
 */
function teacherText(text: string): string {
  return escapeHtmlText(oneLine(text)).replace(/\|/g, '\\|');
}

/** Short one-line text inline (escaped); anything else in a collapsed code block. */
function inlineOrBlock(text: string, blockTitle: string, lang: Result['lang']): string {
  const trimmed = text.replace(/\n+$/, '');
  if (!trimmed.includes('\n') && trimmed.length <= INLINE_MAX) return escapeMarkdownInline(trimmed);
  let capped = truncateUtf8(trimmed, MAX_BLOCK_BYTES);
  if (capped !== trimmed) capped += `\n${format(REPORT_MESSAGES[lang].outputCapped, { bytes: utf8Length(trimmed) - utf8Length(capped), limit: MAX_BLOCK_BYTES })}`;
  const lines = capped.split('\n').length;
  return `\n\n<details><summary>${escapeHtml(format(blockTitle, { lines }))}</summary>\n\n${markdownCodeBlock(capped)}\n\n</details>\n`;
}
