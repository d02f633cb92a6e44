import { containerNoHostPorts } from '../../../grader/src/checks/container-no-host-ports.js';
import { dnsResolves, httpFromContainer } from '../../../grader/src/checks/inside-container.js';
import { namedVolumeMount } from '../../../grader/src/checks/named-volume-mount.js';
import { containerNetwork, networkExists } from '../../../grader/src/checks/network.js';
import { insideAnswerOf, resolutionOf } from '../../../grader/src/grading/session.js';
import { EXITED, RUNNING, testCheckKind } from '../../helpers/check-tester.js';

const on = (...networks: string[]) => ({ state: { ...RUNNING, networks } });

testCheckKind(networkExists as never, {
  passing: [
    { name: 'a user-defined bridge', check: { network: 'reseau-app', driver: 'bridge' }, world: { networks: { 'reseau-app': { containers: ['api', 'client'] } } }, observed: 'network reseau-app: driver bridge; containers attached now: api, client' },
    { name: 'any driver when none is asked', check: { network: 'reseau-app' }, world: { networks: { 'reseau-app': { driver: 'macvlan' } } } },
  ],
  failing: [
    { name: 'absent', check: { network: 'reseau-app' }, world: { networks: { reseau_app: {} } }, observed: 'no network named reseau-app' },
    { name: 'another driver', check: { network: 'reseau-app', driver: 'bridge' }, world: { networks: { 'reseau-app': { driver: 'ipvlan', internal: true } } }, observed: 'driver ipvlan, internal (no way out)' },
    { name: 'in French', lang: 'fr', check: { network: 'reseau-app' }, world: {}, observed: 'aucun réseau nommé reseau-app' },
  ],
  invalid: [
    { name: 'a predefined network', check: { network: 'bridge' }, problem: 'predefined on every engine' },
    { name: 'a name Docker refuses', check: { network: '-x' }, problem: 'pattern' },
  ],
});

testCheckKind(containerNetwork as never, {
  passing: [
    { name: 'attached', check: { container: 'api', network: 'reseau-app' }, world: { named: { api: on('bridge', 'reseau-app') } }, observed: 'networks: bridge, reseau-app' },
    { name: 'not attached, as asked', check: { container: 'isole', network: 'reseau-app', attached: false }, world: { named: { isole: on('bridge') } } },
    { name: 'a stopped container keeps its networks', check: { container: 'client', network: 'reseau-app' }, world: { named: { client: { state: { ...EXITED(0), networks: ['reseau-app'] } } } } },
  ],
  failing: [
    { name: 'on the default bridge only', check: { container: 'client', network: 'reseau-app' }, world: { named: { client: on('bridge') } }, observed: 'networks: bridge', expected: 'attached to reseau-app' },
    { name: 'attached although it must not be', check: { container: 'isole', network: 'reseau-app', attached: false }, world: { named: { isole: on('bridge', 'reseau-app') } }, expected: 'not attached to reseau-app' },
    { name: '--network none', check: { container: 'isole', network: 'bridge' }, world: { named: { isole: { state: { ...RUNNING, networks: ['none'], networkMode: 'none' } } } }, observed: 'network mode "none": none' },
    { name: 'no such container', check: { container: 'client', network: 'reseau-app' }, world: {}, observed: 'no container named "client" exists' },
    { name: 'in French', lang: 'fr', check: { container: 'client', network: 'reseau-app' }, world: { named: { client: on() } }, observed: 'réseaux : (aucun)' },
  ],
});

testCheckKind(containerNoHostPorts as never, {
  passing: [
    { name: 'exposed, not published', check: { container: 'app' }, world: { named: { app: { state: { ...RUNNING, ports: { '8000/tcp': [] } } } } }, observed: 'no published port; exposed only: 8000/tcp' },
    { name: 'nothing at all', check: { container: 'cache' }, world: { named: { cache: { state: RUNNING } } }, observed: 'no published port' },
  ],
  failing: [
    { name: 'ports: ["8000:8000"]', check: { container: 'app' }, world: { named: { app: { state: { ...RUNNING, ports: { '8000/tcp': [{ hostIp: '0.0.0.0', hostPort: 8000 }, { hostIp: '::', hostPort: 8000 }] } } } } }, observed: 'published: 0.0.0.0:8000 → 8000/tcp, :::8000 → 8000/tcp' },
    { name: '-P on another container port', check: { container: 'api' }, world: { named: { api: { state: { ...RUNNING, ports: { '80/tcp': [{ hostIp: '0.0.0.0', hostPort: 49153 }] } } } } }, observed: '49153' },
    { name: 'in French', lang: 'fr', check: { container: 'cache' }, world: { named: { cache: { state: { ...RUNNING, ports: { '6379/tcp': [{ hostIp: '0.0.0.0', hostPort: 6379 }] } } } } }, observed: 'ports publiés : 0.0.0.0:6379' },
  ],
});

