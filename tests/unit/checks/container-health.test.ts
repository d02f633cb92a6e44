import { cannotRun, containerHealth, containerStops, healthWindowSeconds } from '../../../grader/src/checks/container-health.js';
import { EXITED, RUNNING, testCheckKind } from '../../helpers/check-tester.js';

const hc = { test: ['CMD-SHELL', 'curl -f http://localhost:8080/health'], intervalSeconds: 1, timeoutSeconds: 1, startPeriodSeconds: 0, retries: 2 };
const health = (status: string | null, log: { exitCode: number; output: string }[] = []) => ({ ...RUNNING, health: status, healthcheck: status === null ? null : hc, healthLog: log });

describe('the health window', () => {
  it('waits for the first probe after one interval (Docker\'s default interval is 30 s)', () => {
    expect(healthWindowSeconds({ ...hc, intervalSeconds: 30, timeoutSeconds: 30, retries: 3 }, 'healthy')).toBe(95);
  });
  it('waits for `retries` failures to turn unhealthy, capped', () => {
    expect(healthWindowSeconds({ ...hc, intervalSeconds: 5, retries: 3 }, 'unhealthy')).toBe(26);
    expect(healthWindowSeconds({ ...hc, intervalSeconds: 120, retries: 5 }, 'unhealthy')).toBe(180);
  });
});

testCheckKind(containerHealth as never, {
  passing: [
    { name: 'healthy at once', check: { status: 'healthy' }, world: { container: { state: health('healthy', [{ exitCode: 0, output: '' }]) } }, observed: 'health status "healthy"' },
    { name: 'starting, then healthy', check: { status: 'healthy', withinSeconds: 5 }, world: { container: { state: [health('starting'), health('healthy')] } } },
    { name: 'unhealthy after /break', check: { container: 'web', status: 'unhealthy', withinSeconds: 5 }, world: { named: { web: { state: [health('healthy'), health('unhealthy', [{ exitCode: 22, output: 'curl: (22) The requested URL returned error: 500' }])] } } } },
  ],
  failing: [
    { name: 'no HEALTHCHECK', check: { status: 'healthy' }, world: { container: { state: health(null) } }, observed: 'the container has no HEALTHCHECK' },
    { name: 'a probe that cannot run (curl missing)', check: { status: 'healthy', withinSeconds: 1 }, world: { container: { state: health('unhealthy', [{ exitCode: 127, output: '/bin/sh: 1: curl: not found' }]) } }, observed: /"unhealthy"[\s\S]*exit 127: \/bin\/sh: 1: curl: not found/ },
    { name: 'never unhealthy (curl without -f)', check: { status: 'unhealthy', withinSeconds: 1 }, world: { container: { state: health('healthy', [{ exitCode: 0, output: '{"error": "broken"}' }]) } }, observed: 'health status "healthy"' },
    { name: 'the container exited', check: { status: 'healthy', withinSeconds: 2 }, world: { container: { state: [health('starting'), { ...EXITED(1), health: 'unhealthy', healthcheck: hc }], logs: 'boom' } }, observed: /not running[\s\S]*boom/ },
    { name: 'in French', lang: 'fr', check: { status: 'healthy' }, world: { container: { state: health(null) } }, observed: "le conteneur n'a pas de HEALTHCHECK" },
  ],
});

