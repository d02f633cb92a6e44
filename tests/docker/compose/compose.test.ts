import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { BaseImages } from '../../../grader/src/build/base-images.js';
import type { ComposeVersion } from '../../../grader/src/compose/compose.js';
import { newRunId, runLabels } from '../../../grader/src/engine/labels.js';
import { PROBE_IMAGE } from '../../../grader/src/engine/probe.js';
import { EngineSession } from '../../../grader/src/grading/session.js';
import { grade } from '../../../grader/src/grade.js';
import type { Result } from '../../../grader/src/result.js';
import { NOTHING_LABELLED, runtime } from '../../helpers/engine.js';
import { assembleSubmission, removeDir, variantsOf } from '../../helpers/submissions.js';

/**
 * The Compose workload against the real engine: lab-09's fixtures with each Compose
 * version (tests/docker/labs.test.ts grades them with the default one, v2, in full;
 * here v1 gets every variant and a forced v2 the references), compose files that
 * compose refuses, the host engine (`--sandbox off`) left clean, anonymous volumes
 * included, and the grader's probe. COMPOSE_VERSIONS=v1 narrows a run.
 */
const VERSIONS = (process.env.COMPOSE_VERSIONS ?? 'v1,v2').split(',') as ComposeVersion[];
const DEFAULT_VERSION: ComposeVersion = 'v2';
const baseImages = new BaseImages(runtime);
/** Objects carrying the grader's label for one lab: other gradings may run on this engine meanwhile. */
async function labelled(lab: string): Promise<typeof NOTHING_LABELLED> {
  const filters = JSON.stringify({ label: [`dockerlab.lab=${lab}`] });
  const d = runtime.docker;
  const [containers, images, networks, volumes] = await Promise.all([d.listContainers({ all: true, filters }), d.listImages({ filters }), d.listNetworks({ filters }), d.listVolumes({ filters })]);
  return {
    containers: containers.map((c) => c.Names[0] ?? c.Id),
    // Untagged images are the builder's layer cache, kept on purpose.
    images: images.flatMap((i) => (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>')),
    networks: networks.map((n) => n.Name),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
  } as unknown as typeof NOTHING_LABELLED;
}

const ids = (result: Result, status: string) => result.checks.filter((c) => c.status === status).map((c) => c.id).sort();

async function gradeWith(version: ComposeVersion, options: Parameters<typeof grade>[0]): Promise<Result> {
  const before = process.env.DOCKERLAB_COMPOSE;
  process.env.DOCKERLAB_COMPOSE = version;
  try {
    return await grade(options);
  } finally {
    if (before === undefined) delete process.env.DOCKERLAB_COMPOSE;
    else process.env.DOCKERLAB_COMPOSE = before;
  }
}

async function installedOnHost(version: ComposeVersion): Promise<boolean> {
  const argv = version === 'v2' ? ['compose', 'version'] : ['version'];
  const result = await execa(version === 'v2' ? 'docker' : 'docker-compose', argv, { reject: false, env: runtime.cliEnv });
  return result.exitCode === 0;
}

describe.each(VERSIONS)('lab-09 with Compose %s (in the sandbox)', (version) => {
  const variants = variantsOf('lab-09').filter((v) => version !== DEFAULT_VERSION || (v.failed.length === 0 && v.skipped.length === 0));

  it.each(variants.map((v) => [v.name, v] as const))('%s', async (_name, variant) => {
    const dir = assembleSubmission('lab-09', variant.name);
    try {
      const result = await gradeWith(version, { lab: 'lab-09', submission: dir, lang: 'en', runtime, baseImages, logsDir: null });
      const detail = result.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id} ${c.status}: ${c.message}`).join('\n');
      expect({ failed: ids(result, 'failed'), skipped: ids(result, 'skipped'), error: ids(result, 'error'), detail }).toEqual({ failed: [...variant.failed].sort(), skipped: [...variant.skipped].sort(), error: [], detail: expect.any(String) });
      expect(result.notes.join('\n')).toContain(`Compose ${version} (`);
    } finally {
      removeDir(dir);
    }
  });

  it('reports a property compose refuses, with compose\'s words and the line', async () => {
    const dir = assembleSubmission('lab-09', 'reference');
    try {
      const file = path.join(dir, 'compose.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('    image: redis:7\n', '    image: redis:7\n    portz: ["6379:6379"]\n'));
      const result = await gradeWith(version, { lab: 'lab-09', submission: dir, lang: 'en', runtime, baseImages, logsDir: null });
      const up = result.checks.find((c) => c.id === 'compose-up')!;
      expect(up.status).toBe('failed');
      expect(up.message).toMatch(version === 'v2' ? /Additional property portz is not allowed/ : /Unsupported config option for services\.cache: 'portz'/);
      expect(up.location).toEqual({ file: 'compose.yaml', line: 19 });
      expect(result.checks.filter((c) => c.id !== 'compose-up').every((c) => c.status === 'skipped')).toBe(true);
    } finally {
      removeDir(dir);
    }
  });

  afterAll(async () => {
    expect(await labelled('lab-09')).toEqual(NOTHING_LABELLED);
  });
});

/** A lab of this test's own: no fixed host port, so it can run on the host engine beside other gradings. */
function makeLab(root: string): { labDir: string; submission: string } {
  const labDir = path.join(root, 'lab-97');
  const submission = path.join(root, 'submission');
  mkdirSync(labDir);
  mkdirSync(path.join(submission, 'app'), { recursive: true });
  writeFileSync(path.join(labDir, 'lab.json'), JSON.stringify({
    id: 'lab-97',
    title: 'compose on the host',
    workload: { kind: 'compose', images: ['redis:7', 'busybox:1.36'] },
    steps: [
      { id: 'up', kind: 'compose-up', points: 1 },
      { id: 'cache-running', kind: 'container-state', points: 1, container: 'cache', status: 'running', withinSeconds: 10, requires: ['up'] },
      { id: 'down', action: 'compose-down', requires: ['up'] },
      { id: 'up-again', action: 'compose-up', requires: ['down'] },
      { id: 'app-running', kind: 'container-state', points: 1, container: 'app', status: 'running', withinSeconds: 10, requires: ['up-again'] },
      // Time for the test to list the volumes before the grader's cleanup.
      { id: 'pause', action: 'wait', seconds: 1.5 },
    ],
  }));
  // redis:7 and the built app both have an anonymous volume (an image VOLUME); `down` leaves them behind.
  writeFileSync(path.join(submission, 'compose.yaml'), [
    'services:',
    '  cache:',
    '    image: redis:7',
    '  app:',
    '    build: ./app',
    '    networks: [back]',
    '    volumes: ["kept:/kept"]',
    'networks:',
    '  back: {}',
    'volumes:',
    '  kept: {}',
    '',
  ].join('\n'));
  writeFileSync(path.join(submission, 'app', 'Dockerfile'), `FROM busybox:1.36\nRUN mkdir /marker && echo ${MARKER} > /marker/id\nVOLUME /marker\nCMD ["sleep", "3600"]\n`);
  return { labDir, submission };
}
const MARKER = `hcmp-compose-test-${randomBytes(4).toString('hex')}`;

/** Volumes of the engine that hold this test's marker: anonymous volumes of the app, wherever the grader left them. */
async function markedVolumes(): Promise<string[]> {
  const list = (await runtime.docker.listVolumes()).Volumes ?? [];
  return list.filter((v) => {
    const file = path.join(v.Mountpoint, 'id');
    return existsSync(file) && readFileSync(file, 'utf8').trim() === MARKER;
  }).map((v) => v.Name);
}

describe('the Compose workload on the host engine (--sandbox off)', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'hcmp-compose-'));
  });
  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
    expect(await labelled('lab-97')).toEqual(NOTHING_LABELLED);
  });

  it.each(['v1', 'v2'] as const)('Compose %s: grades, then leaves nothing (containers, networks, volumes anonymous or named, built image)', async (version) => {
    if (!(await installedOnHost(version))) return console.warn(`Compose ${version} is not installed on this machine: skipped`);
    const dir = mkdtempSync(path.join(root, `${version}-`));
    const { labDir, submission } = makeLab(dir);
    let marked: string[] = [];
    const result = await gradeWith(version, {
      lab: labDir,
      submission,
      lang: 'en',
      runtime,
      baseImages,
      sandbox: 'off',
      logsDir: null,
      // Between the steps, the project's anonymous volumes exist (both generations after up-again).
      onCheck: (check) => {
        if (check.id === 'app-running') void markedVolumes().then((names) => (marked = names));
      },
    });
    expect(result.checks.map((c) => `${c.id}:${c.status}`)).toEqual(['up:passed', 'cache-running:passed', 'app-running:passed']);
    const project = /as project "([a-z0-9]+)"/.exec(result.notes.join('\n'))?.[1];
    expect(project).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(marked.length).toBeGreaterThanOrEqual(2);
    expect(await markedVolumes()).toEqual([]);
    expect(await labelled('lab-97')).toEqual(NOTHING_LABELLED);
    const filters = JSON.stringify({ label: [`com.docker.compose.project=${project}`] });
    expect((await runtime.docker.listContainers({ all: true, filters })).length + (await runtime.docker.listNetworks({ filters })).length + ((await runtime.docker.listVolumes({ filters })).Volumes ?? []).length).toBe(0);
    const images = (await runtime.docker.listImages()).flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(`${project}-`) || t.startsWith(`${project}_`));
    expect(images).toEqual([]);
  });

  it('interrupted during up -d --build, leaves nothing either', async () => {
    if (!(await installedOnHost('v2'))) return;
    const dir = mkdtempSync(path.join(root, 'abort-'));
    const { labDir, submission } = makeLab(dir);
    const controller = new AbortController();
    const result = await gradeWith('v2', {
      lab: labDir, submission, lang: 'en', runtime, baseImages, sandbox: 'off', logsDir: null, signal: controller.signal,
      progress: (line) => {
        if (line.startsWith('compose up -d --build')) setTimeout(() => controller.abort(), 1500);
      },
    });
    expect(result.checks.every((c) => c.status === 'skipped' || c.status === 'passed')).toBe(true);
    expect(await markedVolumes()).toEqual([]);
    expect(await labelled('lab-97')).toEqual(NOTHING_LABELLED);
  });
});

describe("the grader's probe (DNS and HTTP from inside a container)", () => {
  const runId = newRunId();
  const labels = runLabels(runId, 'compose-tests');
  const session = new EngineSession({ runtime, labels, signal: new AbortController().signal, ensureImages: (refs) => baseImages.ensure(refs) });
  const net = `hcmp-probe-${runId}`;
  const started: string[] = [];

  async function run(name: string, image: string, cmd: string[] | undefined, network: string): Promise<void> {
    const c = await runtime.docker.createContainer({ name, Image: image, ...(cmd ? { Cmd: cmd } : {}), Labels: labels, HostConfig: { NetworkMode: network } });
    started.push(c.id);
    await c.start();
  }

  beforeAll(async () => {
    await baseImages.ensure(['nginx:1.27', PROBE_IMAGE]);
    await runtime.docker.createNetwork({ Name: net, Labels: labels });
    await run(`hcmp-api-${runId}`, 'nginx:1.27', undefined, net);
    await run(`hcmp-client-${runId}`, 'nginx:1.27', undefined, net);
    await run(`hcmp-isole-${runId}`, 'nginx:1.27', undefined, 'bridge');
    await run(`hcmp-gone-${runId}`, PROBE_IMAGE, ['true'], 'bridge');
  });
  afterAll(async () => {
    for (const id of started) await runtime.docker.getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
    await runtime.docker.getNetwork(net).remove().catch(() => undefined);
    expect(await labelled('compose-tests')).toEqual(NOTHING_LABELLED);
  });

  it('resolves a name on a user-defined network, not on the default bridge, and says when the container is not running', async () => {
    const client = (await session.findContainer(`hcmp-client-${runId}`))!;
    expect(await session.resolveFrom(client, `hcmp-api-${runId}`)).toMatchObject({ outcome: 'resolved', source: 'dns' });
    expect(await session.resolveFrom(client, 'nope-not-here')).toMatchObject({ outcome: 'not-found' });
    const isole = (await session.findContainer(`hcmp-isole-${runId}`))!;
    expect(await session.resolveFrom(isole, `hcmp-api-${runId}`)).toMatchObject({ outcome: 'not-found' });
    expect(await session.resolveFrom(isole, 'localhost')).toMatchObject({ outcome: 'resolved', source: 'hosts' });
    const gone = (await session.findContainer(`hcmp-gone-${runId}`))!;
    await runtime.docker.getContainer(`hcmp-gone-${runId}`).wait();
    expect(await session.resolveFrom(gone, 'anything')).toEqual({ outcome: 'not-running', status: 'exited' });
  });

  it('sends HTTP from inside a container, whatever its image has, and tells the failures apart', async () => {
    const client = (await session.findContainer(`hcmp-client-${runId}`))!;
    expect(await session.httpFrom(client, { url: `http://hcmp-api-${runId}/` })).toMatchObject({ outcome: 'answered', status: 200, body: expect.stringContaining('Welcome to nginx!') });
    expect(await session.httpFrom(client, { url: `http://hcmp-api-${runId}/nope` })).toMatchObject({ outcome: 'answered', status: 404 });
    expect(await session.httpFrom(client, { url: `http://hcmp-api-${runId}:81/` })).toMatchObject({ outcome: 'no-connection', failure: 'refused' });
    expect(await session.httpFrom(client, { url: 'http://nope-not-here/' })).toMatchObject({ outcome: 'name-not-found' });
    const gone = (await session.findContainer(`hcmp-gone-${runId}`))!;
    expect(await session.httpFrom(gone, { url: 'http://x/' })).toMatchObject({ outcome: 'not-running' });
  });

  it('the busybox image (official, or the offline stand-in) runs wget -T without crashing', async () => {
    const c = await runtime.docker.createContainer({ Image: PROBE_IMAGE, Cmd: ['wget', '-T', '1', '-q', '-O', '/dev/null', 'http://127.0.0.1:9/'], Labels: labels });
    started.push(c.id);
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    expect(StatusCode).toBe(1);
  });
});
