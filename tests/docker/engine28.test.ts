import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { BaseImages } from '../../grader/src/build/base-images.js';
import { LAB_LABEL } from '../../grader/src/engine/labels.js';
import { createHostRuntime, type Runtime } from '../../grader/src/engine/runtime.js';
import type { LabTestReport } from '../../grader/src/authoring/test-lab.js';
import { grade } from '../../grader/src/grade.js';
import { labsDir, listLabIds, loadLabFile } from '../../grader/src/spec/load.js';
import { assembleSubmission, removeDir, ROOT, variantsOf } from '../helpers/submissions.js';
import { expectAsExpected } from '../helpers/verdicts.js';

/**
 * Docker 28.5 (Debian sid) with the containerd image store, BuildKit as its default
 * builder, Compose 2.40 and buildx 0.29: scripts/engine28.sh starts it (npm test's
 * provisioning already did; here it only checks, ~2 s). When it cannot start, every
 * test here fails with its reason: nothing is skipped.
 *
 * 1. Every lab's references and wrong variants, graded where that engine is local
 *    (the grader inside its container, as on a GitHub runner) by `test-lab`, a few at
 *    once as labs.test does on the host engine: same verdicts as on 20.10. Script and
 *    Compose labs run with --sandbox off: a sandbox's inner engine
 *    is the sandbox image's Debian 20.10, so only unsandboxed gradings put student
 *    commands on 28. Image labs' references (and all of lab-05) again with the classic builder.
 * 2. The same engine reached from this machine as a remote one (DOCKERLAB_ENGINE_ADDRESS),
 *    the unsandboxed mode Docker Desktop and tcp:// students get.
 * LABS=lab-03,lab-09 narrows a run.
 */
const SOCKET = 'unix:///run/dockerlab-engine28/docker.sock';
const CLI = path.join(ROOT, 'grader/dist/cli.js');
const ALL = listLabIds();
const LABS = process.env.LABS ? process.env.LABS.split(',') : ALL;
/** Per lab: its cases graded a few at once. */
const LAB_TIMEOUT = 20 * 60_000;
const kindOf = (lab: string) => loadLabFile(path.join(labsDir(), lab, 'lab.json')).workload.kind;

let exported: Record<string, string> | null = null;
let startFailure = '';

