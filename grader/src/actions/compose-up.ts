import { Type } from '@sinclair/typebox';
import { defineAction } from './types.js';

export const composeUpAgain = defineAction({
  action: 'compose-up',
  example: {},
  description: 'Runs `compose up -d` again on the Compose project (same files and project, nothing rebuilt), e.g. after `compose-down`, to see whether the data came back.',
  params: Type.Object({}),
  needs: ['compose'],
  operations: ['composeUp'],
  messages: {
    en: { title: 'The grader runs compose up -d again', done: 'project started again in {seconds} s', failed: 'compose up -d failed:\n{message}' },
    fr: { title: 'Le correcteur relance compose up -d', done: 'projet redémarré en {seconds} s', failed: 'compose up -d a échoué :\n{message}' },
  },
  async perform(_step, ctx, say) {
    const result = await ctx.operations.composeUp!();
    return result.ok
      ? { status: 'done', message: say('done', { seconds: (result.durationMs / 1000).toFixed(1) }) }
      : { status: 'failed', message: say('failed', { message: result.problem?.message ?? result.output.slice(-1000) }) };
  },
});
