import { MESSAGES } from '../i18n/messages.js';
import { format, type Lang } from '../i18n/lang.js';
import type { ActionResult, CheckStatus, Result } from '../result.js';
import { inOrder, outputFor } from './output.js';
import { oneLine, safeText } from './sanitize.js';
import type { ReporterFactory } from './types.js';
import { untrustedBlock } from './workflow-commands.js';

const STYLE = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', magenta: '\x1b[35m', cyan: '\x1b[36m' };
const MARK: Record<CheckStatus, { symbol: string; color: keyof typeof STYLE }> = {
  passed: { symbol: '✓', color: 'green' },
  failed: { symbol: '✗', color: 'red' },
  skipped: { symbol: '–', color: 'yellow' },
  error: { symbol: '!', color: 'magenta' },
};

/**
 * The student's view: every check with ✓/✗, points, and for each failure what was
 * expected, what was observed and a hint. Everything from the result is printed
 * through `safeText`: a build log or a label cannot move the cursor, recolour the
 * terminal or issue a CI workflow command.
 */
export function renderTerminal(result: Result, { color }: { color: boolean }): string {
  const m = MESSAGES[result.lang];
  const colon = result.lang === 'fr' ? ' : ' : ': ';
  const paint = (style: keyof typeof STYLE, text: string) => (color ? `${STYLE[style]}${text}${STYLE.reset}` : text);
  const lines: string[] = [];
  lines.push(paint('bold', `${oneLine(result.lab)} — ${oneLine(result.title)}`));
  lines.push(paint('dim', `${m.submission}${colon}${oneLine(result.submission)}`));
  lines.push('');
  const actions = result.actions ?? [];
  const actionLines = (after: string | null) => actions.filter((a) => a.after === after).flatMap((a) => renderAction(a, result.lang, paint));
  lines.push(...actionLines(null));
  const pointsWidth = Math.max(0, ...result.checks.map((c) => `${c.points}/${c.maxPoints}`.length));
  for (const check of result.checks) {
    const mark = MARK[check.status];
    const points = `${check.points}/${check.maxPoints}`.padStart(pointsWidth);
    lines.push(`${paint(mark.color, mark.symbol)} ${paint('dim', points)}  ${oneLine(check.title)} ${paint('dim', `[${oneLine(check.id)}]`)}`);
    if (check.status !== 'passed') {
      const detail: string[] = [];
      if (check.status === 'failed' && check.expected !== null && check.observed !== null) {
        detail.push(...labelled(m.expected, check.expected, colon), ...labelled(m.observed, check.observed, colon));
      } else {
        detail.push(...safeText(check.message).split('\n'));
      }
      if (check.hint) detail.push(...labelled(m.hint, check.hint, colon).map((l) => paint('cyan', l)));
      lines.push(...detail.map((l) => `      ${l}`));
    }
    lines.push(...actionLines(check.id));
  }
  if (result.notes.length > 0) {
    lines.push('');
    lines.push(...result.notes.map((n) => paint('dim', `ℹ ${safeText(n)}`)));
  }
  lines.push('');
  const failed = result.checks.filter((c) => c.status !== 'passed').length;
  const verdict = failed === 0 ? m.allPassed : format(m.someFailed, { failed });
  lines.push(`${paint('bold', `${m.score}${colon}${result.score}/${result.maxScore}`)}  ${paint(failed === 0 ? 'green' : 'yellow', verdict)}`);
  return `${lines.join('\n')}\n`;
}

function renderAction(action: ActionResult, lang: Lang, paint: (style: keyof typeof STYLE, text: string) => string): string[] {
  const head = `${paint(action.status === 'done' ? 'dim' : 'yellow', '↻')} ${paint('dim', oneLine(action.title))}`;
  if (action.status === 'done') return [head];
  const status = { failed: MESSAGES[lang].failed, skipped: MESSAGES[lang].skipped, error: MESSAGES[lang].errorStatus }[action.status];
  return [`${head} ${paint('yellow', `(${status})`)}`, ...safeText(action.message).split('\n').map((l) => `      ${l}`)];
}

function labelled(label: string, text: string, colon: string): string[] {
  const head = `${label}${colon}`;
  const [first = '', ...rest] = safeText(text).split('\n');
  return [`${head}${first}`, ...rest.map((l) => `${' '.repeat(head.length)}${l}`)];
}

export const terminalReporter: ReporterFactory = {
  name: 'terminal',
  description: 'the report for a person: ✓/✗ per check, points, expected / observed / hint (default)',
  create(options) {
    const out = inOrder(outputFor(options.destination, options.stdout));
    // In a GitHub Actions log the report is student text: the runner must not read it as commands.
    const inActions = options.env.GITHUB_ACTIONS === 'true' && options.destination?.kind !== 'file';
    const color = options.color && options.destination?.kind !== 'file';
    return {
      name: 'terminal',
      onResult(result) {
        const text = renderTerminal(result, { color });
        out.write(inActions ? untrustedBlock(text) : text);
      },
    };
  },
};
