import { Type } from '@sinclair/typebox';
import { ContainerName, containerNeeds, isObservation, observe, targetContainer } from './common.js';
import { defineCheck } from './types.js';

const MiB = 1024 * 1024;

export const containerEnv = defineCheck({
  kind: 'container-env',
  description: "A container's environment (as it was started: `docker run -e`, the image's ENV) has a variable, with a given value when `value` is set.",
  example: { container: 'site', name: 'APP_ENV', value: 'dev' },
  params: Type.Object({ container: ContainerName, name: Type.String({ minLength: 1, maxLength: 256 }), value: Type.Optional(Type.String({ maxLength: 4096 })) }),
  needs: containerNeeds,
  titleData: (check) => ({ valueText: check.value === undefined ? '' : `=${check.value}` }),
  messages: {
    en: { title: 'The container{named} has {name}{valueText} in its environment', expected: '{name}{valueText}', absent: '{name} is not set (variables: {names})', present: '{name}={value}' },
    fr: { title: 'Le conteneur{named} a {name}{valueText} dans son environnement', expected: '{name}{valueText}', absent: "{name} n'est pas défini (variables : {names})", present: '{name}={value}' },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { name: check.name, valueText: check.value === undefined ? '' : `=${check.value}` });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const { env } = await container.state();
    const actual = env[check.name];
    if (actual === undefined) return { passed: false, expected, observed: say('absent', { name: check.name, names: Object.keys(env).filter((k) => k !== 'PATH').join(', ') || observe(ctx.lang, 'none') }) };
    // A value with stray spaces or quotes (`-e "APP_ENV= dev"`) is shown as it is, visibly.
    return { passed: check.value === undefined || actual === check.value, expected, observed: say('present', { name: check.name, value: JSON.stringify(actual).slice(1, -1) }) };
  },
});

export const containerMemory = defineCheck({
  kind: 'container-memory',
  description: "A container's memory limit (`docker run -m`), in MiB.",
  example: { container: 'site', mebibytes: 256 },
  params: Type.Object({ container: ContainerName, mebibytes: Type.Integer({ minimum: 4, maximum: 65536 }) }),
  needs: containerNeeds,
  messages: {
    en: { title: 'The container{named} is limited to {mebibytes} MiB of memory', expected: 'a memory limit of {mebibytes} MiB ({bytes} bytes)', limited: 'a memory limit of {limit}', unlimited: 'no memory limit' },
    fr: { title: 'Le conteneur{named} est limité à {mebibytes} Mio de mémoire', expected: 'une limite mémoire de {mebibytes} Mio ({bytes} octets)', limited: 'une limite mémoire de {limit}', unlimited: 'aucune limite mémoire' },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { mebibytes: check.mebibytes, bytes: check.mebibytes * MiB });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const { memoryBytes } = await container.state();
    const limit = memoryBytes % MiB === 0 ? `${memoryBytes / MiB} MiB` : `${memoryBytes} bytes (${(memoryBytes / MiB).toFixed(2)} MiB)`;
    return { passed: memoryBytes === check.mebibytes * MiB, expected, observed: memoryBytes === 0 ? say('unlimited') : say('limited', { limit }) };
  },
});

const Policy = Type.Union([Type.Literal('no'), Type.Literal('always'), Type.Literal('unless-stopped'), Type.Literal('on-failure')]);

export const containerRestartPolicy = defineCheck({
  kind: 'container-restart-policy',
  description: "A container's restart policy (`docker run --restart`).",
  example: { container: 'site', policy: 'unless-stopped' },
  params: Type.Object({ container: ContainerName, policy: Policy }),
  needs: containerNeeds,
  messages: {
    en: { title: 'The container{named} restarts with the policy "{policy}"', expected: '--restart {policy}', observed: '--restart {actual}' },
    fr: { title: 'Le conteneur{named} redémarre selon la politique « {policy} »', expected: '--restart {policy}', observed: '--restart {actual}' },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { policy: check.policy });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const actual = (await container.state()).restartPolicy || 'no';
    return { passed: actual === check.policy, expected, observed: say('observed', { actual }) };
  },
});

export const containerLabel = defineCheck({
  kind: 'container-label',
  description: 'A container carries a label (any value, or a given one): its own (`docker run --label`) or its image\'s.',
  example: { container: 'site', name: 'cours', value: 'docker' },
  params: Type.Object({ container: ContainerName, name: Type.String({ minLength: 1, maxLength: 256 }), value: Type.Optional(Type.String({ maxLength: 4096 })) }),
  needs: containerNeeds,
  titleData: (check) => ({ valueText: check.value === undefined ? '' : `=${check.value}` }),
  messages: {
    en: { title: 'The container{named} has the label {name}{valueText}', expected: 'label {name}{valueText}', observed: 'labels: {labels}' },
    fr: { title: 'Le conteneur{named} porte le label {name}{valueText}', expected: 'label {name}{valueText}', observed: 'labels : {labels}' },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { name: check.name, valueText: check.value === undefined ? ` ${observe(ctx.lang, 'anyValue')}` : `=${check.value}` });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const { labels } = await container.state();
    const own = Object.entries(labels).filter(([k]) => !k.startsWith('dockerlab') && !k.startsWith('com.docker.compose') && !k.startsWith('org.opencontainers'));
    const actual = labels[check.name];
    return {
      passed: actual !== undefined && (check.value === undefined || actual === check.value),
      expected,
      observed: say('observed', { labels: own.map(([k, v]) => `${k}=${v}`).join(', ') || observe(ctx.lang, 'none') }),
    };
  },
});
