import { MESSAGES } from '../i18n/messages.js';
import type { CheckResult, Result } from '../result.js';
import { outputFor } from './output.js';
import { formatPoints } from './points.js';
import { oneLine, safeText, truncateUtf8 } from './sanitize.js';
import type { ReporterFactory } from './types.js';

/** A diagnostic's text past this many bytes is cut (a build log can be megabytes; a TAP consumer shows it inline). */
const MAX_TEXT_BYTES = 16 * 1024;
/** A test point's description or skip reason past this many bytes is cut: it is one line of a log. */
const MAX_LINE_BYTES = 1024;

// Lone surrogates: JSON.stringify writes them as \udXXX escapes, which YAML parsers need not accept.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A TAP description or directive reason: on one line, with TAP 14's two escapes
 * (`\` as `\\`, `#` as `\#`), so student text can neither end the description and
 * start a directive (`# SKIP`, `# TODO`) nor start a line of its own (`ok`,
 * `not ok`, `Bail out!`, `1..N`, a YAML block): every line the reporter writes
 * begins with what the reporter chose.
 */
export function tapEscape(text: string): string {
  const line = oneLine(text).replace(LONE_SURROGATE, '');
  return truncateUtf8(line, MAX_LINE_BYTES).replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}

/**
 * A YAML scalar for a diagnostics block: always a double-quoted string in JSON's
 * syntax (valid YAML 1.2), so it stays on its line whatever it holds — a `---`,
 * a `...`, a `key: value`, a newline or a quote cannot end the block or add a key.
 * Control characters and escape sequences are stripped first (safeText), as in
 * every reporter; the text is otherwise what the student wrote.
 */
export function yamlString(text: string): string {
  const clean = truncateUtf8(safeText(text).replace(LONE_SURROGATE, ''), MAX_TEXT_BYTES);
  return JSON.stringify(clean);
}

/** A number, as TAP readers show it: formatted as every reporter prints points (no float noise). */
const yamlPoints = (points: number) => formatPoints(points);

function diagnostics(check: CheckResult, result: Result): string[] {
  const lines: string[] = [
    `id: ${yamlString(check.id)}`,
    `status: ${check.status}`,
    `points: ${yamlPoints(check.points)}`,
    `maxPoints: ${yamlPoints(check.maxPoints)}`,
    `message: ${yamlString(check.message)}`,
  ];
  if (check.expected !== null) lines.push(`expected: ${yamlString(check.expected)}`);
  if (check.observed !== null) lines.push(`observed: ${yamlString(check.observed)}`);
  if (check.hint) lines.push(`hint: ${yamlString(check.hint)}`);
  if (check.location) lines.push('at:', `  file: ${yamlString(check.location.file)}`, `  line: ${Math.max(0, Math.trunc(check.location.line))}`);
  lines.push(`lab: ${yamlString(result.lab)}`, `durationMs: ${Math.max(0, Math.round(check.durationMs))}`);
  return ['  ---', ...lines.map((l) => `  ${l}`), '  ...'];
}

function testPoint(n: number, check: CheckResult, result: Result, several: boolean): string[] {
  const points = `${formatPoints(check.points)}/${formatPoints(check.maxPoints)} pt`;
  const description = tapEscape(`${several ? `${result.lab} › ` : ''}${check.title} [${check.id}] (${points})`);
  const ok = check.status === 'passed' || check.status === 'skipped';
  // A skipped check is `ok … # SKIP reason` (TAP's meaning: not run, not a failure); its points are lost all the same, and the failed prerequisite is a `not ok` of its own.
  const directive = check.status === 'skipped' ? ` # SKIP ${tapEscape(check.message) || 'skipped'}` : '';
  return [`${ok ? 'ok' : 'not ok'} ${n} - ${description}${directive}`, ...diagnostics(check, result)];
}

/**
 * TAP 14 (testanything.org/tap-version-14-specification.html): the version line,
 * the plan, one test point per check of every result in order (`ok`, `not ok` for
 * a failed check or one the grader could not evaluate, `ok … # SKIP reason` for a
 * check skipped because a prerequisite failed), each followed by a YAML
 * diagnostics block (status, points, expected/observed, hint, file and line where
 * known). Comments give each lab's title and score, in the result's language.
 * Student text is sanitised so that it cannot add, end or change a line of TAP.
 */
export function renderTap(results: Result[]): string {
  const total = results.reduce((n, r) => n + r.checks.length, 0);
  const several = results.length > 1;
  const lines = ['TAP version 14', total === 0 ? '1..0 # SKIP no checks' : `1..${total}`];
  let n = 0;
  for (const result of results) {
    const m = MESSAGES[result.lang];
    lines.push(`# ${oneLine(`${result.lab} — ${result.title}`)}`);
    for (const check of result.checks) lines.push(...testPoint(++n, check, result, several));
    const colon = result.lang === 'fr' ? ' : ' : ': ';
    lines.push(`# ${oneLine(`${several ? `${result.lab} ` : ''}${m.score}${colon}${formatPoints(result.score)}/${formatPoints(result.maxScore)}`)}`);
  }
  lines.push('');
  return lines.join('\n');
}

export const tapReporter: ReporterFactory = {
  name: 'tap',
  description: 'TAP 14 (for CIs and tools that read TAP): a test point per check, YAML diagnostics with points, expected/observed, hint, file:line; =FILE to write a file',
  create(options) {
    const out = outputFor(options.destination, options.stdout);
    const toFile = options.destination?.kind === 'file';
    const graded: Result[] = [];
    let written = false;
    return {
      name: 'tap',
      onResult(result) {
        graded.push(result);
        // As junit: a file is rewritten whole after each grading (one plan for all), so it is complete even if a batch stops half-way.
        if (toFile) out.replace(renderTap(graded));
      },
      async close() {
        if (toFile || written || graded.length === 0) return;
        written = true;
        out.replace(renderTap(graded));
      },
    };
  },
};
