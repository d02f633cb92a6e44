import { Type } from '@sinclair/typebox';
import { defineAction } from './types.js';

export const removeContainer = defineAction({
  action: 'remove-container',
  description: 'Removes a container (by name, or an alias the grader gave one), as `docker rm -f`; named volumes stay.',
  example: { container: 'stockage' },
  params: Type.Object({ container: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$', maxLength: 128 }) }),
  needs: [],
  messages: {
    en: { title: 'The grader removes the container "{container}"', done: 'container {container} removed', absent: 'there is no container {container} to remove' },
    fr: { title: 'Le correcteur supprime le conteneur « {container} »', done: 'conteneur {container} supprimé', absent: "il n'y a pas de conteneur {container} à supprimer" },
  },
  async perform(step, ctx, say) {
    const removed = await ctx.engine.removeContainer(step.container);
    return removed ? { status: 'done', message: say('done', { container: step.container }) } : { status: 'failed', message: say('absent', { container: step.container }) };
  },
});
