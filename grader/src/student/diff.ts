import type { Lang } from '../i18n/lang.js';
import type { Result } from '../result.js';
import { studentSay } from './messages.js';

export interface GradeDiff {
  before: { score: number; maxScore: number };
  after: { score: number; maxScore: number };
  /** Titles of the checks that failed (or were not run) before and pass now. */
  newlyPassing: string[];
  /** Titles of the checks that passed before and do not now. */
  newlyFailing: string[];
}

type Graded = Pick<Result, 'score' | 'maxScore' | 'checks'>;

/** What changed between two gradings of the same lab; checks are matched by id. */
export function diffResults(before: Graded, after: Graded): GradeDiff {
  const passedBefore = new Set(before.checks.filter((c) => c.status === 'passed').map((c) => c.id));
  return {
    before: { score: before.score, maxScore: before.maxScore },
    after: { score: after.score, maxScore: after.maxScore },
    newlyPassing: after.checks.filter((c) => c.status === 'passed' && !passedBefore.has(c.id)).map((c) => c.title),
    newlyFailing: after.checks.filter((c) => c.status !== 'passed' && passedBefore.has(c.id)).map((c) => c.title),
  };
}

/** One line, or a few, in the report's language: the score's move, then the checks that changed. */
export function renderDiff(diff: GradeDiff, lang: Lang): string {
  const say = studentSay(lang);
  const round = (n: number) => Math.round(n * 100) / 100;
  const change = round(diff.after.score - diff.before.score);
  const parts: string[] = [];
  if (change === 0 && diff.newlyPassing.length === 0 && diff.newlyFailing.length === 0) {
    parts.push(say('unchanged', { score: diff.after.score, maxScore: diff.after.maxScore }));
  } else {
    parts.push(say('scoreDelta', { before: `${diff.before.score}/${diff.before.maxScore}`, after: `${diff.after.score}/${diff.after.maxScore}`, sign: change > 0 ? '+' : change < 0 ? '−' : '±', diff: Math.abs(change) }));
  }
  const lines = [say('sinceLast', { delta: parts.join('') })];
  if (diff.newlyPassing.length) lines.push(`  ✓ ${say('nowPassing', { checks: diff.newlyPassing.join(', ') })}`);
  if (diff.newlyFailing.length) lines.push(`  ✗ ${say('nowFailing', { checks: diff.newlyFailing.join(', ') })}`);
  return `${lines.join('\n')}\n`;
}
