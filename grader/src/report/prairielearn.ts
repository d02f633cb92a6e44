import { format } from '../i18n/lang.js';
import { MESSAGES } from '../i18n/messages.js';
import { REPORT_MESSAGES } from '../i18n/report-messages.js';
import type { CheckResult, Result } from '../result.js';
import { inOrder, outputFor } from './output.js';
import { oneLine, safeText, stringifyJson, truncateUtf8, utf8Length } from './sanitize.js';
import { renderTerminal } from './terminal.js';
import type { ReporterFactory } from './types.js';

/** PrairieLearn refuses results.json files over 1 MB. */
export const PRAIRIELEARN_LIMIT = 1_000_000;

export interface PrairieLearnTest {
  name: string;
  description: string;
  points: number;
  max_points: number;
  message: string;
  output: string;
}

export interface PrairieLearnResults {
  gradable: boolean;
  score?: number;
  message: string;
  output: string;
  format_errors?: string[];
  tests?: PrairieLearnTest[];
}

/**
 * Why a result is no grade at all, so PrairieLearn must not use up an attempt: the
 * grading says so (`ungradable`, e.g. the lab's main deliverable is missing), or no
 * check could be evaluated (an engine fault is never the student's).
 */
export function ungradableReason(result: Result & { ungradable?: { reason: string } | null }): string | null {
  if (result.ungradable) return result.ungradable.reason;
  if (result.checks.length > 0 && result.checks.every((c) => c.status === 'error')) return REPORT_MESSAGES[result.lang].allErrored;
  return null;
}

/** PrairieLearn's external grader results (docs/externalGrading.md): score 0..1, a test per check, within 1 MB. */
export function prairieLearnResults(result: Result, limitBytes = PRAIRIELEARN_LIMIT): PrairieLearnResults {
  const r = REPORT_MESSAGES[result.lang];
  const m = MESSAGES[result.lang];
  const colon = result.lang === 'fr' ? ' : ' : ': ';
  const report = renderTerminal(result, { color: false });
  const reason = ungradableReason(result);
  if (reason !== null) {
    const message = safeText(format(r.notGradable, { reason }));
    return fit({ gradable: false, message, format_errors: [message], output: report }, limitBytes);
  }
  const test = (check: CheckResult): PrairieLearnTest => ({
    name: oneLine(check.title),
    description: oneLine(check.id),
    points: check.points,
    max_points: check.maxPoints,
    message: safeText(`${{ passed: m.passed, failed: m.failed, skipped: m.skipped, error: m.errorStatus }[check.status]}${check.hint && check.status !== 'passed' ? ` — ${m.hint}${colon}${check.hint}` : ''}`),
    output: safeText(check.expected !== null && check.observed !== null && check.status === 'failed'
      ? `${m.expected}${colon}${check.expected}\n${m.observed}${colon}${check.observed}`
      : check.message),
  });
  return fit({
    gradable: true,
    score: result.maxScore > 0 ? Math.round((result.score / result.maxScore) * 10_000) / 10_000 : 1,
    message: `${m.score}${colon}${result.score}/${result.maxScore}`,
    output: report,
    tests: result.checks.map(test),
  }, limitBytes);
}

/** Shortens the longest texts (tests' output first, then the report) until the JSON fits. */
function fit(results: PrairieLearnResults, limitBytes: number): PrairieLearnResults {
  const size = (value: PrairieLearnResults) => utf8Length(JSON.stringify(value, null, 2)) + 1;
  if (size(results) <= limitBytes) return results;
  const cut = (text: string, bytes: number) => (utf8Length(text) <= bytes ? text : `${truncateUtf8(text, bytes)}\n[…]`);
  for (let bytes = 64 * 1024; bytes >= 16; bytes = Math.floor(bytes / 2)) {
    const smaller: PrairieLearnResults = {
      ...results,
      output: cut(results.output, bytes * 4),
      ...(results.tests ? { tests: results.tests.map((t) => ({ ...t, output: cut(t.output, bytes), message: cut(t.message, bytes) })) } : {}),
    };
    if (size(smaller) <= limitBytes) return smaller;
  }
  return { ...results, output: '', ...(results.tests ? { tests: results.tests.map((t) => ({ ...t, output: '', message: '' })) } : {}) };
}

export const prairieLearnReporter: ReporterFactory = {
  name: 'prairielearn',
  description: 'PrairieLearn external grader results.json (score 0..1, a test per check, gradable:false when nothing could be graded); =FILE, e.g. =/grade/results/results.json',
  create(options) {
    const out = inOrder(outputFor(options.destination, options.stdout));
    return {
      name: 'prairielearn',
      onResult(result) {
        out.write(`${stringifyJson(prairieLearnResults(result))}\n`);
      },
    };
  },
};
