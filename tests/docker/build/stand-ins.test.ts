import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { BaseImages, standInCatalog } from '../../../grader/src/build/base-images.js';
import { labelled, NOTHING_LABELLED, runtime } from '../../helpers/engine.js';

/**
 * The base images, used the way the official images' users use them, driven by
 * testcontainers — a harness independent of the grader's own engine layer. On a
 * machine with a registry these are the real images; offline, the stand-ins.
 */
const LABELS = { dockerlab: '1', 'dockerlab.run': 'stand-in-tests' };
const started: StartedTestContainer[] = [];
const container = (image: string) => new GenericContainer(image).withLabels(LABELS).withResourcesQuota({ memory: 0.5, cpu: 1 });
const keep = (c: StartedTestContainer) => (started.push(c), c);

beforeAll(async () => {
  await new BaseImages(runtime).ensure(standInCatalog().map((s) => s.image));
});

afterAll(async () => {
  await Promise.all(started.map((c) => c.stop({ remove: true, removeVolumes: true }).catch(() => undefined)));
  expect(await labelled()).toEqual(NOTHING_LABELLED);
});

async function body(c: StartedTestContainer, port: number, path = '/'): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://${c.getHost()}:${c.getMappedPort(port)}${path}`);
  return { status: res.status, text: await res.text() };
}

it('nginx:1.27 serves its welcome page on 80, logs requests to stdout, passes nginx -t', async () => {
  const nginx = keep(await container('nginx:1.27').withExposedPorts(80).withWaitStrategy(Wait.forHttp('/', 80)).start());
  const page = await body(nginx, 80);
  expect(page.status).toBe(200);
  expect(page.text).toContain('Welcome to nginx!');
  expect((await nginx.exec(['nginx', '-t'])).exitCode).toBe(0);
  const logs = await new Promise<string>((resolve) => {
    let text = '';
    void nginx.logs().then((stream) => {
      stream.on('data', (d: Buffer | string) => { text += d.toString(); if (/"GET \/ HTTP\/1\.1" 200/.test(text)) resolve(text); });
    });
  });
  expect(logs).toMatch(/"GET \/ HTTP\/1\.1" 200/);
});

it('python:3.11-slim runs python 3.11 with python and pip on PATH', async () => {
  const py = keep(await container('python:3.11-slim').withCommand(['sleep', 'infinity']).start());
  const version = await py.exec(['python', '--version']);
  expect(version.output).toMatch(/^Python 3\.11\./);
  expect((await py.exec(['pip', '--version'])).exitCode).toBe(0);
  expect((await py.exec(['python', '-c', 'import http.server, json'])).exitCode).toBe(0);
});

it('gcc:12 compiles and runs C++', async () => {
  const gcc = keep(await container('gcc:12').withCommand(['sleep', 'infinity']).start());
  const built = await gcc.exec(['bash', '-c', 'printf "#include <iostream>\\nint main(){std::cout<<\\"Hello, Docker!\\";}" > /tmp/m.cpp && g++ -O2 -o /tmp/m /tmp/m.cpp && /tmp/m']);
  expect(built.output).toContain('Hello, Docker!');
});

it('busybox:1.36 has the usual applets', async () => {
  const box = keep(await container('busybox:1.36').withCommand(['sleep', '3600']).start());
  expect((await box.exec(['sh', '-c', 'echo hi && wget --help 2>&1 | head -n1'])).output).toContain('hi');
});

describe('on a user network', () => {
  let network: StartedNetwork;
  const onNetwork: StartedTestContainer[] = [];
  beforeAll(async () => {
    network = await new Network().start();
  });
  afterAll(async () => {
    await Promise.all(onNetwork.map((c) => c.stop({ remove: true })));
    await network.stop();
  });

  it('redis:7 answers PING from another container by name', async () => {
    onNetwork.push(await container('redis:7').withNetwork(network).withNetworkAliases('cache').withExposedPorts(6379).withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/)).start());
    const client = await container('redis:7').withNetwork(network).withCommand(['sleep', 'infinity']).start();
    onNetwork.push(client);
    expect((await client.exec(['redis-cli', '-h', 'cache', 'ping'])).output.trim()).toBe('PONG');
  });
});

it('registry:2 serves the v2 API on 5000', async () => {
  const registry = keep(await container('registry:2').withExposedPorts(5000).withWaitStrategy(Wait.forHttp('/v2/', 5000)).start());
  const answer = await body(registry, 5000, '/v2/');
  expect(answer.status).toBe(200);
});