beforeAll(async () => {
  const run = await execa('bash', [path.join(ROOT, 'scripts/engine28.sh')], { cwd: ROOT, reject: false, timeout: 900_000, env: { DOCKER_HOST: '' } });
  if (run.exitCode !== 0) {
    startFailure = `scripts/engine28.sh could not start Docker 28 (exit ${run.exitCode}):\n${run.stderr}`;
    return;
  }
  exported = Object.fromEntries([...run.stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
}, 900_000);

function engine(): Record<string, string> {
  if (!exported) throw new Error(startFailure || 'Docker 28 did not start');
  return exported;
}

/**
 * A lab's cases graded by `test-lab` inside the engine's container, where the engine is
 * local, as many at once as the command does on this machine (the same code path as
 * labs.test on the host engine): its JSON report, read back from the shared repository folder.
 */
async function testLabInside(lab: string, names: string[], env: string[] = [], extra: string[] = []): Promise<LabTestReport> {
  engine();
  const file = path.join(ROOT, '.dockerlab', 'engine28', `${lab}${env.length ? '-' + env.join('-').replace(/\W+/g, '_') : ''}.json`);
  rmSync(file, { force: true });
  const run = await execa('docker', ['exec', '-e', `DOCKER_HOST=${SOCKET}`, ...env.flatMap((e) => ['-e', e]), '-w', ROOT, 'dockerlab-engine28', 'node', CLI, 'test-lab', lab, ...names.flatMap((n) => ['--case', n]), '--sandbox', 'off', '--quiet', ...extra, '--reporter', `json=${file}`], { reject: false, timeout: LAB_TIMEOUT, env: { DOCKER_HOST: '' } });
  if (!existsSync(file)) throw new Error(`test-lab in dockerlab-engine28 wrote no report (exit ${run.exitCode}):\n${run.stderr.slice(-3000)}`);
  const { labs } = JSON.parse(readFileSync(file, 'utf8')) as { labs: LabTestReport[] };
  return labs[0]!;
}

async function labelledOn28(lab: string): Promise<string[]> {
  const run = (args: string[]) => execa('docker', args, { reject: false, env: { DOCKER_HOST: SOCKET } }).then((r) => r.stdout.split('\n').filter(Boolean));
  const f = `label=${LAB_LABEL}=${lab}`;
  return [...(await run(['ps', '-a', '--filter', f, '--format', 'container {{.Names}}'])), ...(await run(['volume', 'ls', '--filter', f, '--format', 'volume {{.Name}}'])), ...(await run(['network', 'ls', '--filter', f, '--format', 'network {{.Name}}']))];
}

it('is Docker 28 with the containerd image store, BuildKit and Compose v2', async () => {
  engine();
  const info = await execa('docker', ['info', '--format', '{{.ServerVersion}} {{json .DriverStatus}}'], { env: { DOCKER_HOST: SOCKET } });
  expect(info.stdout).toMatch(/^28\.5\./);
  expect(info.stdout).toContain('io.containerd.snapshotter.v1');
  const inside = await execa('docker', ['exec', '-e', `DOCKER_HOST=${SOCKET}`, 'dockerlab-engine28', 'sh', '-c', 'docker compose version --short && docker buildx version'], { env: { DOCKER_HOST: '' } });
  expect(inside.stdout).toMatch(/^2\.40\./);
});

describe.each(LABS)('%s on Docker 28 (local engine)', (lab) => {
  const variants = variantsOf(lab);
  let report: LabTestReport;
  beforeAll(async () => {
    if (exported) report = await testLabInside(lab, variants.map((v) => v.name));
  }, LAB_TIMEOUT);
  it.each(variants.map((v) => [v.name, v] as const))('%s', (name) => {
    engine();
    const result = expectAsExpected(report.cases.find((o) => o.case.name === name));
    expect(result.isolation).toBe('engine');
  });
  afterAll(async () => {
    if (exported) expect(await labelledOn28(lab)).toEqual([]);
  });
});

const IMAGE_LABS = LABS.filter((lab) => kindOf(lab) === 'image');
(IMAGE_LABS.length ? describe.each(IMAGE_LABS) : describe.skip.each(['(LABS names no image lab)']))('%s on Docker 28 with the classic builder', (lab) => {
  const variants = IMAGE_LABS.includes(lab) ? variantsOf(lab).filter((v) => lab === 'lab-05' || (v.failed.length === 0 && v.skipped.length === 0)) : [];
  let report: LabTestReport;
  beforeAll(async () => {
    if (!exported || !variants.length) return;
    // lab-05 with the classic builder on 28's containerd store, one at a time: its edit-app step failed
    // once when its cases built at once (not yet diagnosed; see the closing note of 2026-12-07).
    report = await testLabInside(lab, variants.map((v) => v.name), ['DOCKERLAB_BUILDER=classic'], lab === 'lab-05' ? ['--jobs', '1'] : []);
  }, LAB_TIMEOUT);
  it.each(variants.map((v) => [v.name, v] as const))('%s', (name) => {
    engine();
    expectAsExpected(report.cases.find((o) => o.case.name === name));
  });
});

describe('Docker 28 reached as a remote engine (DOCKERLAB_ENGINE_ADDRESS), the unsandboxed mode', () => {
  let remote: Runtime;
  let images: BaseImages;
  beforeAll(() => {
    if (!exported) return;
    remote = createHostRuntime({ env: { ...process.env, ...exported } });
    images = new BaseImages(remote);
  });
  const gradeRemote = (lab: string, dir: string) => grade({ lab, submission: dir, lang: 'en', runtime: remote, baseImages: images, logsDir: null, sandbox: 'auto' });

  // A narrowed run (LABS=lab-10) may hold none of them: jest refuses an empty table, so the test is then skipped, and says so.
  const remoteLabs = ['lab-03', 'lab-07', 'lab-09'].filter((l) => LABS.includes(l));
  (remoteLabs.length ? it.each(remoteLabs) : it.skip.each(['(none of lab-03, lab-07, lab-09 in LABS)']))('%s\'s reference: full marks, ports reached at the engine\'s address, no sandbox and the report says so', async (lab) => {
    engine();
    const dir = assembleSubmission(lab, 'reference');
    try {
      const result = await gradeRemote(lab, dir);
      expect(result.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.message}`)).toEqual([]);
      expect(result.score).toBe(result.maxScore);
      if (kindOf(lab) !== 'image') {
        expect(result.isolation).toBe('engine');
        expect(result.notes.join('\n')).toMatch(/remote/);
      }
    } finally {
      removeDir(dir);
    }
  });

  it('lab-01: the lab\'s named objects are removed before and after, and the report says so', async () => {
    engine();
    await execa('docker', ['run', '-d', '--name', 'mon-serveur', '--label', 'e28-leftover=1', 'busybox:1.36', 'sleep', '300'], { env: { DOCKER_HOST: SOCKET } });
    const dir = assembleSubmission('lab-01', 'reference');
    try {
      const result = await gradeRemote('lab-01', dir);
      expect(result.score).toBe(result.maxScore);
      const notes = result.notes.join('\n');
      expect(notes).toMatch(/removed[^\n]*mon-serveur/i);
      const left = await execa('docker', ['ps', '-a', '--filter', 'name=^mon-serveur$', '--format', '{{.Names}}'], { env: { DOCKER_HOST: SOCKET } });
      expect(left.stdout).toBe('');
    } finally {
      removeDir(dir);
      await execa('docker', ['rm', '-f', 'mon-serveur'], { reject: false, env: { DOCKER_HOST: SOCKET } });
    }
  });

  it('lab-07 from a folder the engine cannot see: the report says the bind mount is the engine\'s empty folder', async () => {
    engine();
    const assembled = assembleSubmission('lab-07', 'reference');
    const dir = mkdtempSync('/var/tmp/e28-unshared-');
    cpSync(assembled, dir, { recursive: true });
    removeDir(assembled);
    try {
      const result = await gradeRemote('lab-07', dir);
      expect(result.checks.find((c) => c.id === 'dev-page')?.status).toBe('failed');
      expect(result.notes.join('\n')).toContain(`does not see ${dir}: what your containers bind-mount from it (dev: ${dir}/`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lab-07 with its port published on 127.0.0.1: the port is named as out of reach, not "connection refused"', async () => {
    engine();
    const dir = assembleSubmission('lab-07', 'reference-localhost-port');
    try {
      const result = await gradeRemote('lab-07', dir);
      const page = result.checks.find((c) => c.id === 'dev-page');
      expect(page?.status).toBe('failed');
      expect(page?.observed).toMatch(/publishes port \d+ on 127\.0\.0\.1 of the engine's own machine only/);
    } finally {
      removeDir(dir);
    }
  });
});
