import { Type } from '@sinclair/typebox';
import { ContainerName, containerNeeds, isObservation, targetContainer } from './common.js';
import { defineCheck } from './types.js';

export const containerPort = defineCheck({
  kind: 'container-port',
  description: 'A container publishes a container port on a given host port (`hostPort`), or on no host port at all (`published: false`).',
  example: { container: 'mon-serveur', containerPort: 80, hostPort: 8080 },
  params: Type.Object({
    container: ContainerName,
    containerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp')])),
    hostPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    published: Type.Optional(Type.Boolean({ default: true })),
  }),
  needs: containerNeeds,
  validate(check) {
    if (check.published === false && check.hostPort !== undefined) return [{ path: '/hostPort', message: 'hostPort makes no sense with published: false' }];
    if (check.published !== false && check.hostPort === undefined) return [{ path: '/hostPort', message: 'hostPort is required unless published is false' }];
    return [];
  },
  titleData: (check) => (check.published === false ? { titleId: 'titleUnpublished' } : {}),
  messages: {
    fr: {
      title: 'Le conteneur{named} publie le port {containerPort}/{protocol} sur le port hôte {hostPort}',
      titleUnpublished: "Le conteneur{named} ne publie pas le port {containerPort}/{protocol} sur l'hôte",
      expected: '-p {hostPort}:{containerPort}',
      expectedUnpublished: 'aucune publication du port {containerPort}/{protocol}',
      observed: 'publications : {bindings}',
      none: 'aucune',
    },
    en: {
      title: 'The container{named} publishes port {containerPort}/{protocol} on host port {hostPort}',
      titleUnpublished: 'The container{named} does not publish port {containerPort}/{protocol} on the host',
      expected: '-p {hostPort}:{containerPort}',
      expectedUnpublished: 'no publication of port {containerPort}/{protocol}',
      observed: 'published: {bindings}',
      none: 'none',
    },
  },
  async evaluate(check, ctx, say) {
    const protocol = check.protocol ?? 'tcp';
    const unpublished = check.published === false;
    const expected = unpublished ? say('expectedUnpublished', { containerPort: check.containerPort, protocol }) : say('expected', { hostPort: check.hostPort, containerPort: check.containerPort });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const { ports } = await container.state();
    const bindings = Object.entries(ports).flatMap(([key, list]) => list.map((b) => `${b.hostIp || '0.0.0.0'}:${b.hostPort} → ${key}`));
    const mine = ports[`${check.containerPort}/${protocol}`] ?? [];
    const passed = unpublished ? mine.length === 0 : mine.some((b) => b.hostPort === check.hostPort);
    return { passed, expected, observed: say('observed', { bindings: [...new Set(bindings)].join(', ') || say('none') }) };
  },
});
