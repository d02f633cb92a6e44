import { Type } from '@sinclair/typebox';
import type { ContainerFacts, HttpAnswer } from '../engine/index.js';
import { describeHttpFailure, hopelessWatch, notRunning, regexProblems, truncate, whyPortIsSilent } from './common.js';
import type { CheckContext, Observation } from './types.js';
import { defineCheck } from './types.js';

const PortTarget = {
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: "A port of the workload's container; the grader finds the host port it was published on." })),
  hostPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'A fixed host port (labs where the student publishes it).' })),
};

function validateTarget(check: { port?: number | undefined; hostPort?: number | undefined }) {
  return (check.port === undefined) === (check.hostPort === undefined) ? [{ path: '', message: 'give exactly one of "port" (container port) or "hostPort"' }] : [];
}

const shared = {
  en: { notPublished: 'container port {port} is not published', answer: 'HTTP {status}, body: {body}', noAnswer: 'no HTTP answer: {error}', because: '{observed}\nwhy: {why}', noContainer: 'no running container publishes host port {port}' },
  fr: { notPublished: "le port {port} du conteneur n'est pas publié", answer: 'HTTP {status}, corps : {body}', noAnswer: 'pas de réponse HTTP : {error}', because: '{observed}\npourquoi : {why}', noContainer: "aucun conteneur en marche ne publie le port {port} de l'hôte" },
};
type SharedId = keyof typeof shared.en;
type SaySome = (id: SharedId, data?: Record<string, unknown>) => string;

/** Where to send the request: a host port, with the container behind it when known; or an Observation saying why there is none. */
async function resolveTarget(check: { port?: number | undefined; hostPort?: number | undefined }, ctx: CheckContext, expected: string, say: SaySome): Promise<{ hostPort: number; container: ContainerFacts | null; port: number | null } | Observation> {
  if (check.hostPort !== undefined) {
    const container = await ctx.containerOnHostPort(check.hostPort);
    return { hostPort: check.hostPort, container, port: null };
  }
  const container = ctx.container!;
  const hostPort = await container.hostPort(check.port!);
  if (hostPort !== null) return { hostPort, container, port: check.port! };
  // An exited container has no port bindings any more: say why, not "not published".
  const stopped = await notRunning(container, ctx.lang);
  return { passed: false, expected, observed: stopped ?? say('notPublished', { port: check.port }) };
}

function describeAnswer(answer: HttpAnswer, ctx: CheckContext, say: SaySome): string {
  return answer.ok
    ? say('answer', { status: answer.status, body: truncate(answer.body.replace(/\s+/g, ' '), 200) || '∅' })
    : say('noAnswer', { error: describeHttpFailure(answer, ctx.lang) });
}

/** The container port behind a host port: the one whose binding is that host port. */
async function containerPortFor(container: ContainerFacts, hostPort: number): Promise<number | null> {
  const { ports } = await container.state();
  for (const [key, bindings] of Object.entries(ports)) if (bindings.some((b) => b.hostPort === hostPort)) return Number(key.split('/')[0]);
  return null;
}

/**
 * Whether a server keeps giving the same wrong answer: three identical answers
 * over at least 1.5 s. An app still starting answers differently (refused, 503,
 * then 200); a misconfigured one answers the same 404 forever, and waiting the
 * whole window for it costs every wrong submission seconds.
 */
export function steadyAnswer(now: () => number = Date.now): (answer: Extract<HttpAnswer, { ok: true }>) => boolean {
  let key = '';
  let since = 0;
  let count = 0;
  return (answer) => {
    const current = `${answer.status}\u0000${answer.body}`;
    if (current !== key) {
      key = current;
      since = now();
      count = 0;
    }
    count++;
    return count >= 3 && now() - since >= 1500;
  };
}