const mounted = (mount: { type: string; name?: string; source: string; destination: string; rw: boolean }) => ({ state: { ...RUNNING, mounts: [mount] } });
const composeVolume = { labels: { 'com.docker.compose.project': 'dlx', 'com.docker.compose.volume': 'donnees-redis' } };

testCheckKind(namedVolumeMount as never, {
  passing: [
    {
      name: 'a compose volume, named as in the file',
      check: { container: 'cache', destination: '/data', volume: 'donnees-redis' },
      world: { named: { cache: mounted({ type: 'volume', name: 'dlx_donnees-redis', source: '/var/lib/docker/volumes/dlx_donnees-redis/_data', destination: '/data', rw: true }) }, volumes: { 'dlx_donnees-redis': composeVolume } },
      observed: 'volume "donnees-redis" (on the engine: dlx_donnees-redis) at /data (read-write)',
    },
    { name: 'any named volume', check: { container: 'cache', destination: '/data/' }, world: { named: { cache: mounted({ type: 'volume', name: 'stockage', source: '/v', destination: '/data', rw: true }) }, volumes: { stockage: {} } } },
    { name: 'named as the engine names it', check: { container: 'cache', destination: '/data', volume: 'dlx_donnees-redis' }, world: { named: { cache: mounted({ type: 'volume', name: 'dlx_donnees-redis', source: '/v', destination: '/data', rw: true }) }, volumes: { 'dlx_donnees-redis': composeVolume } } },
  ],
  failing: [
    { name: 'a bind mount', check: { container: 'cache', destination: '/data' }, world: { named: { cache: mounted({ type: 'bind', source: '/work/submission/donnees-redis', destination: '/data', rw: true }) } }, observed: 'a bind mount of the host folder /work/submission/donnees-redis at /data, not a volume' },
    { name: "the image's anonymous volume", check: { container: 'cache', destination: '/data' }, world: { named: { cache: mounted({ type: 'volume', name: 'a'.repeat(64), source: '/v', destination: '/data', rw: true }) } }, observed: 'an anonymous volume (aaaaaaaaaaaa…) at /data' },
    { name: 'nothing at /data', check: { container: 'cache', destination: '/data' }, world: { named: { cache: mounted({ type: 'volume', name: 'x', source: '/v', destination: '/var/lib/redis', rw: true }) } }, observed: 'nothing is mounted at /data' },
    { name: 'a tmpfs', check: { container: 'cache', destination: '/data' }, world: { named: { cache: mounted({ type: 'tmpfs', source: '', destination: '/data', rw: true }) } }, observed: 'a tmpfs mount at /data' },
    { name: 'another volume than the one asked', check: { container: 'cache', destination: '/data', volume: 'donnees-redis' }, world: { named: { cache: mounted({ type: 'volume', name: 'dlx_autre', source: '/v', destination: '/data', rw: true }) }, volumes: { dlx_autre: { labels: { 'com.docker.compose.project': 'dlx', 'com.docker.compose.volume': 'autre' } } } }, observed: 'volume "autre"' },
    { name: 'in French', lang: 'fr', check: { container: 'cache', destination: '/data' }, world: { named: { cache: mounted({ type: 'bind', source: '/h', destination: '/data', rw: true }) } }, observed: "un montage lié du dossier de l'hôte /h" },
  ],
});

testCheckKind(dnsResolves as never, {
  passing: [
    { name: 'resolves through the embedded DNS', check: { container: 'client', name: 'api' }, world: { named: { client: on('reseau-app') }, resolve: { client: { api: { outcome: 'resolved', addresses: ['172.18.0.2'], source: 'dns' } } } }, observed: '"api" resolves to 172.18.0.2 (from the container\'s DNS server)' },
    { name: 'does not resolve, as asked', check: { container: 'isole', name: 'api', resolves: false }, world: { named: { isole: on('bridge') } }, observed: "server can't find api: NXDOMAIN" },
  ],
  failing: [
    { name: 'resolves through /etc/hosts (--link)', check: { container: 'isole', name: 'api', resolves: false }, world: { named: { isole: on('bridge') }, resolve: { isole: { api: { outcome: 'resolved', addresses: ['172.17.0.2'], source: 'hosts' } } } }, observed: 'from /etc/hosts: --link or --add-host put it there' },
    { name: 'does not resolve on the default bridge', check: { container: 'client', name: 'api' }, world: { named: { client: on('bridge') } }, observed: '"api" does not resolve' },
    { name: 'the container is not running', check: { container: 'isole', name: 'api', resolves: false }, world: { named: { isole: { state: EXITED(0), logs: 'bye' } } }, observed: /not running \(state "exited"\)[\s\S]*bye/ },
    { name: 'in French', lang: 'fr', check: { container: 'client', name: 'api' }, world: { named: { client: on('bridge') } }, observed: '« api » ne se résout pas' },
  ],
});

