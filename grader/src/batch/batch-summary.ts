import { oneLine } from '../report/sanitize.js';
import { classStats } from './class-stats.js';
import { mdInline } from './feedback-markdown.js';
import type { Gradebook } from './gradebook.js';
import type { BatchManifest } from './types.js';

export interface SummaryFacts {
  counts?: { total: number; fromStore: number; graded: number; identical: number; errors: number } | undefined;
  out: string;
  files: string[];
  leftOutOfLms: { moodle: string[]; canvas: string[] } | null;
  warnings: string[];
}

/** What the teacher reads at the end of a run (plain text on stdout): counts, every error and every problem by name, where the files are. */
export function textSummary(manifest: BatchManifest, book: Gradebook, facts: SummaryFacts): string {
  const stats = classStats(book);
  const lines: string[] = [];
  const gradings = book.rows.reduce((n, r) => n + r.cells.filter((c) => c.record).length, 0);
  const shard = manifest.shard ? ` (shard ${manifest.shard.index}/${manifest.shard.count})` : '';
  lines.push(`dockerlab batch${shard}: ${book.rows.length} students, ${book.labs.length} labs (${book.labs.map((l) => l.id).join(', ')}), ${gradings} gradings`);
  if (facts.counts) {
    const c = facts.counts;
    lines.push(`  graded now: ${c.graded} · identical submissions given the same grading: ${c.identical} · already stored by an earlier run: ${c.fromStore}`);
  }
  if (manifest.before) lines.push(`  deadline: last commit before ${manifest.before} by COMMIT DATE, which students can forge (GIT_COMMITTER_DATE); check push times on the host when it matters`);
  for (const s of stats.labs) {
    lines.push(`  ${s.lab.id}: ${s.graded} graded, mean ${s.mean ?? '—'}/${s.lab.maxScore}, median ${s.median ?? '—'}${s.errors ? `, ${s.errors} in error` : ''}${s.missing ? `, ${s.missing} not handed in` : ''}`);
  }
  if (stats.erroring.length > 0) {
    lines.push(`Gradings in error (${stats.erroring.length}) — the engine could not evaluate some checks, even on a second try; not counted as 0:`);
    for (const e of stats.erroring) lines.push(`  - ${e.student} ${e.lab}: ${e.errorChecks.join(', ')}: ${oneLine(e.reason ?? '').slice(0, 200)} (regrade: --regrade ${e.student}/${e.lab})`);
  }
  if (manifest.problems.length > 0) {
    lines.push(`Problems with the class folder or roster (${manifest.problems.length}):`);
    for (const p of manifest.problems) lines.push(`  - ${p.student ? `${p.student} ` : ''}(${oneLine(p.where)}): ${oneLine(p.message)}`);
  }
  if (!manifest.complete) lines.push('Not every submission is graded yet: run the same command again to finish (nothing is graded twice).');
  for (const w of facts.warnings) lines.push(`Warning: ${w}`);
  if (facts.leftOutOfLms && (facts.leftOutOfLms.moodle.length || facts.leftOutOfLms.canvas.length)) {
    lines.push(`LMS exports leave out students with no username, email or id to match on: ${[...new Set([...facts.leftOutOfLms.moodle, ...facts.leftOutOfLms.canvas])].join(', ')} (give a --roster)`);
  }
  const feedbackCount = facts.files.filter((f) => f.startsWith('feedback/')).length;
  const top = facts.files.filter((f) => !f.startsWith('feedback/'));
  lines.push(`Written to ${facts.out}: ${top.join(', ')}, feedback/ (${feedbackCount} files)`);
  return `${lines.join('\n')}\n`;
}

/** summary.md: the same in Markdown, for $GITHUB_STEP_SUMMARY or an e-mail. */
export function markdownSummary(manifest: BatchManifest, book: Gradebook, scrub: (text: string) => string = (t) => t): string {
  const stats = classStats(book);
  const md = (text: string) => mdInline(scrub(text));
  const out = [`## dockerlab batch${manifest.shard ? ` — shard ${manifest.shard.index}/${manifest.shard.count}` : ''}`, ''];
  out.push(`${book.rows.length} students · ${book.labs.length} labs · ${stats.erroring.length} gradings in error · ${manifest.problems.length} input problems${manifest.complete ? '' : ' · **incomplete**'}`, '');
  out.push('| Lab | Graded | Mean | Median | Errors | Not handed in |', '|---|---:|---:|---:|---:|---:|');
  for (const s of stats.labs) out.push(`| ${md(`${s.lab.id} ${s.lab.title[manifest.lang]}`)} | ${s.graded} | ${s.mean ?? '—'} / ${s.lab.maxScore} | ${s.median ?? '—'} | ${s.errors} | ${s.missing} |`);
  out.push('');
  if (stats.erroring.length > 0) {
    out.push('### Gradings in error', '');
    for (const e of stats.erroring) out.push(`- ${md(e.student)} ${e.lab}: ${md(e.errorChecks.join(', '))} — ${md((e.reason ?? '').slice(0, 200))}`);
    out.push('');
  }
  if (manifest.problems.length > 0) {
    out.push('### Input problems', '');
    for (const p of manifest.problems) out.push(`- ${md(p.where)}: ${md(p.message)}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
