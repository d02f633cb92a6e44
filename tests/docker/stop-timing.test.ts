import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { EngineContainer } from '../../grader/src/engine/index.js';
import { EngineSession } from '../../grader/src/grading/session.js';
import { runtime } from '../helpers/engine.js';

/**
 * `docker stop` timed as `container-stops` judges it (lab-10's stops-fast): from the stop signal to the
 * app's exit on the engine's clock, not until the API call returns (the engine's teardown after the exit,
 * which a busy CI machine stretches to seconds, once made a correct lab-10 reference lose its points).
 * Three apps whose true stop times are known: one that exits at the signal, one that takes 1.5 s to
 * shut down, one that ignores the signal and is killed at the timeout.
 */
const TOKEN = `dlstop${randomBytes(4).toString('hex')}`;
const made: string[] = [];
const session = new EngineSession({ runtime, labels: { 'dlstop.token': TOKEN }, signal: new AbortController().signal, ensureImages: async () => undefined });

async function started(name: string, script: string): Promise<EngineContainer> {
  const container = await runtime.docker.createContainer({
    name: `${TOKEN}-${name}`,
    Image: 'busybox:1.36',
    Cmd: ['sh', '-c', script],
    Labels: { 'dlstop.token': TOKEN },
    // A published port: its teardown is part of what `docker stop` waits for, as for a lab's app.
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  made.push(container.id);
  await container.start();
  // The trap is set once the shell printed; polled, not slept.
  for (let i = 0; i < 100; i++) {
    const logs = (await container.logs({ stdout: true, stderr: true })).toString();
    if (logs.includes('ready')) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return new EngineContainer(runtime, `${TOKEN}-${name}`, container.id);
}

afterAll(async () => {
  for (const id of made) await runtime.docker.getContainer(id).remove({ force: true }).catch(() => undefined);
});

describe('stop-container times the app, on the engine\'s clock', () => {
  it('an app that exits at SIGTERM: measured by the engine\'s events, well under a second, never more than docker stop took', async () => {
    const stop = await session.stopContainer(await started('fast', 'trap "exit 0" TERM; echo ready; while :; do sleep 0.05; done'), 6);
    expect({ measuredBy: stop.measuredBy, exitCode: stop.exitCode, killed: stop.killed }).toEqual({ measuredBy: 'engine-events', exitCode: 0, killed: false });
    expect(stop.durationMs).toBeLessThan(1000);
    expect(stop.durationMs).toBeLessThanOrEqual(stop.returnedMs);
  }, 60_000);

  it('an app that takes 1.5 s to shut down: about 1.5 s, not 0', async () => {
    const stop = await session.stopContainer(await started('slow', 'trap "sleep 1.5; exit 0" TERM; echo ready; while :; do sleep 0.05; done'), 6);
    expect({ measuredBy: stop.measuredBy, exitCode: stop.exitCode, killed: stop.killed }).toEqual({ measuredBy: 'engine-events', exitCode: 0, killed: false });
    expect(stop.durationMs).toBeGreaterThanOrEqual(1400);
    expect(stop.durationMs).toBeLessThanOrEqual(stop.returnedMs);
  }, 60_000);

  it('an app that ignores SIGTERM: killed at the timeout, timed from the first signal (not the SIGKILL)', async () => {
    // PID 1 with no handler: the kernel drops SIGTERM, the engine sends SIGKILL after 2 s.
    const stop = await session.stopContainer(await started('deaf', 'echo ready; while :; do sleep 0.05; done'), 2);
    expect({ measuredBy: stop.measuredBy, exitCode: stop.exitCode, killed: stop.killed }).toEqual({ measuredBy: 'engine-events', exitCode: 137, killed: true });
    expect(stop.durationMs).toBeGreaterThanOrEqual(1900);
  }, 60_000);
});