testCheckKind(httpFromContainer as never, {
  passing: [
    { name: 'api answers 200', check: { container: 'client', url: 'http://api/' }, world: { named: { client: on('reseau-app') }, insideHttp: { client: { 'http://api/': { outcome: 'answered', status: 200, body: 'Welcome to nginx!', headers: {} } } } }, observed: 'HTTP 200, body: Welcome to nginx!' },
    { name: 'after a moment (api still starting)', check: { container: 'client', url: 'http://api/', expect: { bodyContains: 'ok' }, withinSeconds: 5 }, world: { named: { client: on('reseau-app') }, insideHttp: { client: { 'http://api/': [{ outcome: 'no-connection', failure: 'refused', detail: 'Connection refused' }, { outcome: 'answered', status: 200, body: 'api ok', headers: {} }] } } } },
  ],
  failing: [
    { name: 'the name does not resolve', check: { container: 'client', url: 'http://api/', withinSeconds: 0 }, world: { named: { client: on('bridge') } }, observed: "the host name of http://api/ does not resolve from inside the container (bad address 'api')" },
    { name: 'nothing listens', check: { container: 'client', url: 'http://api/', withinSeconds: 0 }, world: { named: { client: on('reseau-app') }, insideHttp: { client: { 'http://api/': { outcome: 'no-connection', failure: 'refused', detail: "can't connect to remote host (172.18.0.2): Connection refused" } } } }, observed: 'connection refused by http://api/: the name resolves, but nothing listens on that port' },
    { name: 'api listens on another port: said, without waiting out the window', check: { container: 'client', url: 'http://api/', withinSeconds: 30 }, world: { named: { client: on('reseau-app'), api: { ...on('reseau-app'), sockets: [{ address: '0.0.0.0', port: 8000, loopbackOnly: false }, { address: '127.0.0.11', port: 35535, loopbackOnly: true }] } }, insideHttp: { client: { 'http://api/': { outcome: 'no-connection', failure: 'refused', detail: 'Connection refused' } } } }, observed: 'connection refused by http://api/: in the container "api", nothing listens on port 80 in the container; it listens on 0.0.0.0:8000' },
    { name: 'api listens on 127.0.0.1 only (port in the URL)', check: { container: 'client', url: 'http://api:5000/health', withinSeconds: 30 }, world: { named: { client: on('reseau-app'), api: { ...on('reseau-app'), sockets: [{ address: '127.0.0.1', port: 5000, loopbackOnly: true }] } }, insideHttp: { client: { 'http://api:5000/health': { outcome: 'no-connection', failure: 'refused', detail: 'Connection refused' } } } }, observed: /in the container "api", the app listens on 127\.0\.0\.1:5000 only/ },
    { name: 'api listens on nothing yet: the window is waited out, then the plain verdict', check: { container: 'client', url: 'http://api/', withinSeconds: 1 }, world: { named: { client: on('reseau-app'), api: { ...on('reseau-app'), sockets: [] } }, insideHttp: { client: { 'http://api/': { outcome: 'no-connection', failure: 'refused', detail: 'Connection refused' } } } }, observed: 'connection refused by http://api/: the name resolves, but nothing listens on that port' },
    { name: 'another status', check: { container: 'client', url: 'http://api/', withinSeconds: 0 }, world: { named: { client: on('reseau-app') }, insideHttp: { client: { 'http://api/': { outcome: 'answered', status: 404, body: '', headers: {} } } } }, observed: 'HTTP 404, body: ∅' },
    { name: 'the client is not running', check: { container: 'client', url: 'http://api/' }, world: { named: { client: { state: EXITED(0) } } }, observed: 'the container is not running (state "exited")' },
    { name: 'a timeout', check: { container: 'client', url: 'http://api/', withinSeconds: 0 }, world: { named: { client: on('reseau-app') }, insideHttp: { client: { 'http://api/': { outcome: 'no-connection', failure: 'timeout', detail: 'Terminated' } } } }, observed: 'no answer from http://api/ in time' },
    { name: 'in French', lang: 'fr', check: { container: 'client', url: 'http://api/', withinSeconds: 0 }, world: { named: { client: on('bridge') } }, observed: "le nom d'hôte de http://api/ ne se résout pas" },
  ],
  invalid: [{ name: 'not an http URL', check: { container: 'client', url: 'https://api/' }, problem: 'pattern' }],
});

