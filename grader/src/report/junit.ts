import os from 'node:os';
import { MESSAGES } from '../i18n/messages.js';
import type { CheckResult, Result } from '../result.js';
import { outputFor } from './output.js';
import { formatPoints } from './points.js';
import { escapeXml, escapeXmlText, plainText, truncateUtf8 } from './sanitize.js';
import type { ReporterFactory } from './types.js';

/** GitLab ignores report files over 30 MB; each text is capped so a batch stays far below. */
const MAX_TEXT_BYTES = 64 * 1024;

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);
const attr = (name: string, value: string | number) => `${name}="${escapeXml(String(value))}"`;
const text = (value: string) => escapeXmlText(truncateUtf8(plainText(value), MAX_TEXT_BYTES));

function counts(checks: CheckResult[]) {
  return {
    tests: checks.length,
    failures: checks.filter((c) => c.status === 'failed').length,
    errors: checks.filter((c) => c.status === 'error').length,
    skipped: checks.filter((c) => c.status === 'skipped').length,
  };
}

/**
 * JUnit XML in the shape Jenkins' xunit plugin validates (junit-10.xsd) and GitLab,
 * dorny/test-reporter and the other readers accept: testsuites → one testsuite per
 * lab → one testcase per check. Counts are on every element that may carry them
 * (that XSD has no `skipped` on <testsuites> and no `file` on <testcase>: the file
 * and line go in the failure text). Points have no standard place: they are in the
 * suite's properties (per check and in total) and in each case's output.
 *
 * GitLab shows the *text* of <failure>, <error> and <skipped>, never their
 * attributes, so the points, the reason and the expected/observed/hint are in the
 * element's content (and the short form stays in `message` for Jenkins and the
 * test-report actions). `timestamp` is UTC with its zone (`Z`). Jenkins splits a
 * `classname` at its last dot into package and class: see junitClassName.
 */
export function renderJunit(results: Result[], now = new Date()): string {
  const all = results.flatMap((r) => r.checks);
  const total = counts(all);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attr('name', 'dockerlab')} ${attr('tests', total.tests)} ${attr('failures', total.failures)} ${attr('errors', total.errors)} ${attr('time', seconds(results.reduce((s, r) => s + r.durationMs, 0)))}>`,
  ];
  for (const result of results) lines.push(...renderSuite(result, now));
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/**
 * The `classname` of a suite's cases. Jenkins' JUnit plugin takes everything before
 * the last `.` of a class name as a package, so a batch's `jean.dupont/lab-03` would
 * be shown as class `dupont/lab-03` in package `jean`. Each `.` is written as U+00B7
 * (middle dot): it is not split, reads as the same name, and cannot be mistaken for
 * the real folder name (it is not a look-alike of `.` as U+2024 would be). The exact
 * name stays in the suite's `name` and in its `classname` property.
 */
export function junitClassName(name: string): string {
  return name.replace(/\./g, '\u00b7');
}

/** `2025-03-14T09:05:00Z`: ISO 8601 in UTC, with its zone, to the second. */
export function junitTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function renderSuite(result: Result, now: Date): string[] {
  const c = counts(result.checks);
  const m = MESSAGES[result.lang];
  const colon = result.lang === 'fr' ? ' : ' : ': ';
  const started = junitTimestamp(new Date(now.getTime() - result.durationMs));
  const classname = junitClassName(result.lab);
  const properties: [string, string | number][] = [
    ['score', formatPoints(result.score)],
    ['maxScore', formatPoints(result.maxScore)],
    ['classname', result.lab],
    ['lang', result.lang],
    ['submission', result.submission],
    ['isolation', result.isolation],
    ['grader', `dockerlab ${result.grader?.version ?? '?'}`],
    ...result.checks.flatMap((check): [string, string][] => [[`points.${check.id}`, formatPoints(check.points)], [`maxPoints.${check.id}`, formatPoints(check.maxPoints)]]),
  ];
  const out = [
    `  <testsuite ${attr('name', `${result.lab} — ${result.title}`)} ${attr('tests', c.tests)} ${attr('failures', c.failures)} ${attr('errors', c.errors)} ${attr('skipped', c.skipped)} ${attr('time', seconds(result.durationMs))} ${attr('timestamp', started)} ${attr('hostname', os.hostname())}>`,
    '    <properties>',
    ...properties.map(([name, value]) => `      <property ${attr('name', name)} ${attr('value', value)}/>`),
    '    </properties>',
  ];
  for (const check of result.checks) {
    const points = `${formatPoints(check.points)}/${formatPoints(check.maxPoints)} pt`;
    const where = check.location ? `${check.location.file}:${check.location.line}\n` : '';
    const details = [
      check.expected !== null && check.observed !== null ? `${m.expected}${colon}${check.expected}\n${m.observed}${colon}${check.observed}` : check.message,
      check.hint ? `${m.hint}${colon}${check.hint}` : '',
    ].filter(Boolean).join('\n');
    const summary = plainText(check.message).split('\n')[0] ?? '';
    const short = `${points} — ${truncateUtf8(summary, 1024)}`;
    out.push(`    <testcase ${attr('classname', classname)} ${attr('name', `${check.title} [${check.id}]`)} ${attr('time', seconds(check.durationMs))}>`);
    // The content starts with the points: it is all GitLab shows of an outcome.
    if (check.status === 'failed') out.push(`      <failure ${attr('message', short)} ${attr('type', 'failed')}>${text(`${points}\n${where}${details}`)}</failure>`);
    if (check.status === 'error') out.push(`      <error ${attr('message', short)} ${attr('type', 'error')}>${text(`${points}\n${where}${details}`)}</error>`);
    if (check.status === 'skipped') out.push(`      <skipped ${attr('message', truncateUtf8(plainText(check.message), 1024))}>${text(`${points}\n${check.message}`)}</skipped>`);
    out.push(`      <system-out>${text(`${points}\n${plainText(check.message)}`)}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>');
  return out;
}

export const junitReporter: ReporterFactory = {
  name: 'junit',
  description: 'JUnit XML (GitLab, Jenkins, test-report actions): a suite per lab, a case per check, points in properties; =FILE to write a file',
  create(options) {
    const out = outputFor(options.destination, options.stdout);
    const toFile = options.destination?.kind === 'file';
    const graded: Result[] = [];
    let written = false;
    return {
      name: 'junit',
      onResult(result) {
        graded.push(result);
        // A file is rewritten whole after each grading, so it is valid even if a batch stops half-way.
        if (toFile) out.replace(renderJunit(graded));
      },
      async close() {
        if (toFile || written || graded.length === 0) return;
        written = true;
        out.replace(renderJunit(graded));
      },
    };
  },
};
