import { Type } from '@sinclair/typebox';
import { describeHttpFailure, notRunning } from '../checks/common.js';
import { defineAction } from './types.js';

export const httpRequest = defineAction({
  action: 'http-request',
  description: "Sends one HTTP request to a port of the workload's container (`port`) or of the engine's host (`hostPort`), e.g. POST /break; done when any HTTP answer comes back.",
  example: { method: 'POST', port: 8080, path: '/break' },
  params: Type.Object({
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    hostPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    method: Type.Optional(Type.Union(['GET', 'POST', 'PUT', 'DELETE', 'HEAD'].map((m) => Type.Literal(m)))),
    path: Type.String({ pattern: '^/', maxLength: 1000 }),
    withinSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 60 })),
  }),
  needs: (step) => (step.port !== undefined ? ['container'] : []),
  validate: (step) => ((step.port === undefined) === (step.hostPort === undefined) ? [{ path: '', message: 'give exactly one of "port" (container port) or "hostPort"' }] : []),
  titleData: (step) => ({ method: step.method ?? 'GET', anyPort: step.port ?? step.hostPort }),
  messages: {
    en: { title: 'The grader sends {method} {path} to port {anyPort}', done: 'HTTP {status}', noAnswer: 'no HTTP answer: {error}', notPublished: 'container port {port} is not published' },
    fr: { title: 'Le correcteur envoie {method} {path} au port {anyPort}', done: 'HTTP {status}', noAnswer: 'pas de réponse HTTP : {error}', notPublished: "le port {port} du conteneur n'est pas publié" },
  },
  async perform(step, ctx, say) {
    let hostPort = step.hostPort;
    if (step.port !== undefined) {
      const container = ctx.container!;
      const stopped = await notRunning(container, ctx.lang);
      if (stopped) return { status: 'failed', message: stopped };
      hostPort = (await container.hostPort(step.port)) ?? undefined;
      if (hostPort === undefined) return { status: 'failed', message: say('notPublished', { port: step.port }) };
    }
    const answer = await ctx.http({ port: hostPort!, path: step.path, method: step.method ?? 'GET', withinMs: (step.withinSeconds ?? 5) * 1000 });
    return answer.ok ? { status: 'done', message: say('done', { status: answer.status }) } : { status: 'failed', message: say('noAnswer', { error: describeHttpFailure(answer, ctx.lang) }) };
  },
});