testCheckKind(containerStops as never, {
  passing: [
    { name: 'SIGTERM handled', check: { maxSeconds: 3, exitCode: 0 }, world: { stop: { durationMs: 420, exitCode: 0, killed: false } }, observed: 'stopped after 0.4 s with exit code 0' },
    // The app's time from the signal to its exit is judged, not the engine's teardown after it (a busy machine).
    { name: 'SIGTERM handled, docker stop slow to return', check: { maxSeconds: 3, exitCode: 0 }, world: { stop: { durationMs: 150, returnedMs: 3200, exitCode: 0, killed: false } }, observed: 'stopped after 0.1 s with exit code 0' },
  ],
  failing: [
    { name: 'a shell swallowed SIGTERM: killed after the timeout', check: { maxSeconds: 3, exitCode: 0 }, world: { stop: { durationMs: 6100, exitCode: 137, killed: true, timeoutSeconds: 6 }, build: { dockerfileText: 'FROM python:3.11-slim\nCMD python app.py\n' } }, observed: 'the engine had to kill it with SIGKILL once the 6 s were up', location: { file: 'Dockerfile', line: 2 } },
    { name: 'stopped in time, but with an error code', check: { maxSeconds: 3, exitCode: 0 }, world: { stop: { durationMs: 200, exitCode: 1 } }, observed: 'exit code 1' },
    { name: 'in French', lang: 'fr', check: { maxSeconds: 3 }, world: { stop: { durationMs: 10_000, exitCode: 137, killed: true, timeoutSeconds: 10 } }, observed: 'le moteur a dû le tuer (SIGKILL) au bout des 10 s' },
  ],
});

describe('waiting for health', () => {
  it('stops at once when the probe cannot even run (exit 127), instead of waiting out the window', async () => {
    const { fakeContext } = await import('../../helpers/check-tester.js');
    const ctx = fakeContext({ container: { state: health('unhealthy', [{ exitCode: 127, output: 'curl: not found' }, { exitCode: 127, output: 'curl: not found' }]) } });
    const started = Date.now();
    const say = (id: string) => id;
    const observation = await containerHealth.evaluate({ id: 'h', kind: 'container-health', points: 1, status: 'healthy', withinSeconds: 60 } as never, ctx, say as never);
    expect(observation.passed).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('a probe that cannot run', () => {
  it.each([
    [127, '/bin/sh: 1: curl: not found'],
    [126, 'permission denied'],
    [1, '/bin/sh: 1: curl: not found'],
    [1, 'bash: line 1: curl: command not found\n'],
    [1, 'OCI runtime exec failed: exec failed: unable to start container process: exec: "curl": executable file not found in $PATH: unknown'],
    [2, 'sh: wget: not found\nsh: curl: not found'],
  ])('exit %i with %j: cannot run', (exitCode, output) => expect(cannotRun({ exitCode, output })).toBe(true));
  it.each([
    [0, '/bin/sh: 1: curl: not found'],
    [1, ''],
    [22, 'curl: (22) The requested URL returned error: 404 Not Found'],
    [1, 'sh: curl: not found\nwget: can\'t connect to remote host (127.0.0.1): Connection refused'],
    [1, 'cat: /tmp/ready: No such file or directory'],
    [1, 'Traceback (most recent call last):\nurllib.error.HTTPError: HTTP Error 404: Not Found'],
  ])('exit %i with %j: ran (and may pass later)', (exitCode, output) => expect(cannotRun({ exitCode, output })).toBe(false));

  it('stops early on two probes that found no curl (exit 1 through `|| exit 1`), even while still "starting"', async () => {
    const { fakeContext } = await import('../../helpers/check-tester.js');
    const probe = { exitCode: 1, output: '/bin/sh: 1: curl: not found' };
    const ctx = fakeContext({ container: { state: health('starting', [probe, probe]) } });
    const started = Date.now();
    const observation = await containerHealth.evaluate({ id: 'h', kind: 'container-health', points: 1, status: 'healthy', withinSeconds: 60 } as never, ctx, ((id: string) => id) as never);
    expect(observation.passed).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
  it('keeps waiting after a single such probe (the window is short here, to end the test)', async () => {
    const { fakeContext } = await import('../../helpers/check-tester.js');
    const ctx = fakeContext({ container: { state: health('starting', [{ exitCode: 1, output: 'sh: curl: not found' }]) } });
    const started = Date.now();
    await containerHealth.evaluate({ id: 'h', kind: 'container-health', points: 1, status: 'healthy', withinSeconds: 2 } as never, ctx, ((id: string) => id) as never);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
  });
});
