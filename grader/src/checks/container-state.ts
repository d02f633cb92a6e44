import { Type } from '@sinclair/typebox';
import { pollUntil } from '../lib/poll.js';
import { ContainerName, containerNeeds, describeLog, isObservation, targetContainer } from './common.js';
import { defineCheck } from './types.js';

const Status = Type.Union([Type.Literal('running'), Type.Literal('exited'), Type.Literal('created'), Type.Literal('paused')]);

export const containerState = defineCheck({
  kind: 'container-state',
  description: 'A container exists and is in a state (running, exited…), optionally with an exit code; `running` also requires no restarts and, with `minUptimeSeconds`, that long up. When the state is not yet final, it is polled for up to `withinSeconds`.',
  example: { container: 'ancien', status: 'exited' },
  params: Type.Object({
    container: ContainerName,
    status: Status,
    exitCode: Type.Optional(Type.Integer()),
    minUptimeSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 120 })),
    withinSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 300 })),
  }),
  needs: containerNeeds,
  messages: {
    fr: {
      title: 'Le conteneur{named} est {statusText}',
      expected: 'état « {status} »{exit}',
      observed: 'état « {status} », code de sortie {exitCode}{restarts}{oom}\n{logs}',
      observedRunning: 'en marche depuis {uptime} s{restarts}',
      exitText: ', code de sortie {code}',
      restarts: ', {count} redémarrage(s)',
      oom: ', tué faute de mémoire (OOM)',
      running: 'en marche', exited: 'arrêté', created: 'créé', paused: 'en pause',
    },
    en: {
      title: 'The container{named} is {statusText}',
      expected: 'state "{status}"{exit}',
      observed: 'state "{status}", exit code {exitCode}{restarts}{oom}\n{logs}',
      observedRunning: 'running for {uptime} s{restarts}',
      exitText: ', exit code {code}',
      restarts: ', {count} restart(s)',
      oom: ', killed for lack of memory (OOM)',
      running: 'running', exited: 'stopped', created: 'created', paused: 'paused',
    },
  },
  titleData: (check, say) => ({ statusText: say(check.status) }),
  async evaluate(check, ctx, say) {
    const expected = say('expected', { status: check.status, exit: check.exitCode === undefined ? '' : say('exitText', { code: check.exitCode }) });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const uptime = (s: { startedAt: string | null }) => (s.startedAt ? (Date.now() - Date.parse(s.startedAt)) / 1000 : 0);
    const good = (s: Awaited<ReturnType<typeof container.state>>) =>
      s.status === check.status &&
      (check.exitCode === undefined || s.exitCode === check.exitCode) &&
      (check.status !== 'running' || (s.restartCount === 0 && uptime(s) >= (check.minUptimeSeconds ?? 0)));
    const waitMs = Math.max((check.withinSeconds ?? 0) * 1000, (check.minUptimeSeconds ?? 0) * 1000 + 1000);
    const { value: state } = await pollUntil(
      () => container.state(),
      // Stopped for good (exited, created and never started, dead, not restarting): waiting longer changes nothing.
      (s) => good(s) || (!s.running && !s.restarting),
      waitMs,
      { firstDelayMs: 100, maxDelayMs: 500 },
    );
    const restarts = state.restartCount > 0 ? say('restarts', { count: state.restartCount }) : '';
    const observed = state.running
      ? say('observedRunning', { uptime: uptime(state).toFixed(1), restarts })
      : say('observed', { status: state.status, exitCode: state.exitCode, restarts, oom: state.oomKilled ? say('oom') : '', logs: describeLog(await container.logs(), ctx.lang) });
    return { passed: good(state), expected, observed: observed.trim() };
  },
});
