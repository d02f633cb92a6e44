import { Type } from '@sinclair/typebox';
import { ContainerName, containerNeeds, isObservation, targetContainer } from './common.js';
import { defineCheck } from './types.js';

export const containerNoHostPorts = defineCheck({
  kind: 'container-no-host-ports',
  example: { container: 'cache' },
  description: 'A container publishes no port at all on the host (no `-p`, no `ports:`): other containers reach it over a network, the outside world cannot.',
  params: Type.Object({ container: ContainerName }),
  needs: containerNeeds,
  messages: {
    en: {
      title: 'The container{named} publishes no port on the host',
      expected: 'no published port (reachable from its networks only)',
      observed: 'published: {bindings}',
      none: 'no published port; exposed only: {exposed}',
      nothing: 'no published port',
    },
    fr: {
      title: "Le conteneur{named} ne publie aucun port sur l'hôte",
      expected: 'aucun port publié (joignable seulement depuis ses réseaux)',
      observed: 'ports publiés : {bindings}',
      none: 'aucun port publié ; seulement exposés : {exposed}',
      nothing: 'aucun port publié',
    },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected');
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const { ports } = await container.state();
    const bindings = Object.entries(ports).flatMap(([key, list]) => list.map((b) => `${b.hostIp || '0.0.0.0'}:${b.hostPort} → ${key}`));
    if (bindings.length > 0) return { passed: false, expected, observed: say('observed', { bindings: [...new Set(bindings)].join(', ') }) };
    const exposed = Object.keys(ports);
    return { passed: true, expected, observed: exposed.length ? say('none', { exposed: exposed.join(', ') }) : say('nothing') };
  },
});
