import { Type } from '@sinclair/typebox';
import type { ContainerState } from '../engine/index.js';
import { pollUntil } from '../lib/poll.js';
import { ContainerName, containerNeeds, finalStageLine, isObservation, notRunning, targetContainer, truncate } from './common.js';
import { defineCheck } from './types.js';

// What shells and the engine print when a command does not exist: `/bin/sh: 1: curl: not found`,
// `bash: curl: command not found`, `exec: "curl": executable file not found in $PATH`.
const NOT_FOUND_LINE = /(?:^|: )(?:command )?not found$|executable file not found/;

/**
 * A probe that could not run its command: exit 126/127, or a failure whose every
 * output line says a command was not found (`curl -f … || exit 1` in an image
 * without curl exits 1). A probe that also printed something else (`curl … || wget
 * …` where wget ran and was refused while the app starts) is not counted.
 */
export function cannotRun(probe: { exitCode: number; output: string }): boolean {
  if (probe.exitCode === 126 || probe.exitCode === 127) return true;
  if (probe.exitCode === 0) return false;
  const lines = probe.output.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length > 0 && lines.every((l) => NOT_FOUND_LINE.test(l));
}

/** Long enough for Docker to reach the status with this healthcheck (first probe after one interval; `retries` failures for unhealthy), capped. */
export function healthWindowSeconds(health: NonNullable<ContainerState['healthcheck']>, status: 'healthy' | 'unhealthy'): number {
  const probes = status === 'healthy' ? 2 : health.retries + 1;
  return Math.min(180, health.startPeriodSeconds + probes * health.intervalSeconds + health.timeoutSeconds + 5);
}

export const containerHealth = defineCheck({
  kind: 'container-health',
  description: "A container's HEALTHCHECK reaches a status (`healthy`, or `unhealthy` after an action broke it); polled for `withinSeconds`, by default as long as that healthcheck's interval, retries and start period need (at most 180 s).",
  example: { status: 'healthy' },
  params: Type.Object({
    container: ContainerName,
    status: Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy')]),
    withinSeconds: Type.Optional(Type.Number({ minimum: 1, maximum: 300 })),
  }),
  needs: containerNeeds,
  messages: {
    en: {
      title: 'The container{named} becomes {status}',
      expected: 'health status "{status}" within {seconds} s',
      noHealthcheck: 'the container has no HEALTHCHECK (docker inspect shows no Health)',
      observed: 'health status "{health}" after {seconds} s{probes}',
      probes: '; last probes: {list}',
      probe: 'exit {code}{output}',
    },
    fr: {
      title: 'Le conteneur{named} devient {status}',
      expected: 'état de santé « {status} » en {seconds} s au plus',
      noHealthcheck: "le conteneur n'a pas de HEALTHCHECK (docker inspect ne montre aucun Health)",
      observed: 'état de santé « {health} » après {seconds} s{probes}',
      probes: ' ; dernières sondes : {list}',
      probe: 'code {code}{output}',
    },
  },
  async evaluate(check, ctx, say) {
    const container = await targetContainer(check, ctx, say('expected', { status: check.status, seconds: check.withinSeconds ?? '?' }));
    if (isObservation(container)) return container;
    const first = await container.state();
    if (!first.healthcheck || first.health === null) {
      const location = finalStageLine(ctx, 'FROM');
      return { passed: false, expected: say('expected', { status: check.status, seconds: check.withinSeconds ?? '-' }), observed: say('noHealthcheck'), ...(location ? { location } : {}) };
    }
    const seconds = check.withinSeconds ?? healthWindowSeconds(first.healthcheck, check.status);
    const expected = say('expected', { status: check.status, seconds });
    const started = Date.now();
    // Two probes in a row that could not even run their command (curl missing, a typo) will not pass later.
    const probeCannotRun = (s: ContainerState) => check.status === 'healthy' && s.health !== 'healthy' && s.healthLog.length >= 2 && s.healthLog.slice(-2).every(cannotRun);
    const { value: state } = await pollUntil(() => container.state(), (s) => s.health === check.status || !s.running || probeCannotRun(s), seconds * 1000, { firstDelayMs: 250, maxDelayMs: 1000, signal: ctx.signal });
    if (state.health !== check.status && !state.running) {
      const stopped = await notRunning(container, ctx.lang);
      if (stopped) return { passed: false, expected, observed: stopped };
    }
    const probes = state.healthLog.slice(-3).map((p) => say('probe', { code: p.exitCode, output: p.output.trim() ? `: ${truncate(p.output.replace(/\s+/g, ' '), 120)}` : '' }));
    const observed = say('observed', { health: state.health ?? '-', seconds: ((Date.now() - started) / 1000).toFixed(0), probes: probes.length ? say('probes', { list: probes.join(' | ') }) : '' });
    const location = state.health !== check.status ? finalStageLine(ctx, 'HEALTHCHECK') : null;
    return { passed: state.health === check.status, expected, observed, ...(location ? { location } : {}) };
  },
});

export const containerStops = defineCheck({
  kind: 'container-stops',
  description: 'After the grader\'s `stop-container` action: `docker stop` ended the container within `maxSeconds`, with exit code `exitCode` (the app received SIGTERM and exited by itself, instead of being killed when the timeout ran out).',
  example: { maxSeconds: 3, exitCode: 0 },
  params: Type.Object({ maxSeconds: Type.Number({ minimum: 0.1, maximum: 60 }), exitCode: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, default: 0 })) }),
  needs: ['stop'],
  messages: {
    en: {
      title: 'docker stop ends the container within {maxSeconds} s with exit code {exitCode}',
      expected: 'stopped within {maxSeconds} s, exit code {exitCode}',
      observed: 'stopped after {seconds} s with exit code {code}',
      killed: 'stopped after {seconds} s with exit code {code}: the engine had to kill it with SIGKILL once the {timeout} s were up, because {signal} did not end it (is PID 1 a shell that does not pass the signal on, or an app without a handler?)',
    },
    fr: {
      title: 'docker stop arrête le conteneur en {maxSeconds} s au plus, avec le code {exitCode}',
      expected: 'arrêté en {maxSeconds} s au plus, code de sortie {exitCode}',
      observed: 'arrêté après {seconds} s avec le code de sortie {code}',
      killed: "arrêté après {seconds} s avec le code de sortie {code} : le moteur a dû le tuer (SIGKILL) au bout des {timeout} s, car {signal} ne l'a pas arrêté (le PID 1 est-il un shell qui ne transmet pas le signal, ou une application sans gestionnaire ?)",
    },
  },
  titleData: (check) => ({ exitCode: check.exitCode ?? 0 }),
  async evaluate(check, ctx, say) {
    const stop = ctx.stop!;
    const exitCode = check.exitCode ?? 0;
    const expected = say('expected', { maxSeconds: check.maxSeconds, exitCode });
    const seconds = (stop.durationMs / 1000).toFixed(1);
    const passed = stop.durationMs <= check.maxSeconds * 1000 && stop.exitCode === exitCode;
    const observed = stop.killed ? say('killed', { seconds, code: stop.exitCode, timeout: stop.timeoutSeconds, signal: stop.stopSignal }) : say('observed', { seconds, code: stop.exitCode });
    const location = passed ? null : (finalStageLine(ctx, 'ENTRYPOINT') ?? finalStageLine(ctx, 'CMD'));
    return { passed, expected, observed, ...(location ? { location } : {}) };
  },
});