export const httpAnswers = defineCheck({
  kind: 'http',
  description: 'An HTTP request from the grader answers with a status and a body containing / matching given text; retried until `withinSeconds` passes, unless the engine shows nothing will ever answer (the container exited, listens on 127.0.0.1 only or on another port), which the report names.',
  example: { port: 8080, path: '/', expect: { status: 200, bodyContains: 'ok' } },
  params: Type.Object({
    ...PortTarget,
    path: Type.Optional(Type.String({ pattern: '^/', default: '/', maxLength: 1000 })),
    method: Type.Optional(Type.Union(['GET', 'POST', 'HEAD', 'PUT', 'DELETE'].map((m) => Type.Literal(m)))),
    expect: Type.Object(
      {
        status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, default: 200 })),
        bodyContains: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 20 })])),
        bodyMatches: Type.Optional(Type.String({ maxLength: 500, description: 'A regular expression.' })),
      },
      { additionalProperties: false },
    ),
    withinSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 300 })),
  }),
  needs: (check) => (check.port !== undefined ? ['container'] : []),
  validate(check) {
    return [...validateTarget(check), ...(check.expect.bodyMatches !== undefined ? regexProblems(check.expect.bodyMatches, '', '/expect/bodyMatches') : [])];
  },
  titleData: (check, say) => {
    const texts = check.expect.bodyContains === undefined ? [] : ([] as string[]).concat(check.expect.bodyContains);
    return { method: check.method ?? 'GET', anyPort: check.port ?? check.hostPort, status: check.expect.status ?? 200, contains: texts.length ? say('contains', { text: texts.join(' + ') }) : '' };
  },
  messages: {
    en: { title: '{method} {path} on port {anyPort} answers {status}{contains}', expected: 'HTTP {status}{contains}', contains: ' containing "{text}"', ...shared.en },
    fr: { title: '{method} {path} sur le port {anyPort} répond {status}{contains}', expected: 'HTTP {status}{contains}', contains: ' avec « {text} »', ...shared.fr },
  },
  async evaluate(check, ctx, say) {
    const status = check.expect.status ?? 200;
    const texts = check.expect.bodyContains === undefined ? [] : ([] as string[]).concat(check.expect.bodyContains);
    const matches = check.expect.bodyMatches ? new RegExp(check.expect.bodyMatches) : null;
    const containsText = [...texts, ...(matches ? [`/${matches.source}/`] : [])].join(' + ');
    const expected = say('expected', { status, contains: containsText ? say('contains', { text: containsText }) : '' });
    const target = await resolveTarget(check, ctx, expected, say);
    if ('passed' in target) return target;
    const containerPort = target.container ? (target.port ?? (await containerPortFor(target.container, target.hostPort))) : null;
    const watch = target.container && containerPort !== null ? hopelessWatch(ctx, target.container, containerPort) : null;
    const good = (a: HttpAnswer) => a.ok && a.status === status && texts.every((t) => a.body.includes(t)) && (!matches || matches.test(a.body.slice(0, 64 * 1024)));
    // Nothing publishes the port: no container will appear by waiting (the script is over).
    if (check.hostPort !== undefined && !target.container) {
      const answer = await ctx.http({ port: target.hostPort, path: check.path ?? '/', method: check.method ?? 'GET', withinMs: 0 });
      if (good(answer)) return { passed: true, expected, observed: describeAnswer(answer, ctx, say) };
      return { passed: false, expected, observed: say('because', { observed: describeAnswer(answer, ctx, say), why: say('noContainer', { port: check.hostPort }) }) };
    }
    const steady = steadyAnswer();
    const answer = await ctx.http({
      port: target.hostPort,
      path: check.path ?? '/',
      method: check.method ?? 'GET',
      withinMs: (check.withinSeconds ?? 5) * 1000,
      until: good,
      // A silent port is hopeless when the engine shows why; a wrong answer, once the server has given it steadily.
      hopeless: async (last: HttpAnswer) => (last.ok ? steady(last) : (watch?.hopeless() ?? false)),
    });
    const observed = describeAnswer(answer, ctx, say);
    if (good(answer)) return { passed: true, expected, observed };
    const why = watch?.why() ?? (!answer.ok && target.container && containerPort !== null ? (await whyPortIsSilent(ctx, target.container, containerPort))?.why : null);
    return { passed: false, expected, observed: why ? say('because', { observed, why }) : observed };
  },
});

export const portClosed = defineCheck({
  kind: 'port-closed',
  description: 'Nothing answers HTTP on a port (of the workload container, published by the grader, or a host port). Put it after a check that shows the service is up.',
  example: { port: 80 },
  params: Type.Object({ ...PortTarget, path: Type.Optional(Type.String({ pattern: '^/', maxLength: 1000 })) }),
  needs: (check) => (check.port !== undefined ? ['container'] : []),
  validate: validateTarget,
  titleData: (check) => ({ anyPort: check.port ?? check.hostPort }),
  messages: {
    en: { title: 'Nothing answers on port {anyPort} any more', expected: 'no HTTP answer on port {anyPort}', ...shared.en },
    fr: { title: 'Plus rien ne répond sur le port {anyPort}', expected: 'aucune réponse HTTP sur le port {anyPort}', ...shared.fr },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { anyPort: check.port ?? check.hostPort });
    const target = await resolveTarget(check, ctx, expected, say);
    // Not published at all: nothing can answer there.
    if ('passed' in target) return { passed: true, expected, observed: target.observed };
    const answer = await ctx.http({ port: target.hostPort, path: check.path ?? '/', withinMs: 0 });
    return { passed: !answer.ok, expected, observed: describeAnswer(answer, ctx, say) };
  },
});
