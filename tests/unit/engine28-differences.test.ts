import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectBuilder, parseBuildOutput } from '../../grader/src/build/output.js';
import { describeBuild } from '../../grader/src/build/build.js';
import { parseDockerfile } from '../../grader/src/dockerfile/parse.js';
import net from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { buildCgroups } from '../../grader/src/build/build.js';
import { EngineImage } from '../../grader/src/engine/image.js';
import { createHostRuntime, engineLocationOf, engineSees, remoteHttp, type Runtime } from '../../grader/src/engine/runtime.js';

/**
 * What differs on Docker 28.5 with the containerd image store, and on an engine that
 * is not this machine's (scripts/engine28.sh's, reached through a socket), pinned with
 * fake data; tests/docker/engine28.test.ts grades the labs on the real one.
 */

async function tarOf(entries: { name: string; body: Buffer }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) pack.entry({ name: e.name, size: e.body.length }, e.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('where a remote engine is', () => {
  it('an engine behind a socket with DOCKERLAB_ENGINE_ADDRESS is remote: its ports at that address, its files only under the shared folders', () => {
    const at = engineLocationOf('unix:///run/dockerlab-engine28/docker.sock', { DOCKERLAB_ENGINE_ADDRESS: '172.17.0.2', DOCKERLAB_ENGINE_SHARES: '/tmp:relative:/srv/x' });
    expect(at).toEqual({ hostAddress: '172.17.0.2', remote: { shares: ['/tmp', '/srv/x'] } });
    expect(engineSees(at, '/tmp/dockerlab-lab-07-x/site')).toBe(true);
    expect(engineSees(at, '/tmpfoo/site')).toBe(false);
    expect(engineSees(at, '/home/me/lab-07')).toBe(false);
    expect(engineSees({}, '/home/me/lab-07')).toBe(true);
  });
  it('tcp:// is remote and sees nothing; the local socket and loopback addresses are this machine', () => {
    expect(engineLocationOf('tcp://10.1.2.3:2376', {})).toEqual({ hostAddress: '10.1.2.3', remote: { shares: [] } });
    expect(engineLocationOf(undefined, {})).toEqual({ hostAddress: '127.0.0.1' });
    expect(engineLocationOf('unix:///var/run/docker.sock', { DOCKERLAB_ENGINE_ADDRESS: '127.0.0.1' })).toEqual({ hostAddress: '127.0.0.1' });
    expect(engineLocationOf('tcp://localhost:2375', {})).toEqual({ hostAddress: '127.0.0.1' });
  });
  it('a remote runtime publishes the grader\'s ports on every address and says where its ports are', () => {
    const r = createHostRuntime({ dockerHost: 'unix:///run/e28.sock', env: { DOCKERLAB_ENGINE_ADDRESS: '172.17.0.9' } });
    expect(r.remote).toEqual({ shares: [] });
    expect(r.bindAddress).toBe('0.0.0.0');
    expect(r.description).toContain('172.17.0.9');
    expect(createHostRuntime({ env: {} }).remote).toBeUndefined();
  });
  it('a build on a remote engine applies no cgroup limit, and says why', async () => {
    const fake = { remote: { shares: [] }, description: 'the Docker engine at unix:///run/e28.sock', cliEnv: {}, docker: {} } as unknown as Runtime;
    expect(await buildCgroups(fake)).toEqual({ layout: null, reason: expect.stringContaining('not this machine\'s engine') });
  });
});

describe('a port published on the remote engine\'s loopback', () => {
  async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    return port;
  }
  it('is named, not reported as a bare refusal', async () => {
    const port = await closedPort();
    const docker = { listContainers: async () => [{ Id: 'x', Names: ['/dev'], Ports: [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: port, Type: 'tcp' }] }] };
    const answer = await remoteHttp(docker as never, '127.0.0.1', { port, path: '/' });
    expect(answer).toEqual({ ok: false, failure: 'other', error: expect.stringMatching(new RegExp(`"dev" publishes port ${port} on 127\\.0\\.0\\.1 of the engine's own machine only`)) });
  });
  it('a refusal with no loopback binding stays a refusal', async () => {
    const port = await closedPort();
    const docker = { listContainers: async () => [{ Id: 'x', Names: ['/dev'], Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: port, Type: 'tcp' }] }] };
    expect(await remoteHttp(docker as never, '127.0.0.1', { port, path: '/' })).toMatchObject({ ok: false, failure: 'refused' });
  });
});

