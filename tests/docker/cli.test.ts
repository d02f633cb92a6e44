import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { docker } from '../../grader/src/engine/docker.js';
import { runLabels } from '../../grader/src/engine/labels.js';
import { format } from '../../grader/src/i18n/lang.js';
import { MESSAGES, type MessageId } from '../../grader/src/i18n/messages.js';
import { parseLab } from '../../grader/src/spec/load.js';
import type { ScriptWorkload } from '../../grader/src/spec/schema.js';
import { prepareScriptWorkload } from '../../grader/src/workloads/script-workload.js';
import { pollUntil } from '../../grader/src/engine/poll.js';
import { labelled, NOTHING_LABELLED } from '../helpers/engine.js';
import { assembleSubmission, removeDir, ROOT } from '../helpers/submissions.js';

const CLI = path.join(ROOT, 'grader/dist/cli.js');
const cli = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [CLI, ...args], { cwd: ROOT, reject: false, env: { NO_COLOR: '1', ...env } });

describe('the grade command', () => {
  let reference: string;
  beforeAll(() => {
    reference = assembleSubmission('lab-03', 'reference');
  });
  afterAll(async () => {
    removeDir(reference);
    expect(await labelled()).toEqual(NOTHING_LABELLED);
  });

  it('--format json prints the result contract on stdout and nothing else, exit 0 on full marks', async () => {
    const run = await cli(['lab-03', '--submission', reference, '--format', 'json']);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout) as { lab: string; score: number; maxScore: number; checks: { status: string }[] };
    expect(result.lab).toBe('lab-03');
    expect(result.score).toBe(result.maxScore);
    expect(result.checks.every((c) => c.status === 'passed')).toBe(true);
  });

  it('exits 1 with a readable report when checks fail (the untouched starter)', async () => {
    const starter = assembleSubmission('lab-03', null);
    try {
      const run = await cli(['lab-03', '--submission', starter, '--lang', 'en']);
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toMatch(/✗ 0\/2 +The image builds/);
      expect(run.stdout).toMatch(/^Score: \d+\/20/m);
      expect(run.stdout).not.toMatch(/\x1b\[/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      removeDir(starter);
    }
  });

  it('exits 3 and says how to start an engine when none answers', async () => {
    const run = await cli(['lab-03', '--submission', reference], { DOCKER_HOST: 'unix:///tmp/dockerlab-no-such.sock' });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain('No Docker engine answers at DOCKER_HOST=unix:///tmp/dockerlab-no-such.sock');
    expect(run.stderr).toMatch(/docker info/);
  });

  it('exits 2 for an invalid lab.json, naming file, line and JSON path', async () => {
    const labDir = mkdtempSync(path.join(os.tmpdir(), 'bad-lab-'));
    writeFileSync(path.join(labDir, 'lab.json'), JSON.stringify({ id: 'lab-77', title: 'x', workload: { kind: 'image' }, checks: [{ id: 'a', kind: 'nope', points: 1 }] }, null, 2));
    const run = await cli([labDir]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/lab\.json:\d+:\d+ \/checks\/0\/kind: unknown check kind "nope"; known kinds: container-image/);
    removeDir(labDir);
  });

  it('exits 2 for a missing submission folder, an unknown lab, a bad option', async () => {
    expect((await cli(['lab-03', '--submission', '/nonexistent/dir'])).stderr).toContain('does not exist');
    expect((await cli(['lab-03', '--submission', '/nonexistent/dir'])).exitCode).toBe(2);
    expect((await cli(['lab-42'])).exitCode).toBe(2);
    expect((await cli(['lab-03', '--format', 'xml'])).stderr).toContain('known formats: json, terminal');
    expect((await cli(['lab-03', '--bogus'])).exitCode).toBe(2);
  });

  it('--list shows every lab with its points', async () => {
    const run = await cli(['--list', '--lang', 'en']);
    expect(run.stdout).toMatch(/^lab-03 {2}Non-root image {2}\(20 pts/m);
  });

  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('removes what it created when it gets %s in the middle of a run (exit %d)', async (signal, code) => {
    const child = spawn('node', [CLI, 'lab-03', '--submission', reference, '--quiet'], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const { met } = await pollUntil(async () => (await labelled()).containers.length, (n) => n > 0, 60_000);
    expect(met).toBe(true);
    child.kill(signal);
    expect(await exited).toBe(code);
    expect(await labelled()).toEqual(NOTHING_LABELLED);
  });

  it('--cleanup removes leftovers carrying the label, and nothing else', async () => {
    const leftover = await docker().createContainer({ Image: 'debian:bookworm-slim', Cmd: ['true'], Labels: { dockerlab: '1', 'dockerlab.run': 'leftover' } });
    const bystander = await docker().createContainer({ Image: 'debian:bookworm-slim', Cmd: ['true'] });
    try {
      const run = await cli(['--cleanup']);
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toMatch(/removed 1 container/);
      await expect(docker().getContainer(leftover.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect((await docker().getContainer(bystander.id).inspect()).Id).toBe(bystander.id);
    } finally {
      await bystander.remove({ force: true });
    }
  });
});

// Builds get a pids limit through a parent cgroup where the engine uses cgroup v1 + cgroupfs (this project's machines).
const cgroupV1 = existsSync('/sys/fs/cgroup/pids/cgroup.procs') && process.getuid?.() === 0;
(cgroupV1 ? it : it.skip)('stops a fork bomb in a RUN step with the process limit, and says which line', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'forkbomb-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM debian:bookworm-slim\nRUN for i in $(seq 1 400); do sleep 5 & done; wait\n');
  try {
    const run = await cli(['lab-03', '--submission', dir, '--format', 'json', '--lang', 'en']);
    const builds = (JSON.parse(run.stdout) as { checks: { id: string; status: string; observed: string }[] }).checks.find((c) => c.id === 'builds');
    expect(builds).toMatchObject({ status: 'failed' });
    expect(builds!.observed).toMatch(/line 2: RUN for i[\s\S]*Cannot fork/);
  } finally {
    removeDir(dir);
  }
});

describe('a script run', () => {
  it('gives the containers the script starts the run label and the limits, then removes them', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'shim-'));
    writeFileSync(path.join(dir, 'commands.sh'), 'docker run -d --name dockerlab-shim-probe debian:bookworm-slim sleep 30\n');
    const lab = parseLab(JSON.stringify({ id: 'lab-98', title: 'shim', workload: { kind: 'script', objects: { containers: ['dockerlab-shim-probe'] } }, checks: [{ id: 'done', kind: 'script-completes', points: 1 }] }));
    const say = (id: MessageId, data?: Record<string, unknown>) => format(MESSAGES.en[id], data);
    const prepared = await prepareScriptWorkload(lab.workload as ScriptWorkload, { lab, submissionDir: dir, runId: 'shimtest', labels: runLabels('shimtest', 'lab-98'), lang: 'en', progress: () => undefined, say }, () => undefined);
    try {
      expect(prepared.script).toMatchObject({ exitCode: 0, timedOut: false, dockerCalls: ['docker run -d --name dockerlab-shim-probe debian:bookworm-slim sleep 30'] });
      const info = await docker().getContainer('dockerlab-shim-probe').inspect();
      expect(info.Config.Labels).toMatchObject({ dockerlab: '1', 'dockerlab.run': 'shimtest' });
      expect(info.HostConfig).toMatchObject({ Memory: 512 * 1024 * 1024, PidsLimit: 256, NanoCpus: 1e9 });
    } finally {
      expect(await prepared.finish()).toEqual(['After grading, the grader removed: container dockerlab-shim-probe.']);
      removeDir(dir);
    }
    expect(await labelled()).toEqual(NOTHING_LABELLED);
  });
});
