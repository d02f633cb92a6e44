import { Type } from '@sinclair/typebox';
import { ContainerName, containerNeeds, isObservation, notRunning, targetContainer, truncate } from './common.js';
import { defineCheck } from './types.js';

export const execInContainer = defineCheck({
  kind: 'exec',
  description: 'A command run inside a running container (docker exec, no shell unless you call one) exits with a code and prints a text.',
  example: { command: ['nginx', '-t'], expect: { exitCode: 0 } },
  params: Type.Object({
    container: ContainerName,
    command: Type.Array(Type.String({ maxLength: 1000 }), { minItems: 1, maxItems: 50 }),
    user: Type.Optional(Type.String({ maxLength: 128 })),
    expect: Type.Object(
      { exitCode: Type.Optional(Type.Integer({ default: 0 })), outputContains: Type.Optional(Type.String({ maxLength: 1000 })) },
      { additionalProperties: false },
    ),
    timeoutSeconds: Type.Optional(Type.Number({ minimum: 1, maximum: 120 })),
  }),
  needs: containerNeeds,
  titleData: (check) => ({ commandText: check.command.join(' ') }),
  messages: {
    fr: { title: '`{commandText}` réussit dans le conteneur{named}', expected: 'code de sortie {exitCode}{contains}', contains: ', sortie contenant « {text} »', observed: 'code de sortie {exitCode}{timedOut}, sortie : {output}', timedOut: ' (interrompu : trop long)' },
    en: { title: '`{commandText}` succeeds in the container{named}', expected: 'exit code {exitCode}{contains}', contains: ', output containing "{text}"', observed: 'exit code {exitCode}{timedOut}, output: {output}', timedOut: ' (stopped: took too long)' },
  },
  async evaluate(check, ctx, say) {
    const exitCode = check.expect.exitCode ?? 0;
    const expected = say('expected', { exitCode, contains: check.expect.outputContains ? say('contains', { text: check.expect.outputContains }) : '' });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const stopped = await notRunning(container, ctx.lang);
    if (stopped) return { passed: false, expected, observed: stopped };
    const result = await container.exec(check.command, { ...(check.user ? { user: check.user } : {}), timeoutMs: (check.timeoutSeconds ?? 15) * 1000 });
    const output = `${result.stdout}${result.stderr}`;
    const passed = !result.timedOut && result.exitCode === exitCode && (!check.expect.outputContains || output.includes(check.expect.outputContains));
    return { passed, expected, observed: say('observed', { exitCode: result.exitCode, timedOut: result.timedOut ? say('timedOut') : '', output: truncate(output.replace(/\s*\n\s*/g, ' ⏎ '), 300) || '∅' }) };
  },
});

export const processUid = defineCheck({
  kind: 'process-uid',
  description: "Every process running in a container has a uid other than 0 (read with `docker top`, so no shell is needed in the image).",
  example: {},
  params: Type.Object({ container: ContainerName }),
  needs: containerNeeds,
  messages: {
    fr: { title: 'Le processus du conteneur ne tourne pas en root', expected: 'uid ≠ 0 pour chaque processus', observed: '{list}' },
    en: { title: "The container's process does not run as root", expected: 'uid ≠ 0 for every process', observed: '{list}' },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected');
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const stopped = await notRunning(container, ctx.lang);
    if (stopped) return { passed: false, expected, observed: stopped };
    const processes = await container.processes();
    const list = processes.map((p) => `uid ${p.uid}: ${truncate(p.command, 80)}`).join('; ');
    return { passed: processes.length > 0 && processes.every((p) => p.uid !== 0), expected, observed: say('observed', { list: list || '-' }) };
  },
});
