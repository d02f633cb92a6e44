import { Type } from '@sinclair/typebox';
import type { HttpAnswer } from '../engine/facts.js';
import { requestOnce } from '../engine/http.js';
import { notRunning, truncate } from './common.js';
import type { CheckContext, Observation, Say } from './types.js';
import { defineCheck } from './types.js';

const PortTarget = {
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: "A port of the workload's container; the grader finds the host port it was published on." })),
  hostPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'A fixed host port (labs where the student publishes it).' })),
};

function validateTarget(check: { port?: number | undefined; hostPort?: number | undefined }) {
  return (check.port === undefined) === (check.hostPort === undefined) ? [{ path: '', message: 'give exactly one of "port" (container port) or "hostPort"' }] : [];
}

/** The host port to talk to, or an Observation saying why there is none. */
async function resolveHostPort(check: { port?: number | undefined; hostPort?: number | undefined }, ctx: CheckContext, expected: string, say: Say): Promise<number | Observation> {
  if (check.hostPort !== undefined) return check.hostPort;
  const hostPort = ctx.container ? await ctx.container.hostPort(check.port!) : null;
  if (hostPort !== null) return hostPort;
  // An exited container has no port bindings any more: say why, not "not published".
  const stopped = ctx.container ? await notRunning(ctx.container, ctx.lang) : null;
  return { passed: false, expected, observed: stopped ?? say('notPublished', { port: check.port }) };
}

function describeAnswer(answer: HttpAnswer, say: Say): string {
  return answer.ok
    ? say('answer', { status: answer.status, body: truncate(answer.body.replace(/\s+/g, ' '), 200) || '∅' })
    : say('noAnswer', { error: answer.error });
}

const sharedMessages = {
  fr: { notPublished: "le port {port} du conteneur n'est pas publié", answer: 'HTTP {status}, corps : {body}', noAnswer: 'pas de réponse HTTP : {error}' },
  en: { notPublished: 'container port {port} is not published', answer: 'HTTP {status}, body: {body}', noAnswer: 'no HTTP answer: {error}' },
};

export const httpAnswers = defineCheck({
  kind: 'http',
  description: 'An HTTP request from the host answers with a status and a body containing / matching given text; retried until `withinSeconds` passes.',
  params: Type.Object({
    ...PortTarget,
    path: Type.Optional(Type.String({ pattern: '^/', default: '/' })),
    method: Type.Optional(Type.Union(['GET', 'POST', 'HEAD', 'PUT', 'DELETE'].map((m) => Type.Literal(m)))),
    expect: Type.Object(
      {
        status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, default: 200 })),
        bodyContains: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
        bodyMatches: Type.Optional(Type.String({ description: 'A regular expression.' })),
      },
      { additionalProperties: false },
    ),
    withinSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 300 })),
  }),
  needs: (check) => (check.port !== undefined ? ['container'] : []),
  validate(check) {
    const problems = validateTarget(check);
    if (check.expect.bodyMatches !== undefined) {
      try { new RegExp(check.expect.bodyMatches); } catch (e) { problems.push({ path: '/expect/bodyMatches', message: `not a valid regular expression: ${(e as Error).message}` }); }
    }
    return problems;
  },
  titleData: (check, say) => {
    const texts = check.expect.bodyContains === undefined ? [] : ([] as string[]).concat(check.expect.bodyContains);
    return { method: check.method ?? 'GET', anyPort: check.port ?? check.hostPort, status: check.expect.status ?? 200, contains: texts.length ? say('contains', { text: texts.join(' + ') }) : '' };
  },
  messages: {
    fr: { title: '{method} {path} sur le port {anyPort} répond {status}{contains}', expected: 'HTTP {status}{contains}', contains: ' avec « {text} »', ...sharedMessages.fr },
    en: { title: '{method} {path} on port {anyPort} answers {status}{contains}', expected: 'HTTP {status}{contains}', contains: ' containing "{text}"', ...sharedMessages.en },
  },
  async evaluate(check, ctx, say) {
    const status = check.expect.status ?? 200;
    const texts = check.expect.bodyContains === undefined ? [] : ([] as string[]).concat(check.expect.bodyContains);
    const matches = check.expect.bodyMatches ? new RegExp(check.expect.bodyMatches) : null;
    const containsText = [...texts, ...(matches ? [`/${matches.source}/`] : [])].join(' + ');
    const expected = say('expected', { status, contains: containsText ? say('contains', { text: containsText }) : '' });
    const hostPort = await resolveHostPort(check, ctx, expected, say);
    if (typeof hostPort !== 'number') return hostPort;
    const good = (a: HttpAnswer) => a.ok && a.status === status && texts.every((t) => a.body.includes(t)) && (!matches || matches.test(a.body));
    const answer = await ctx.http({ port: hostPort, path: check.path ?? '/', method: check.method ?? 'GET', withinMs: (check.withinSeconds ?? 5) * 1000, until: good });
    return { passed: good(answer), expected, observed: describeAnswer(answer, say) };
  },
});

export const portClosed = defineCheck({
  kind: 'port-closed',
  description: 'Nothing answers HTTP on a port (of the workload container, published by the grader, or a host port). Put it after a check that shows the service is up.',
  params: Type.Object({ ...PortTarget, path: Type.Optional(Type.String({ pattern: '^/' })) }),
  needs: (check) => (check.port !== undefined ? ['container'] : []),
  validate: validateTarget,
  titleData: (check) => ({ anyPort: check.port ?? check.hostPort }),
  messages: {
    fr: { title: 'Plus rien ne répond sur le port {anyPort}', expected: 'aucune réponse HTTP sur le port {anyPort}', ...sharedMessages.fr },
    en: { title: 'Nothing answers on port {anyPort} any more', expected: 'no HTTP answer on port {anyPort}', ...sharedMessages.en },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { anyPort: check.port ?? check.hostPort });
    const hostPort = await resolveHostPort(check, ctx, expected, say);
    // Not published at all: nothing can answer there.
    if (typeof hostPort !== 'number') return { passed: true, expected, observed: hostPort.observed };
    const answer = await requestOnce(hostPort, check.path ?? '/');
    return { passed: !answer.ok, expected, observed: describeAnswer(answer, say) };
  },
});
