import { Type } from '@sinclair/typebox';
import { defineAction } from './types.js';

const Name = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$', maxLength: 128 });

export const runContainer = defineAction({
  action: 'run-container',
  description: "Creates (and with `start`, starts) a container of the grader's, e.g. a fresh one on the student's volume; later checks observe it by the name given in `as`. Created only, its files and mounts can still be read.",
  example: { as: 'relecture', image: 'busybox:1.36', mounts: [{ volume: 'donnees', target: '/data' }] },
  params: Type.Object({
    as: Name,
    image: Type.String({ minLength: 1, maxLength: 256 }),
    mounts: Type.Optional(Type.Array(
      Type.Object({ volume: Name, target: Type.String({ pattern: '^/', maxLength: 256 }), readOnly: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      { maxItems: 10, default: [] },
    )),
    command: Type.Optional(Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 50 })),
    start: Type.Optional(Type.Boolean({ default: false })),
  }),
  needs: [],
  titleData: (step) => ({ volumes: (step.mounts ?? []).map((m) => `${m.volume}:${m.target}`).join(', ') || '-' }),
  messages: {
    en: { title: 'The grader creates a fresh container "{as}" ({image}) on {volumes}', done: 'container {as} created from {image} with {volumes}' },
    fr: { title: 'Le correcteur crée un nouveau conteneur « {as} » ({image}) sur {volumes}', done: 'conteneur {as} créé depuis {image} avec {volumes}' },
  },
  async perform(step, ctx, say) {
    const mounts = step.mounts ?? [];
    await ctx.engine.runContainer({ as: step.as, image: step.image, mounts, ...(step.command ? { command: step.command } : {}), start: step.start ?? false });
    return { status: 'done', message: say('done', { as: step.as, image: step.image, volumes: mounts.map((m) => `${m.volume}:${m.target}`).join(', ') || '-' }) };
  },
});
