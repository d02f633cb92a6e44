import type { Lang } from '../i18n/lang.js';
import type { CheckResult } from '../result.js';
import { markdownCodeBlock as mdBlock, oneLine } from '../report/sanitize.js';
import { batchSay, formatNumber } from './batch-messages.js';
import type { Cell, GradebookRow } from './gradebook.js';
import type { GradingRecord, LabInfo } from './types.js';

/**
 * Text inline in Markdown (a title, a table cell, a list item): on one line, with
 * every character that could format, link, embed, open an HTML tag or break a
 * table backslash-escaped, and bare URLs kept from becoming links. Punctuation
 * that cannot do any of that inside a line (apostrophes, parentheses, colons,
 * dashes) stays as it is, so the raw file still reads well in an e-mail.
 */
export function mdInline(text: string): string {
  return oneLine(text)
    .replace(/[\\`*_[\]<>|!~]/g, (c) => `\\${c}`)
    .replace(/\b(https?|ftp):\/\//gi, '$1:\\/\\/')
    .replace(/\bwww\./gi, 'www\\.');
}

const ICON: Record<CheckResult['status'], string> = { passed: '✅', failed: '❌', skipped: '⏭️', error: '⚠️' };

const formatDate = (lang: Lang, iso: string) =>
  new Date(iso).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';

/** The feedback of one lab for one student, ready to send or to push to their repository. */
export function labFeedback(lab: LabInfo, record: GradingRecord, who: string, lang: Lang, scrub: (t: string) => string = (t) => t): string {
  const r = record.result;
  const say = (id: Parameters<typeof batchSay>[1], data?: Record<string, string | number>) => batchSay(lang, id, data);
  const colon = lang === 'fr' ? ' :' : ':';
  const pts = (c: CheckResult) => (c.status === 'error' ? `– / ${formatNumber(lang, c.maxPoints)}` : `${formatNumber(lang, c.points)} / ${formatNumber(lang, c.maxPoints)}`);
  const out: string[] = [];
  out.push(`# ${lab.id} — ${mdInline(lab.title[lang])}`, '');
  out.push(`**${say('score')}${colon} ${formatNumber(lang, r.score)} / ${formatNumber(lang, r.maxScore)}** · ${mdInline(who)} · ${say('gradedOn', { date: formatDate(lang, record.gradedAt) })}`, '');
  if (record.commit) out.push(`_${say('commit', { commit: record.commit.id.slice(0, 10), date: formatDate(lang, record.commit.date) })}_`, '');
  if (lab.chapter) out.push(`> ${mdInline(lab.chapter)}`, '');
  out.push(`| | ${say('check')} | ${say('points')} |`, '|---|---|---:|');
  for (const c of r.checks) out.push(`| ${ICON[c.status]} | ${mdInline(scrub(c.title))} | ${pts(c)} |`);
  out.push('');
  const failed = r.checks.filter((c) => c.status === 'failed');
  const skipped = r.checks.filter((c) => c.status === 'skipped');
  const errors = r.checks.filter((c) => c.status === 'error');
  if (failed.length === 0 && skipped.length === 0 && errors.length === 0) out.push(`**${say('allPassed')}**`, '');
  if (failed.length > 0) {
    out.push(`## ${say('toFix')}`, '');
    for (const c of failed) {
      out.push(`### ${ICON.failed} ${mdInline(scrub(c.title))} (${pts(c)})`, '');
      if (c.expected !== null || c.observed !== null) {
        if (c.expected !== null) out.push(`**${say('expected')}**${colon}`, '', mdBlock(scrub(c.expected)), '');
        if (c.observed !== null) out.push(`**${say('observed')}**${colon}`, '', mdBlock(scrub(c.observed)), '');
      } else {
        out.push(mdBlock(scrub(c.message)), '');
      }
      if (c.location) out.push(`\`${mdInline(c.location.file)}:${c.location.line}\``, '');
      if (c.hint) out.push(`💡 **${say('hint')}**${colon} ${scrub(c.hint)}`, '');
    }
  }
  if (skipped.length > 0) {
    out.push(`## ${say('notEvaluated')}`, '', say('notEvaluatedWhy'), '');
    for (const c of skipped) out.push(`- ${ICON.skipped} ${mdInline(scrub(c.title))} — ${mdInline(scrub(c.message))}`);
    out.push('');
  }
  if (errors.length > 0) {
    out.push(`## ${say('graderErrors')}`, '', say('graderErrorsWhy'), '');
    for (const c of errors) out.push(`- ${ICON.error} ${mdInline(scrub(c.title))} — ${mdInline(scrub(c.message))}`);
    out.push('');
  }
  const notes = [...r.notes, ...(record.reusedFrom ? [say('reused')] : [])];
  if (notes.length > 0) {
    out.push(`## ${say('notes')}`, '');
    for (const n of notes) out.push(`- ${mdInline(scrub(n))}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function cellText(cell: Cell, lang: Lang): string {
  if (cell.state === 'graded') return `${formatNumber(lang, cell.score ?? 0)} / ${formatNumber(lang, cell.maxScore)}`;
  if (cell.state === 'error') return batchSay(lang, 'errorCell');
  if (cell.state === 'pending') return batchSay(lang, 'pendingCell');
  return batchSay(lang, 'notHandedIn');
}

/** feedback/<student>/README.md: every lab's score with a link to its feedback. */
export function studentIndex(row: GradebookRow, labs: LabInfo[], lang: Lang): string {
  const out = [`# ${mdInline(batchSay(lang, 'summaryTitle', { name: row.display }))}`, '', `| ${batchSay(lang, 'lab')} | | ${batchSay(lang, 'score')} |`, '|---|---|---:|'];
  row.cells.forEach((cell, i) => {
    const lab = labs[i]!;
    const link = cell.record ? `[${lab.id}](${lab.id}.md)` : lab.id;
    out.push(`| ${link} | ${mdInline(lab.title[lang])} | ${cellText(cell, lang)} |`);
  });
  out.push(`| **${batchSay(lang, 'total')}** | | **${formatNumber(lang, row.total)} / ${formatNumber(lang, row.maxTotal)}** |`, '');
  return `${out.join('\n').trimEnd()}\n`;
}
