import { Type } from '@sinclair/typebox';
import { pollUntil } from '../lib/poll.js';
import { ContainerName, containerNeeds, describeLog, isObservation, regexProblems, targetContainer } from './common.js';
import { defineCheck } from './types.js';

export const logsContain = defineCheck({
  kind: 'logs-contain',
  description: "A container's logs (stdout and stderr) contain a text, or match a regular expression with `regex: true`; polled for up to `withinSeconds`. With `absent: true`, the logs must NOT contain it.",
  example: { pattern: 'Serving on port 8080' },
  params: Type.Object({
    container: ContainerName,
    pattern: Type.String({ minLength: 1, maxLength: 500 }),
    regex: Type.Optional(Type.Boolean()),
    absent: Type.Optional(Type.Boolean()),
    withinSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 120 })),
  }),
  needs: containerNeeds,
  validate(check) {
    return check.regex ? regexProblems(check.pattern, 'm', '/pattern') : [];
  },
  titleData: (check) => (check.absent ? { titleId: 'titleAbsent' } : {}),
  messages: {
    fr: { title: 'Les logs contiennent « {pattern} »', titleAbsent: 'Les logs ne contiennent pas « {pattern} »', expected: 'une ligne de log contenant « {pattern} »', expectedAbsent: 'aucune ligne contenant « {pattern} »', found: 'trouvé : {line}' },
    en: { title: 'The logs contain "{pattern}"', titleAbsent: 'The logs do not contain "{pattern}"', expected: 'a log line containing "{pattern}"', expectedAbsent: 'no line containing "{pattern}"', found: 'found: {line}' },
  },
  async evaluate(check, ctx, say) {
    const expected = say(check.absent ? 'expectedAbsent' : 'expected', { pattern: check.pattern });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const matcher = check.regex ? new RegExp(check.pattern, 'm') : null;
    // Lines are cut at 4 KiB before matching: a pattern never runs over an unbounded line.
    const find = (logs: string) => logs.split('\n').map((line) => line.slice(0, 4096)).find((line) => (matcher ? matcher.test(line) : line.includes(check.pattern)));
    const within = (check.withinSeconds ?? (check.absent ? 0 : 5)) * 1000;
    // The state is read before the logs: a stopped container's logs are final, and waiting for more is pointless.
    const read = async () => {
      const running = (await container.state()).running;
      return { running, logs: await container.logs() };
    };
    const { value } = await pollUntil(read, (r) => find(r.logs) !== undefined || !r.running, within, { firstDelayMs: 100, signal: ctx.signal });
    const logs = value.logs;
    const line = find(logs);
    const observed = line !== undefined ? say('found', { line: line.trim().slice(0, 200) }) : describeLog(logs, ctx.lang);
    return { passed: check.absent ? line === undefined : line !== undefined, expected, observed };
  },
});
