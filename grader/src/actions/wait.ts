import { Type } from '@sinclair/typebox';
import { sleep } from '../lib/poll.js';
import { defineAction } from './types.js';

export const wait = defineAction({
  action: 'wait',
  description: 'Waits a number of seconds (for behaviour that only shows with time; prefer a check with `withinSeconds`, which polls).',
  example: { seconds: 10 },
  params: Type.Object({ seconds: Type.Number({ minimum: 0.1, maximum: 120 }) }),
  needs: [],
  messages: {
    en: { title: 'The grader waits {seconds} s', done: 'waited {seconds} s' },
    fr: { title: 'Le correcteur attend {seconds} s', done: 'attendu {seconds} s' },
  },
  async perform(step, ctx, say) {
    await sleep(step.seconds * 1000, ctx.signal);
    return { status: 'done', message: say('done', { seconds: step.seconds }) };
  },
});
