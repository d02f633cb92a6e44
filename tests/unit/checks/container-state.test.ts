import { containerImage } from '../../../grader/src/checks/container-image.js';
import { containerPort } from '../../../grader/src/checks/container-port.js';
import { containerState, SETTLE_MS } from '../../../grader/src/checks/container-state.js';
import { sayFor } from '../../../grader/src/titles.js';
import { EXITED, fakeContext, JUST_STARTED, RUNNING, testCheckKind } from '../../helpers/check-tester.js';

const started = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000).toISOString();

testCheckKind(containerState as never, {
  passing: [
    { name: 'running', check: { container: 'mon-serveur', status: 'running' }, world: { named: { 'mon-serveur': { state: RUNNING } } }, observed: /running for \d+/ },
    { name: 'exited with code 0', check: { container: 'journal', status: 'exited', exitCode: 0 }, world: { named: { journal: { state: EXITED(0) } } } },
    { name: 'exited after a moment (polled)', check: { status: 'exited', exitCode: 0, withinSeconds: 5 }, world: { container: { state: [RUNNING, RUNNING, EXITED(0)] } } },
    { name: 'just started, still up a second later', check: { status: 'running' }, world: { container: { state: { ...RUNNING, startedAt: JUST_STARTED } } } },
    { name: 'just started, on an engine that takes 2.5 s to answer an inspect (the 2 s window is not the engine\'s speed)', check: { status: 'running' }, world: { container: { state: { ...RUNNING, startedAt: JUST_STARTED }, stateDelayMs: 2500 } } },
    { name: 'on an engine whose clock is 30 s ahead of the grader\'s', check: { status: 'running' }, world: { container: { state: { ...RUNNING, startedAt: started(-30) } } } },
    { name: 'up long enough', check: { status: 'running', minUptimeSeconds: 10 }, world: { container: { state: { ...RUNNING, startedAt: started(11) } } } },
  ],
  failing: [
    { name: 'exited instead of running, with logs', check: { status: 'running' }, world: { container: { state: EXITED(1), logs: 'Traceback (most recent call last)\nNameError: name x' } }, observed: /state "exited", exit code 1[\s\S]*NameError/ },
    { name: 'killed for lack of memory', check: { status: 'running' }, world: { container: { state: { ...EXITED(137), oomKilled: true } } }, observed: 'killed for lack of memory (OOM)' },
    { name: 'running for an instant, then stopped (nginx refusing its configuration)', check: { status: 'running', withinSeconds: 10 }, world: { container: { state: [{ ...RUNNING, startedAt: JUST_STARTED }, { ...RUNNING, startedAt: JUST_STARTED }, EXITED(1)], logs: 'nginx: [emerg] invalid parameter' } }, observed: /state "exited", exit code 1[\s\S]*emerg/ },
    { name: 'running for an instant, then stopped, on a slow engine', check: { status: 'running' }, world: { container: { state: [{ ...RUNNING, startedAt: JUST_STARTED }, EXITED(1)], stateDelayMs: 2500, logs: 'nginx: [emerg] invalid parameter' } }, observed: /state "exited", exit code 1/ },
    { name: 'restarted', check: { status: 'running' }, world: { container: { state: { ...RUNNING, restartCount: 3 } } }, observed: '3 restart(s)' },
    { name: 'running, but ancien must be stopped', check: { container: 'ancien', status: 'exited' }, world: { named: { ancien: { state: RUNNING } } }, observed: /running for/ },
    { name: 'exited with another code', check: { container: 'journal', status: 'exited', exitCode: 0 }, world: { named: { journal: { state: EXITED(127), logs: 'sh: ech: not found' } } }, observed: /exit code 127[\s\S]*ech: not found/ },
    { name: 'does not exist, in French', lang: 'fr', check: { container: 'ancien', status: 'exited' }, world: {}, observed: "aucun conteneur nommé « ancien » n'existe" },
    { name: 'created, never started', check: { container: 'ancien', status: 'exited' }, world: { named: { ancien: { state: { status: 'created', running: false, exitCode: 0 } } } }, observed: 'state "created"' },
  ],
});

