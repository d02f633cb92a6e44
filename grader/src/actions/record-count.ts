import { Type } from '@sinclair/typebox';
import { COUNT_MESSAGES, describeUnreadable, readCount } from '../checks/http-count.js';
import { defineAction } from './types.js';

export const recordCount = defineAction({
  action: 'record-count',
  example: { hostPort: 8080, as: 'avant-down' },
  description: 'GETs a host port and keeps the count its body holds (the first decimal integer) under the name `as`, for a later `http-count-increases` check with `since` (e.g. before `compose-down`).',
  params: Type.Object({
    hostPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    path: Type.Optional(Type.String({ pattern: '^/', default: '/', maxLength: 1000 })),
    as: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 64 }),
    withinSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 60, default: 10 })),
  }),
  needs: [],
  produces: ['counts'],
  titleData: (step) => ({ path: step.path ?? '/' }),
  messages: {
    en: { title: 'The grader reads the count of GET {path} on port {hostPort} ("{as}")', done: 'count {count} kept as "{as}"', failed: 'no count could be read: {what}', ...COUNT_MESSAGES.en },
    fr: { title: 'Le correcteur relève le compteur de GET {path} sur le port {hostPort} (« {as} »)', done: 'compteur {count} retenu sous « {as} »', failed: 'aucun compteur lisible : {what}', ...COUNT_MESSAGES.fr },
  },
  async perform(step, ctx, say) {
    const read = await readCount(ctx, step.hostPort, step.path ?? '/', (step.withinSeconds ?? 10) * 1000);
    if (read.count === null) return { status: 'failed', message: say('failed', { what: describeUnreadable(read, step.hostPort, say, ctx.lang) }) };
    return { status: 'done', message: say('done', { count: read.count, as: step.as }), facts: { counts: { ...ctx.counts, [step.as]: read.count } } };
  },
});