describe('a probe that cannot run is an engine error, not a failure', () => {
  it('throws so that the check is reported as error', async () => {
    const { fakeContext } = await import('../../helpers/check-tester.js');
    const ctx = { ...fakeContext({ named: { client: on('reseau-app') } }), resolveFrom: async () => ({ outcome: 'probe-failed' as const, detail: 'no such image busybox:1.36' }) };
    await expect(dnsResolves.evaluate({ id: 'x', kind: 'dns-resolves', points: 1, container: 'client', name: 'api' } as never, ctx, ((id: string) => id) as never)).rejects.toThrow(/probe container could not observe.*no such image/);
  });
});

describe("reading the probe's output", () => {
  it('nslookup found the name (busybox 1.35 and 1.37 formats)', () => {
    const output = 'Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\nName:\tapi\nAddress: 192.168.0.2\n\nNon-authoritative answer:\n\n@@rc=0\n';
    expect(resolutionOf(output, 0)).toEqual({ outcome: 'resolved', addresses: ['192.168.0.2'], source: 'dns' });
    expect(resolutionOf('Server:    127.0.0.11\nAddress 1: 127.0.0.11\n\nName:      api\nAddress 1: 172.18.0.2 api.reseau-app\n@@rc=0', 0).outcome).toBe('resolved');
  });
  it('/etc/hosts wins, as in the C library', () => {
    expect(resolutionOf('@@hosts 172.17.0.2\n@@hosts 172.17.0.2\n** server can\'t find api: NXDOMAIN\n@@rc=1', 0)).toEqual({ outcome: 'resolved', addresses: ['172.17.0.2'], source: 'hosts' });
  });
  it('NXDOMAIN, no DNS server, no nslookup', () => {
    expect(resolutionOf("Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\n** server can't find nope: NXDOMAIN\n\n@@rc=1", 0)).toEqual({ outcome: 'not-found', detail: "server can't find nope: NXDOMAIN" });
    expect(resolutionOf(';; connection timed out; no servers could be reached\n@@rc=1', 0)).toEqual({ outcome: 'not-found', detail: 'no DNS server answered' });
    expect(resolutionOf('sh: nslookup: not found\n@@rc=127', 0).outcome).toBe('probe-failed');
  });
  it('wget answered (with the headers of the last answer)', () => {
    const output = '@@rc=0\n  HTTP/1.1 200 OK\n  Server: nginx/1.22.1\n  Docker-Content-Digest: sha256:abc\n  Content-Type: text/html\n\n@@body\n<h1>Welcome to nginx!</h1>';
    expect(insideAnswerOf(output)).toEqual({ outcome: 'answered', status: 200, body: '<h1>Welcome to nginx!</h1>', headers: { server: 'nginx/1.22.1', 'docker-content-digest': 'sha256:abc', 'content-type': 'text/html' } });
    expect(insideAnswerOf('@@rc=1\n  HTTP/1.1 404 Not Found\nwget: server returned error: HTTP/1.1 404 Not Found\n@@body\n')).toMatchObject({ outcome: 'answered', status: 404, body: '' });
  });
  it('wget could not get an answer', () => {
    expect(insideAnswerOf("@@rc=1\nwget: bad address 'api'\n@@body\n")).toEqual({ outcome: 'name-not-found', detail: "bad address 'api'" });
    expect(insideAnswerOf('@@rc=1\nConnecting to api (192.168.0.2:80)\nwget: can\'t connect to remote host (192.168.0.2): Connection refused\n@@body\n')).toMatchObject({ outcome: 'no-connection', failure: 'refused' });
    expect(insideAnswerOf('@@rc=143\nTerminated\n@@body\n')).toMatchObject({ outcome: 'no-connection', failure: 'timeout' });
    expect(insideAnswerOf('@@rc=127\nsh: wget: not found\n@@body\n').outcome).toBe('probe-failed');
  });
});

describe('http-from-container gives up early on a refusing peer', () => {
  it('answers within a few seconds of a 30 s window when api listens on another port', async () => {
    const { fakeContext } = await import('../../helpers/check-tester.js');
    const ctx = fakeContext({ named: { client: on('reseau-app'), api: { ...on('reseau-app'), sockets: [{ address: '0.0.0.0', port: 8000, loopbackOnly: false }] } }, insideHttp: { client: { 'http://api/': { outcome: 'no-connection', failure: 'refused', detail: 'Connection refused' } } } } as never);
    const started = Date.now();
    const observation = await httpFromContainer.evaluate({ id: 'h', kind: 'http-from-container', points: 1, container: 'client', url: 'http://api/', withinSeconds: 30 } as never, ctx, ((id: string, data?: Record<string, unknown>) => `${id} ${JSON.stringify(data ?? {})}`) as never);
    expect(observation.passed).toBe(false);
    expect(observation.observed).toMatch(/^refusedBecause/);
    expect(Date.now() - started).toBeLessThan(6000);
  });
});
