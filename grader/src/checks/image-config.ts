import { Type } from '@sinclair/typebox';
import { finalStageLine, observe } from './common.js';
import { defineCheck } from './types.js';

export const imageExposes = defineCheck({
  kind: 'image-exposes',
  description: 'The image declares EXPOSE for a port.',
  example: { port: 8080 },
  params: Type.Object({ port: Type.Integer({ minimum: 1, maximum: 65535 }), protocol: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp')])) }),
  needs: ['image'],
  messages: {
    fr: { title: "L'image expose le port {port}/{protocol}", expected: 'EXPOSE {port}/{protocol}', observed: 'ports exposés : {ports}' },
    en: { title: 'The image exposes port {port}/{protocol}', expected: 'EXPOSE {port}/{protocol}', observed: 'exposed ports: {ports}' },
  },
  async evaluate(check, ctx, say) {
    const protocol = check.protocol ?? 'tcp';
    const { exposedPorts } = await ctx.image!.config();
    return {
      passed: exposedPorts.includes(`${check.port}/${protocol}`),
      expected: say('expected', { port: check.port, protocol }),
      observed: say('observed', { ports: exposedPorts.join(', ') || observe(ctx.lang, 'none') }),
    };
  },
});

export const imageEnv = defineCheck({
  kind: 'image-env',
  description: "The image's environment has a variable, with a given value when `value` is set.",
  example: { name: 'PYTHONUNBUFFERED', value: '1' },
  params: Type.Object({ name: Type.String({ minLength: 1 }), value: Type.Optional(Type.String()) }),
  needs: ['image'],
  titleData: (check) => ({ valueText: check.value === undefined ? '' : `=${check.value}` }),
  messages: {
    fr: { title: "L'image définit {name}{valueText}", expected: '{name}{valueText} dans ENV', observed: '{observed}', absent: "{name} n'est pas défini", present: '{name}={value}' },
    en: { title: 'The image sets {name}{valueText}', expected: '{name}{valueText} in ENV', observed: '{observed}', absent: '{name} is not set', present: '{name}={value}' },
  },
  async evaluate(check, ctx, say) {
    const { env } = await ctx.image!.config();
    const actual = env[check.name];
    const expected = say('expected', { name: check.name, valueText: check.value === undefined ? '' : `=${check.value}` });
    const observed = actual === undefined ? say('absent', { name: check.name }) : say('present', { name: check.name, value: actual });
    return { passed: actual !== undefined && (check.value === undefined || actual === check.value), expected, observed };
  },
});

export const imageWorkdir = defineCheck({
  kind: 'image-workdir',
  description: "The image's working directory (WORKDIR).",
  example: { path: '/app' },
  params: Type.Object({ path: Type.String({ pattern: '^/' }) }),
  needs: ['image'],
  messages: {
    fr: { title: 'Le répertoire de travail est {path}', expected: 'WORKDIR {path}', observed: 'WORKDIR {actual}' },
    en: { title: 'The working directory is {path}', expected: 'WORKDIR {path}', observed: 'WORKDIR {actual}' },
  },
  async evaluate(check, ctx, say) {
    const { workdir } = await ctx.image!.config();
    const norm = (p: string) => (p.replace(/\/+$/, '') || '/');
    return {
      passed: norm(workdir || '/') === norm(check.path),
      expected: say('expected', { path: check.path }),
      observed: say('observed', { actual: workdir || `/ ${observe(ctx.lang, 'none')}` }),
    };
  },
});

export const imageLabel = defineCheck({
  kind: 'image-label',
  description: 'The image carries a label (any value, or a given one).',
  example: { name: 'version' },
  params: Type.Object({ name: Type.String({ minLength: 1 }), value: Type.Optional(Type.String()) }),
  needs: ['image'],
  messages: {
    fr: { title: "L'image porte le label « {name} »", expected: 'LABEL {name}{valueText}', observed: 'labels : {labels}' },
    en: { title: 'The image has the label "{name}"', expected: 'LABEL {name}{valueText}', observed: 'labels: {labels}' },
  },
  async evaluate(check, ctx, say) {
    const { labels } = await ctx.image!.config();
    const own = Object.entries(labels).filter(([k]) => !k.startsWith('dockerlab') && !k.startsWith('org.opencontainers.image.description'));
    const actual = labels[check.name];
    return {
      passed: actual !== undefined && (check.value === undefined || actual === check.value),
      expected: say('expected', { name: check.name, valueText: check.value === undefined ? ` ${observe(ctx.lang, 'anyValue')}` : `=${check.value}` }),
      observed: say('observed', { labels: own.map(([k, v]) => `${k}=${v}`).join(', ') || observe(ctx.lang, 'none') }),
    };
  },
});

const SHELLS = /(^|\/)(sh|bash|ash|dash|zsh)$/;

export const imageExecForm = defineCheck({
  kind: 'image-exec-form',
  description: 'CMD and ENTRYPOINT use the exec (JSON) form: the image config does not start the program through `/bin/sh -c`.',
  example: {},
  params: Type.Object({}),
  needs: ['image'],
  messages: {
    fr: {
      title: 'CMD / ENTRYPOINT en forme exec (JSON)',
      expected: 'CMD ["programme", "arg"…] : le programme est lancé directement, sans /bin/sh -c',
      observed: 'ENTRYPOINT {entrypoint} · CMD {cmd}',
      entrypointShell: "ENTRYPOINT {entrypoint} est en forme shell : /bin/sh est le PID 1, et tout CMD est ignoré — c'est ENTRYPOINT qu'il faut écrire en JSON (CMD {cmd})",
      cmdShell: 'CMD {cmd} passe par /bin/sh -c : le shell est le PID 1, pas votre programme (ENTRYPOINT {entrypoint})',
    },
    en: {
      title: 'CMD / ENTRYPOINT in exec (JSON) form',
      expected: 'CMD ["program", "arg"…]: the program starts directly, not through /bin/sh -c',
      observed: 'ENTRYPOINT {entrypoint} · CMD {cmd}',
      entrypointShell: 'ENTRYPOINT {entrypoint} is in shell form: /bin/sh is PID 1 and any CMD is ignored — it is ENTRYPOINT that must be written in JSON (CMD {cmd})',
      cmdShell: 'CMD {cmd} goes through /bin/sh -c: the shell is PID 1, not your program (ENTRYPOINT {entrypoint})',
    },
  },
  async evaluate(_check, ctx, say) {
    const { cmd, entrypoint } = await ctx.image!.config();
    const viaShell = (list: string[] | null) => !!list && list.length >= 2 && SHELLS.test(list[0] ?? '') && list[1] === '-c';
    const data = { entrypoint: JSON.stringify(entrypoint ?? []), cmd: JSON.stringify(cmd ?? []) };
    const expected = say('expected');
    if (viaShell(entrypoint)) return { passed: false, expected, observed: say('entrypointShell', data), ...locationOf(ctx, 'ENTRYPOINT') };
    if (viaShell(cmd)) return { passed: false, expected, observed: say('cmdShell', data), ...locationOf(ctx, 'CMD') };
    return { passed: true, expected, observed: say('observed', data) };
  },
});

function locationOf(ctx: Parameters<typeof finalStageLine>[0], keyword: string): { location?: { file: string; line: number } } {
  const location = finalStageLine(ctx, keyword);
  return location ? { location } : {};
}
