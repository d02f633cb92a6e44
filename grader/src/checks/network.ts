import { Type } from '@sinclair/typebox';
import { ContainerName, containerNeeds, isObservation, observe, targetContainer } from './common.js';
import { defineCheck } from './types.js';

const NetworkName = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$', maxLength: 128 });

/** The networks every engine has: a student cannot have created them. */
const PREDEFINED = ['bridge', 'host', 'none'];

export const networkExists = defineCheck({
  kind: 'network-exists',
  example: { network: 'reseau-app', driver: 'bridge' },
  description: 'A network exists on the engine, created by the student (not one of the predefined `bridge`, `host`, `none`), with the given `driver` (e.g. `bridge`: a user-defined bridge, whose containers find each other by name).',
  params: Type.Object({
    network: NetworkName,
    driver: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]*$', maxLength: 64 })),
  }),
  needs: [],
  validate: (check) => (PREDEFINED.includes(check.network) ? [{ path: '/network', message: `"${check.network}" is predefined on every engine: name a network the student creates` }] : []),
  titleData: (check, say) => ({ driverText: check.driver ? say('driverText', { driver: check.driver }) : '' }),
  messages: {
    en: {
      title: 'The network "{network}" exists{driverText}',
      driverText: ' (driver {driver})',
      expected: 'a network named {network}{driverText}',
      observed: 'network {network}: driver {driver}{internal}; containers attached now: {containers}',
      internal: ', internal (no way out)',
      absent: 'no network named {network}',
    },
    fr: {
      title: 'Le réseau « {network} » existe{driverText}',
      driverText: ' (pilote {driver})',
      expected: 'un réseau nommé {network}{driverText}',
      observed: 'réseau {network} : pilote {driver}{internal} ; conteneurs attachés en ce moment : {containers}',
      internal: ', interne (sans sortie)',
      absent: 'aucun réseau nommé {network}',
    },
  },
  async evaluate(check, ctx, say) {
    const driverText = check.driver ? say('driverText', { driver: check.driver }) : '';
    const expected = say('expected', { network: check.network, driverText });
    const network = await ctx.findNetwork(check.network);
    if (!network) return { passed: false, expected, observed: say('absent', { network: check.network }) };
    const observed = say('observed', { network: network.name, driver: network.driver, internal: network.internal ? say('internal') : '', containers: network.containers.join(', ') || observe(ctx.lang, 'none') });
    return { passed: network.name === check.network && (check.driver === undefined || network.driver === check.driver), expected, observed };
  },
});

export const containerNetwork = defineCheck({
  kind: 'container-network',
  example: { container: 'isole', network: 'reseau-app', attached: false },
  description: 'A container is attached to a network (or, with `attached: false`, is not), as `docker inspect` shows in NetworkSettings.Networks; a stopped container keeps its networks.',
  params: Type.Object({
    container: ContainerName,
    network: NetworkName,
    attached: Type.Optional(Type.Boolean({ default: true })),
  }),
  needs: containerNeeds,
  titleData: (check) => (check.attached === false ? { titleId: 'titleNot' } : {}),
  messages: {
    en: {
      title: 'The container{named} is on the network "{network}"',
      titleNot: 'The container{named} is not on the network "{network}"',
      expected: 'attached to {network}',
      expectedNot: 'not attached to {network}',
      observed: 'networks: {networks}',
      mode: 'network mode "{mode}": {networks}',
    },
    fr: {
      title: 'Le conteneur{named} est sur le réseau « {network} »',
      titleNot: "Le conteneur{named} n'est pas sur le réseau « {network} »",
      expected: 'attaché à {network}',
      expectedNot: 'non attaché à {network}',
      observed: 'réseaux : {networks}',
      mode: 'mode réseau « {mode} » : {networks}',
    },
  },
  async evaluate(check, ctx, say) {
    const wanted = check.attached !== false;
    const expected = say(wanted ? 'expected' : 'expectedNot', { network: check.network });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const state = await container.state();
    const networks = [...state.networks].sort();
    const list = networks.join(', ') || observe(ctx.lang, 'none');
    // host, none, container:…: the container has no network endpoints of its own.
    const special = /^(host|none|container:)/.test(state.networkMode);
    const observed = special ? say('mode', { mode: state.networkMode.replace(/^container:([0-9a-f]{12})[0-9a-f]*$/, 'container:$1'), networks: list }) : say('observed', { networks: list });
    return { passed: networks.includes(check.network) === wanted, expected, observed };
  },
});
