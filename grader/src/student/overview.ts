import type { Lang } from '../i18n/lang.js';
import type { History } from './history.js';
import { studentSay } from './messages.js';

export interface LabLine {
  id: string;
  /** The lab's title in the report's language, or null when its lab.json is invalid. */
  title: string | null;
}

/** "3 min ago", "il y a 2 h"… */
export function ago(at: Date, now: Date, lang: Lang): string {
  const say = studentSay(lang);
  const minutes = Math.floor((now.getTime() - at.getTime()) / 60_000);
  if (minutes < 1) return say('justNow');
  if (minutes < 60) return say('minutesAgo', { n: minutes });
  if (minutes < 48 * 60) return say('hoursAgo', { n: Math.floor(minutes / 60) });
  return say('daysAgo', { n: Math.floor(minutes / (24 * 60)) });
}

/** The student's view of every lab: not started, or the last score and when. */
export function renderOverview(labs: LabLine[], history: History, lang: Lang, now: Date = new Date()): string {
  const say = studentSay(lang);
  const started = labs.filter((l) => history.labs[l.id]).length;
  const titleWidth = Math.min(40, Math.max(0, ...labs.map((l) => (l.title ?? say('invalidLab')).length)));
  const lines = [say('overviewHeading', { done: started, total: labs.length }), ''];
  for (const lab of labs) {
    const entry = history.labs[lab.id];
    const full = lab.title ?? say('invalidLab');
    const title = (full.length > 40 ? `${full.slice(0, 39)}…` : full).padEnd(titleWidth);
    if (!entry) {
      lines.push(`  · ${lab.id}  ${title}  ${say('notStarted')}`);
      continue;
    }
    const allPoints = entry.score === entry.maxScore && entry.maxScore > 0;
    const score = say('lastScore', { score: entry.score, maxScore: entry.maxScore });
    lines.push(`  ${allPoints ? '✓' : '◐'} ${lab.id}  ${title}  ${score.padStart(7)}${allPoints ? ` (${say('fullMarks')})` : ''}  ${ago(new Date(entry.at), now, lang)}`);
  }
  lines.push('', say('overviewHint'));
  return `${lines.join('\n')}\n`;
}

/** `npm run grade` with no lab: every lab of `labsDir` with the history's last grading. */
export async function showOverview(options: { lang: Lang; labsDir: string | undefined; out: (text: string) => void; warn: (text: string) => void; historyPath?: string }): Promise<number> {
  const { listLabIds, loadLabFile, labsDir: defaultLabs } = await import('../spec/load.js');
  const { pick } = await import('../i18n/lang.js');
  const { historyFile, loadHistory } = await import('./history.js');
  const path = await import('node:path');
  const dir = options.labsDir ?? defaultLabs();
  const labs: LabLine[] = listLabIds(dir).map((id) => {
    try {
      const lab = loadLabFile(path.join(dir, id, 'lab.json'));
      return { id, title: pick(lab.title, options.lang) ?? id };
    } catch {
      return { id, title: null };
    }
  });
  const file = options.historyPath ?? historyFile();
  const { history, corrupt } = loadHistory(file);
  if (corrupt) options.warn(`${studentSay(options.lang)('historyCorrupt', { file, reason: corrupt.reason, backup: corrupt.backup })}\n`);
  options.out(renderOverview(labs, history, options.lang));
  return 0;
}