testCheckKind(containerImage as never, {
  passing: [
    { name: 'by tag', check: { container: 'c', repository: 'nginx' }, world: { named: { c: { state: { image: 'nginx:1.27', imageTags: ['nginx:1.27'] } } } } },
    { name: 'by id, the tags tell', check: { container: 'c', repository: 'nginx' }, world: { named: { c: { state: { image: 'sha256:0123456789ab', imageTags: ['nginx:latest'] } } } } },
    { name: 'a full reference', check: { container: 'c', repository: 'nginx' }, world: { named: { c: { state: { image: 'docker.io/library/nginx:stable', imageTags: [] } } } } },
  ],
  failing: [
    { name: 'httpd instead', check: { container: 'c', repository: 'nginx' }, world: { named: { c: { state: { image: 'httpd:2.4', imageTags: ['httpd:2.4'] } } } }, observed: 'image "httpd:2.4"' },
    { name: 'an untagged id', check: { container: 'c', repository: 'nginx' }, world: { named: { c: { state: { image: '0123456789abcdef', imageTags: [] } } } }, observed: '(tags: -)' },
  ],
});

testCheckKind(containerPort as never, {
  passing: [
    { name: '-p 8080:80', check: { container: 'c', containerPort: 80, hostPort: 8080 }, world: { named: { c: { state: { ports: { '80/tcp': [{ hostIp: '0.0.0.0', hostPort: 8080 }, { hostIp: '::', hostPort: 8080 }] } } } } } },
    { name: 'not published, as asked', check: { container: 'api', containerPort: 80, published: false }, world: { named: { api: { state: { ports: { '80/tcp': [] } } } } } },
  ],
  failing: [
    { name: 'swapped -p 80:8080', check: { container: 'c', containerPort: 80, hostPort: 8080 }, world: { named: { c: { state: { ports: { '8080/tcp': [{ hostIp: '0.0.0.0', hostPort: 80 }], '80/tcp': [] } } } } }, observed: 'published: 0.0.0.0:80 → 8080/tcp' },
    { name: 'published when it must not be', check: { container: 'api', containerPort: 80, published: false }, world: { named: { api: { state: { ports: { '80/tcp': [{ hostIp: '0.0.0.0', hostPort: 32768 }] } } } } }, observed: '0.0.0.0:32768 → 80/tcp' },
    { name: 'nothing published, in French', lang: 'fr', check: { container: 'c', containerPort: 80, hostPort: 8080 }, world: { named: { c: { state: { ports: {} } } } }, observed: 'publications : aucune' },
  ],
  invalid: [
    { name: 'hostPort with published: false', check: { container: 'c', containerPort: 80, hostPort: 8080, published: false }, problem: 'hostPort makes no sense with published: false' },
    { name: 'no hostPort', check: { container: 'c', containerPort: 80 }, problem: 'hostPort is required unless published is false' },
  ],
});

describe('container-state running: the engine\'s measured clock saves the second of watching', () => {
  const evaluate = async (state: Record<string, unknown>) => {
    const ctx = fakeContext({ container: { state: state as never } });
    const started = Date.now();
    const observation = await containerState.evaluate({ id: 'up', kind: 'container-state', points: 1, status: 'running' } as never, ctx, sayFor(containerState.messages, 'en'));
    return { passed: observation.passed, ms: Date.now() - started };
  };

  it('a container up 1.5 s by the engine\'s clock passes at once', async () => {
    const r = await evaluate({ ...RUNNING, startedAt: new Date(Date.now() - 1500).toISOString(), uptimeMs: 1500 });
    expect(r.passed).toBe(true);
    expect(r.ms).toBeLessThan(500);
  });

  it('a container up 0.2 s by the engine\'s clock is still watched for a second (no trust without the time)', async () => {
    const r = await evaluate({ ...RUNNING, startedAt: new Date().toISOString(), uptimeMs: 200 });
    expect(r.passed).toBe(true);
    expect(r.ms).toBeGreaterThanOrEqual(SETTLE_MS - 50);
  });

  it('without the engine\'s clock (uptimeMs null) a fresh start is watched for a second, as before', async () => {
    const r = await evaluate({ ...RUNNING, startedAt: new Date().toISOString(), uptimeMs: null });
    expect(r.passed).toBe(true);
    expect(r.ms).toBeGreaterThanOrEqual(SETTLE_MS - 50);
  });
});
