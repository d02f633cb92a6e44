import { Type } from '@sinclair/typebox';
import { pollUntil, sleep } from '../lib/poll.js';
import { ContainerName, containerNeeds, describeLog, isObservation, targetContainer } from './common.js';
import { defineCheck } from './types.js';

const Status = Type.Union([Type.Literal('running'), Type.Literal('exited'), Type.Literal('created'), Type.Literal('paused')]);

/** How long a container must be seen running before it counts as running. */
export const SETTLE_MS = 1000;
const SETTLED_BY_ENGINE_CLOCK_MS = 5000;

export const containerState = defineCheck({
  kind: 'container-state',
  description: 'A container exists and is in a state (running, exited…), optionally with an exit code; `running` also requires no restarts, being up for a second (a process that stops at once is not running) and, with `minUptimeSeconds`, that long up. When the state is not yet final, it is polled for up to `withinSeconds`.',
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
    // At least 0: a remote engine whose clock is ahead of ours reports a start in our future.
    const uptime = (s: { startedAt: string | null }) => (s.startedAt ? Math.max(0, (Date.now() - Date.parse(s.startedAt)) / 1000) : 0);
    // "Running" is a claim about a process that stays up: a server that refuses its configuration is
    // "running" for the few milliseconds it takes to read it, one that serves a single request for
    // as long as that takes. So it must have been up SETTLE_MS since its start: by the engine's own
    // clock when the grader could read it precisely (engine/clock.ts: the skew measured), so the
    // wait ends a second after the start rather than a second after the check began; else seen
    // running for SETTLE_MS by this clock (the same start, no restart), or started long enough ago by
    // the engine's clock that an unmeasured clock skew cannot make a fresh start look old.
    const seen = new Map<string, number>();
    const settled = (s: { startedAt: string | null; uptimeMs?: number | null }) => {
      if (typeof s.uptimeMs === 'number' && s.uptimeMs >= SETTLE_MS) return true;
      const key = s.startedAt ?? '';
      if (!seen.has(key)) seen.set(key, Date.now());
      return Date.now() - seen.get(key)! >= SETTLE_MS || uptime(s) * 1000 >= SETTLED_BY_ENGINE_CLOCK_MS;
    };
    const good = (s: Awaited<ReturnType<typeof container.state>>) =>
      s.status === check.status &&
      (check.exitCode === undefined || s.exitCode === check.exitCode) &&
      (check.status !== 'running' || (s.restartCount === 0 && settled(s) && uptime(s) >= (check.minUptimeSeconds ?? 0)));
    const waitMs = Math.max((check.withinSeconds ?? 0) * 1000, (check.minUptimeSeconds ?? 0) * 1000 + SETTLE_MS + 1000);
    let { value: state } = await pollUntil(
      () => container.state(),
      // Stopped for good (exited, created and never started, dead, not restarting): waiting longer changes nothing.
      (s) => good(s) || (!s.running && !s.restarting),
      waitMs,
      { firstDelayMs: 100, maxDelayMs: 500 },
    );
    // A busy engine (a container flooding its logs, a loaded CI machine) can take most of the window
    // to answer one inspect: a container seen running, with no restart, is then looked at again once
    // SETTLE_MS after it was first seen, so its verdict is the container's, not the engine's speed.
    for (let again = 0; again < 3 && check.status === 'running' && state.running && state.restartCount === 0 && !good(state) && seen.has(state.startedAt ?? ''); again++) {
      await sleep(Math.max(0, seen.get(state.startedAt ?? '')! + SETTLE_MS - Date.now()), ctx.signal);
      if (ctx.signal?.aborted) break;
      state = await container.state();
    }
    const restarts = state.restartCount > 0 ? say('restarts', { count: state.restartCount }) : '';
    const observed = state.running
      ? say('observedRunning', { uptime: uptime(state).toFixed(1), restarts })
      : say('observed', { status: state.status, exitCode: state.exitCode, restarts, oom: state.oomKilled ? say('oom') : '', logs: describeLog(await container.logs(), ctx.lang) });
    return { passed: good(state), expected, observed: observed.trim() };
  },
});