describe('docker save on the containerd image store (an OCI layout)', () => {
  it('reads gzip layers by their uncompressed digest, the config from its blob, and skips zstd blobs', async () => {
    const base = await tarOf([{ name: 'etc/os-release', body: Buffer.from('sid') }]);
    const added = await tarOf([{ name: 'app/secrets.env', body: Buffer.from('K=V') }, { name: 'app/.wh.old', body: Buffer.alloc(0) }]);
    const config = Buffer.from(JSON.stringify({ rootfs: { diff_ids: [`sha256:${sha(base)}`, `sha256:${sha(added)}`] }, history: [{ created_by: 'ADD rootfs' }, { created_by: 'ENV A=1', empty_layer: true }, { created_by: 'COPY . . # buildkit' }] }));
    const gz = gzipSync(added);
    const zstd = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]);
    const save = await tarOf([
      { name: 'oci-layout', body: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
      { name: `blobs/sha256/${sha(config)}`, body: config },
      { name: `blobs/sha256/${sha(base)}`, body: base },
      { name: `blobs/sha256/${sha(gz)}`, body: gz },
      { name: `blobs/sha256/${sha(zstd)}`, body: zstd },
      { name: 'manifest.json', body: Buffer.from(JSON.stringify([{ Config: `blobs/sha256/${sha(config)}`, Layers: [] }])) },
    ]);
    const inspect = { Id: `sha256:${'a'.repeat(64)}`, Size: 1, RepoTags: ['t:1'], RootFS: { Layers: [`sha256:${sha(base)}`, `sha256:${sha(added)}`] }, Config: { Env: [], Labels: {}, ExposedPorts: {} } };
    const runtime = { docker: { getImage: () => ({ get: async () => Readable.from([save]), inspect: async () => inspect }) } } as unknown as Runtime;
    const image = new EngineImage(runtime, 't:1', {});
    const found = await image.findFiles((e) => e.type === 'file', { scope: 'added-layers', baseLayers: [`sha256:${sha(base)}`] });
    expect(found).toEqual([{ path: '/app/secrets.env', type: 'file', size: 3, layer: 2, createdBy: 'COPY . . # buildkit' }]);
  });
  it('reads the overlay2 store\'s save (plain layer.tar files) as before', async () => {
    const layer = await tarOf([{ name: 'var/lib/apt/lists/x', body: Buffer.from('1') }]);
    const configName = `${sha(Buffer.from('c'))}.json`;
    const save = await tarOf([
      { name: 'l1/layer.tar', body: layer },
      { name: configName, body: Buffer.from(JSON.stringify({ history: [{ created_by: '/bin/sh -c apt-get update' }] })) },
      { name: 'manifest.json', body: Buffer.from(JSON.stringify([{ Config: configName, Layers: ['l1/layer.tar'] }])) },
    ]);
    const inspect = { Id: 'sha256:b', Size: 1, RootFS: { Layers: [`sha256:${sha(layer)}`] }, Config: {} };
    const runtime = { docker: { getImage: () => ({ get: async () => Readable.from([save]), inspect: async () => inspect }) } } as unknown as Runtime;
    const found = await new EngineImage(runtime, 't:2', {}).findFiles(() => true, { scope: 'added-layers' });
    expect(found).toEqual([{ path: '/var/lib/apt/lists/x', type: 'file', size: 1, layer: 1, createdBy: 'apt-get update' }]);
  });
});

/** Real outputs of Docker 28.5 (containerd store, buildx 0.29), captured by tests/fixtures/build-output/capture.sh against scripts/engine28.sh's engine. */
describe.each(['classic', 'buildkit'] as const)('%s output on Docker 28.5', (builder) => {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'build-output');
  const parse = (scenario: string, file: string) => {
    const output = readFileSync(path.join(dir, 'docker28', scenario, file), 'utf8');
    const parsed = parseBuildOutput(builder, output);
    return { output, parsed, ...describeBuild(parsed, parseDockerfile(readFileSync(path.join(dir, scenario, 'context', 'Dockerfile'), 'utf8'))) };
  };
  it('differs as seen (BuildKit: no "writing image" line; classic: "Removed intermediate container")', () => {
    const { output } = parse('cache-after-edit', `first.${builder}.txt`);
    if (builder === 'buildkit') expect(output).not.toMatch(/writing image sha256:/);
    else expect(output).toMatch(/Removed intermediate container/);
    expect(detectBuilder(output)).toBe(builder);
  });
  it('gives the steps and cache hits 20.10 gives, first build and after the edit', () => {
    const first = parse('cache-after-edit', `first.${builder}.txt`);
    expect(first.parsed.succeeded).toBe(true);
    // A difference of BuildKit 0.2x: even with --no-cache it reports WORKDIR (a directory the base image lacks) as CACHED.
    // No check reads a WORKDIR's cache hit; the grader reports what the builder says.
    expect(first.steps.map((s) => [s.line, s.cached])).toEqual([[2, builder === 'buildkit'], [3, false], [4, false], [6, false], [7, false]]);
    const again = parse('cache-after-edit', `${builder}.txt`);
    expect(again.steps.map((s) => [s.line, s.cached])).toEqual([[2, true], [3, true], [4, true], [6, false], [7, false]]);
  });
  it('names a failing RUN\'s line', () => {
    const { parsed, failure } = parse('failing-run', `${builder}.txt`);
    expect(parsed.succeeded).toBe(false);
    expect(failure?.line).toEqual(expect.any(Number));
  });
});
