import { Type } from '@sinclair/typebox';
import type { HttpAnswer } from '../engine/index.js';
import { describeHttpFailure, truncate } from './common.js';
import type { CheckContext } from './types.js';
import { defineCheck } from './types.js';

/** The first decimal integer of a body ("Cette page a été vue 3 fois." → 3), or null. */
export function firstInteger(body: string): number | null {
  const match = /\d+/.exec(body.slice(0, 64 * 1024));
  if (!match) return null;
  const value = Number(match[0]);
  return Number.isSafeInteger(value) ? value : null;
}

/** A count read over HTTP: the number and what was answered, or why none could be read. */
export type CountRead = { count: number; answer: Extract<HttpAnswer, { ok: true }> } | { count: null; answer: HttpAnswer };

/** GETs a host port until it answers 200 with a number in its body, for up to `withinMs` (a service may still be starting). */
export async function readCount(ctx: Pick<CheckContext, 'http'>, hostPort: number, path: string, withinMs: number): Promise<CountRead> {
  const good = (a: HttpAnswer) => a.ok && a.status === 200 && firstInteger(a.body) !== null;
  const answer = await ctx.http({ port: hostPort, path, method: 'GET', withinMs, until: good });
  return answer.ok && good(answer) ? { count: firstInteger(answer.body)!, answer } : { count: null, answer };
}

const en = {
  answer: 'HTTP {status}, body: {body}',
  noNumber: 'HTTP {status} without a number in the body: {body}',
  noAnswer: 'no HTTP answer on port {port}: {error}',
};
const fr: Record<keyof typeof en, string> = {
  answer: 'HTTP {status}, corps : {body}',
  noNumber: 'HTTP {status} sans nombre dans le corps : {body}',
  noAnswer: 'pas de réponse HTTP sur le port {port} : {error}',
};
export const COUNT_MESSAGES = { en, fr };

/** What an unreadable count looked like, in the grading language. */
export function describeUnreadable(read: CountRead, port: number, say: (id: keyof typeof en, data?: Record<string, unknown>) => string, lang: CheckContext['lang']): string {
  const { answer } = read;
  if (!answer.ok) return say('noAnswer', { port, error: describeHttpFailure(answer, lang) });
  const body = truncate(answer.body.replace(/\s+/g, ' '), 200) || '∅';
  return answer.status === 200 ? say('noNumber', { status: answer.status, body }) : say('answer', { status: answer.status, body });
}

export const httpCountIncreases = defineCheck({
  kind: 'http-count-increases',
  example: { hostPort: 8080 },
  description: "GET on a host port answers 200 with a count (the first decimal integer of the body) that goes up: two GETs in a row give an increasing count, or, with `since`, the count is above the one an earlier `record-count` action read (e.g. before `compose down` / `up`: the data survived). Retried for `withinSeconds` while services start.",
  params: Type.Object({
    hostPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    path: Type.Optional(Type.String({ pattern: '^/', default: '/', maxLength: 1000 })),
    since: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 64, description: 'The name a `record-count` action gave the count to beat.' })),
    withinSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 120, default: 20 })),
  }),
  needs: (check) => (check.since ? ['counts'] : []),
  titleData: (check) => (check.since ? { titleId: 'titleSince', path: check.path ?? '/' } : { path: check.path ?? '/' }),
  messages: {
    en: {
      title: 'Two GETs {path} on port {hostPort} answer 200 with an increasing count',
      titleSince: 'GET {path} on port {hostPort} answers a count above the one read before ("{since}")',
      expected: 'HTTP 200 twice, the second count above the first',
      expectedSince: 'HTTP 200 with a count above {before} (read before: {since})',
      increasing: 'counts {first} then {second}',
      notIncreasing: 'counts {first} then {second}: the count does not go up (is each visit counted in the cache?)',
      first: 'first GET: {what}',
      second: 'second GET: {what}',
      continued: 'count {after}, above {before} read before',
      restarted: 'count {after}, not above {before} read before: the count started again, so the data did not survive',
      ...en,
    },
    fr: {
      title: 'Deux GET {path} sur le port {hostPort} répondent 200 avec un compteur qui augmente',
      titleSince: 'GET {path} sur le port {hostPort} répond un compteur supérieur à celui lu avant (« {since} »)',
      expected: 'HTTP 200 deux fois, le second compteur supérieur au premier',
      expectedSince: 'HTTP 200 avec un compteur supérieur à {before} (lu avant : {since})',
      increasing: 'compteurs {first} puis {second}',
      notIncreasing: 'compteurs {first} puis {second} : le compteur n’augmente pas (chaque visite est-elle comptée dans le cache ?)',
      first: 'premier GET : {what}',
      second: 'second GET : {what}',
      continued: 'compteur {after}, supérieur à {before} lu avant',
      restarted: 'compteur {after}, pas supérieur à {before} lu avant : le compteur est reparti de zéro, les données n’ont donc pas survécu',
      ...fr,
    },
  },
  async evaluate(check, ctx, say) {
    const path = check.path ?? '/';
    const withinMs = (check.withinSeconds ?? 20) * 1000;
    if (check.since !== undefined) {
      const before = ctx.counts?.[check.since];
      if (before === undefined) throw new Error(`no count named "${check.since}" was recorded: a record-count action with "as": "${check.since}" must come before this check`);
      const expected = say('expectedSince', { before, since: check.since });
      const read = await readCount(ctx, check.hostPort, path, withinMs);
      if (read.count === null) return { passed: false, expected, observed: describeUnreadable(read, check.hostPort, say, ctx.lang) };
      return { passed: read.count > before, expected, observed: say(read.count > before ? 'continued' : 'restarted', { after: read.count, before }) };
    }
    const expected = say('expected');
    const first = await readCount(ctx, check.hostPort, path, withinMs);
    if (first.count === null) return { passed: false, expected, observed: say('first', { what: describeUnreadable(first, check.hostPort, say, ctx.lang) }) };
    const second = await readCount(ctx, check.hostPort, path, 3000);
    if (second.count === null) return { passed: false, expected, observed: say('second', { what: describeUnreadable(second, check.hostPort, say, ctx.lang) }) };
    const passed = second.count > first.count;
    return { passed, expected, observed: say(passed ? 'increasing' : 'notIncreasing', { first: first.count, second: second.count }) };
  },
});
