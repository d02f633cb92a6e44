import { MESSAGES } from '../i18n/messages.js';
import { format } from '../i18n/lang.js';
import type { CheckStatus } from '../result.js';
import type { Reporter } from './types.js';

const STYLE = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', magenta: '\x1b[35m', cyan: '\x1b[36m' };
const MARK: Record<CheckStatus, { symbol: string; color: keyof typeof STYLE }> = {
  passed: { symbol: '✓', color: 'green' },
  failed: { symbol: '✗', color: 'red' },
  skipped: { symbol: '–', color: 'yellow' },
  error: { symbol: '!', color: 'magenta' },
};

/** The student's view: every check with ✓/✗, points, and for each failure what was expected, what was observed and a hint. */
export const terminalReporter: Reporter = (result, { color }) => {
  const m = MESSAGES[result.lang];
  const paint = (style: keyof typeof STYLE, text: string) => (color ? `${STYLE[style]}${text}${STYLE.reset}` : text);
  const lines: string[] = [];
  lines.push(paint('bold', `${result.lab} — ${result.title}`));
  lines.push(paint('dim', `${m.submission}${result.lang === 'fr' ? ' : ' : ': '}${result.submission}`));
  lines.push('');
  const pointsWidth = Math.max(...result.checks.map((c) => `${c.points}/${c.maxPoints}`.length));
  for (const check of result.checks) {
    const mark = MARK[check.status];
    const points = `${check.points}/${check.maxPoints}`.padStart(pointsWidth);
    lines.push(`${paint(mark.color, mark.symbol)} ${paint('dim', points)}  ${check.title} ${paint('dim', `[${check.id}]`)}`);
    if (check.status === 'passed') continue;
    const detail: string[] = [];
    if (check.status === 'failed' && check.expected !== null && check.observed !== null) {
      detail.push(...labelled(m.expected, check.expected, result.lang), ...labelled(m.observed, check.observed, result.lang));
    } else {
      detail.push(...check.message.split('\n'));
    }
    if (check.hint) detail.push(...labelled(m.hint, check.hint, result.lang).map((l) => paint('cyan', l)));
    lines.push(...detail.map((l) => `      ${l}`));
  }
  if (result.notes.length > 0) {
    lines.push('');
    lines.push(...result.notes.map((n) => paint('dim', `ℹ ${n}`)));
  }
  lines.push('');
  const failed = result.checks.filter((c) => c.status !== 'passed').length;
  const verdict = failed === 0 ? m.allPassed : format(m.someFailed, { failed });
  lines.push(`${paint('bold', `${m.score}${result.lang === 'fr' ? ' : ' : ': '}${result.score}/${result.maxScore}`)}  ${paint(failed === 0 ? 'green' : 'yellow', verdict)}`);
  return `${lines.join('\n')}\n`;
};

function labelled(label: string, text: string, lang: string): string[] {
  // French typography puts a space before the colon.
  const head = `${label}${lang === 'fr' ? ' : ' : ': '}`;
  const [first = '', ...rest] = text.split('\n');
  return [`${head}${first}`, ...rest.map((l) => `${' '.repeat(head.length)}${l}`)];
}
