import { Type } from '@sinclair/typebox';
import { defineAction } from './types.js';

export const composeDown = defineAction({
  action: 'compose-down',
  example: {},
  description: 'Runs `compose down` (without `-v`) on the Compose project: its containers and networks go, its named volumes stay; later checks see what survives.',
  params: Type.Object({}),
  needs: ['compose'],
  operations: ['composeDown'],
  messages: {
    en: { title: 'The grader runs compose down (without -v)', done: 'project stopped and removed in {seconds} s (named volumes kept)', failed: 'compose down failed:\n{message}' },
    fr: { title: 'Le correcteur lance compose down (sans -v)', done: 'projet arrêté et supprimé en {seconds} s (volumes nommés conservés)', failed: 'compose down a échoué :\n{message}' },
  },
  async perform(_step, ctx, say) {
    const result = await ctx.operations.composeDown!();
    return result.ok
      ? { status: 'done', message: say('done', { seconds: (result.durationMs / 1000).toFixed(1) }) }
      : { status: 'failed', message: say('failed', { message: result.problem?.message ?? result.output.slice(-1000) }) };
  },
});
