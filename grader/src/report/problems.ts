import path from 'node:path';
import { format } from '../i18n/lang.js';
import { MESSAGES } from '../i18n/messages.js';
import type { CheckResult, Result } from '../result.js';
import { inOrder, outputFor } from './output.js';
import { oneLine } from './sanitize.js';
import type { ReporterFactory } from './types.js';

/** A message past this many characters is cut: an editor's problem list shows one line per problem. */
const MAX_MESSAGE = 600;

const WORDS = {
  en: {
    summaryPassed: '{lab}: {score}/{maxScore} points, every check passed',
    summaryFailed: '{lab}: {score}/{maxScore} points, {located} of the {open} check(s) that did not pass point to a line of your files above',
  },
  fr: {
    summaryPassed: '{lab} : {score}/{maxScore} points, toutes les vérifications sont réussies',
    summaryFailed: '{lab} : {score}/{maxScore} points, {located} des {open} vérification(s) non réussie(s) désignent une ligne de vos fichiers ci-dessus',
  },
} as const;

/** A check that gave some of its points is a warning, one that gave none an error. */
function severityOf(check: CheckResult): 'error' | 'warning' {
  return check.points > 0 ? 'warning' : 'error';
}

function messageOf(check: CheckResult, result: Result): string {
  const m = MESSAGES[result.lang];
  const colon = result.lang === 'fr' ? ' : ' : ': ';
  const parts = check.expected !== null && check.observed !== null ? [`${m.expected}${colon}${check.expected}`, `${m.observed}${colon}${check.observed}`] : [check.message];
  if (check.hint) parts.push(`${m.hint}${colon}${check.hint}`);
  const text = oneLine(`${check.title} (${check.points}/${check.maxPoints})${colon}${parts.join(' ; ')}`);
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

/**
 * One line per failed check that names a place in the student's files, as
 * compilers and eslint's `unix` formatter print them, so editors list them as
 * problems and jump to the line: `FILE:LINE:COLUMN: SEVERITY: MESSAGE [CHECK-ID]`.
 * FILE is absolute (from the submission folder), so the line means the same
 * whatever folder the editor runs the task from; COLUMN is 1, the grader knows
 * lines only. Every student text is on one line (`oneLine`), so no log line of
 * theirs can be read as a problem. A last line, which does not look like a
 * problem, gives the score and how many failures have no place.
 */
export function renderProblems(result: Result): string {
  const located = result.checks.filter((c) => c.status === 'failed' && c.location);
  const open = result.checks.filter((c) => c.status !== 'passed').length;
  const lines = located.map((check) => {
    const file = oneLine(path.resolve(result.submission, check.location!.file));
    const line = Math.max(1, Math.trunc(check.location!.line) || 1);
    return `${file}:${line}:1: ${severityOf(check)}: ${messageOf(check, result)} [${oneLine(check.id)}]`;
  });
  const w = WORDS[result.lang];
  const data = { lab: oneLine(result.lab), score: result.score, maxScore: result.maxScore, located: located.length, open };
  lines.push(format(open === 0 ? w.summaryPassed : w.summaryFailed, data));
  return `${lines.join('\n')}\n`;
}

export const problemsReporter: ReporterFactory = {
  name: 'problems',
  description: 'one line per failed check with a place in your files, FILE:LINE:COL: SEVERITY: MESSAGE, for editors (.vscode/tasks.json)',
  create(options) {
    const out = inOrder(outputFor(options.destination, options.stdout));
    return {
      name: 'problems',
      onResult(result) {
        out.write(renderProblems(result));
      },
    };
  },
};
