import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { currentOwner, runLabels } from '../../grader/src/engine/labels.js';
import { pollUntil } from '../../grader/src/lib/poll.js';
import { grade } from '../../grader/src/grade.js';
import { labelled, NOTHING_LABELLED, runtime } from '../helpers/engine.js';
import { assembleSubmission, removeDir, ROOT } from '../helpers/submissions.js';

const CLI = path.join(ROOT, 'grader/dist/cli.js');
const cli = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [CLI, ...args], { cwd: ROOT, reject: false, env: { NO_COLOR: '1', ...env } });
const docker = runtime.docker;

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
    writeFileSync(path.join(labDir, 'lab.json'), JSON.stringify({ id: 'lab-77', title: 'x', workload: { kind: 'image' }, steps: [{ id: 'a', kind: 'nope', points: 1 }] }, null, 2));
    const run = await cli([labDir]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/lab\.json:\d+:\d+ \/steps\/0\/kind: unknown check kind "nope"; known kinds: build-cache-reused/);
    removeDir(labDir);
  });

  it('exits 2 for a missing submission folder, an unknown lab, a bad option', async () => {
    expect((await cli(['lab-03', '--submission', '/nonexistent/dir'])).stderr).toContain('does not exist');
    expect((await cli(['lab-03', '--submission', '/nonexistent/dir'])).exitCode).toBe(2);
    expect((await cli(['lab-42'])).exitCode).toBe(2);
    expect((await cli(['lab-03', '--format', 'xml'])).stderr).toContain('known formats: json, terminal');
    expect((await cli(['lab-03', '--reporter', 'xml'])).stderr).toMatch(/unknown reporter "xml".*known reporters: classroom, github/);
    expect((await cli(['lab-03', '--bogus'])).exitCode).toBe(2);
    expect((await cli(['lab-03', '--sandbox', 'maybe'])).exitCode).toBe(2);
  });

  it('--list shows every lab with its points', async () => {
    const run = await cli(['--list', '--lang', 'en']);
    expect(run.stdout).toMatch(/^lab-03 {2}Non-root image {2}\(20 pts/m);
  });

  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('removes what it created when it gets %s in the middle of a run (exit %d)', async (signal, code) => {
    const child = spawn('node', [CLI, 'lab-03', '--submission', reference, '--quiet'], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const { met } = await pollUntil(async () => (await labelled('lab-03')).containers.length, (n) => n > 0, 60_000);
    expect(met).toBe(true);
    child.kill(signal);
    expect(await exited).toBe(code);
    expect(await labelled()).toEqual(NOTHING_LABELLED);
  });

  it('after kill -9 of the grader, the next grading removes what the dead run left, and never what a live run owns', async () => {
    const child = spawn('node', [CLI, 'lab-03', '--submission', reference, '--quiet'], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const { met } = await pollUntil(async () => (await labelled('lab-03')).containers.length, (n) => n > 0, 60_000);
    expect(met).toBe(true);
    child.kill('SIGKILL');
    await exited;
    expect((await labelled()).containers.length).toBeGreaterThan(0);
    const live = await docker.createContainer({ Image: 'debian:bookworm-slim', Cmd: ['true'], Labels: runLabels('live-run', 'lab-99', currentOwner()) });
    try {
      const again = await cli(['lab-03', '--submission', reference, '--format', 'json']);
      expect(again.exitCode).toBe(0);
      expect((await docker.getContainer(live.id).inspect()).Id).toBe(live.id);
    } finally {
      await live.remove({ force: true });
    }
    expect(await labelled()).toEqual(NOTHING_LABELLED);
  });

  it('--cleanup removes what dead graders left, --cleanup --all every labelled object, and nothing else', async () => {
    const deadOwner = `${os.hostname()}:${currentOwner().split(':')[1]}:999999999:1`;
    const leftover = await docker.createContainer({ Image: 'debian:bookworm-slim', Cmd: ['true'], Labels: runLabels('leftover', 'lab-99', deadOwner) });
    const live = await docker.createContainer({ Image: 'debian:bookworm-slim', Cmd: ['true'], Labels: runLabels('live', 'lab-99', currentOwner()) });
    const bystander = await docker.createContainer({ Image: 'debian:bookworm-slim', Cmd: ['true'] });
    try {
      const run = await cli(['--cleanup']);
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toMatch(/removed 1 container/);
      await expect(docker.getContainer(leftover.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect((await docker.getContainer(live.id).inspect()).Id).toBe(live.id);
      const all = await cli(['--cleanup', '--all']);
      expect(all.stdout).toMatch(/removed 1 container/);
      await expect(docker.getContainer(live.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect((await docker.getContainer(bystander.id).inspect()).Id).toBe(bystander.id);
    } finally {
      await bystander.remove({ force: true });
      await live.remove({ force: true }).catch(() => undefined);
    }
  });
});

// Builds get a pids limit through a parent cgroup where the engine uses cgroup v1 + cgroupfs (this project's machines).
const cgroupV1 = existsSync('/sys/fs/cgroup/pids/cgroup.procs') && process.getuid?.() === 0;
(cgroupV1 ? it : it.skip)('stops a fork bomb in a RUN step with the process limit, and says which line', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'forkbomb-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM debian:bookworm-slim\nRUN for i in $(seq 1 1000); do sleep 5 & done; wait\n');
  try {
    const run = await cli(['lab-03', '--submission', dir, '--format', 'json', '--lang', 'en', '--builder', 'classic']);
    const builds = (JSON.parse(run.stdout) as { checks: { id: string; status: string; observed: string }[] }).checks.find((c) => c.id === 'builds');
    expect(builds).toMatchObject({ status: 'failed' });
    expect(builds!.observed).toMatch(/line 2: RUN for i[\s\S]*(Cannot fork|Resource temporarily unavailable)/);
  } finally {
    removeDir(dir);
  }
});

describe('a script run with --sandbox off', () => {
  it('gives what the script creates the run labels and the limits (the student\'s own flags win), then removes it', async () => {
    const labDir = mkdtempSync(path.join(os.tmpdir(), 'shim-lab-'));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'shim-'));
    writeFileSync(path.join(labDir, 'lab.json'), JSON.stringify({
      id: 'lab-98', title: 'shim', workload: { kind: 'script', objects: { containers: ['dockerlab-shim-a', 'dockerlab-shim-b'] } },
      steps: [
        { id: 'done', kind: 'script-completes', points: 1 },
        { id: 'labelled', kind: 'container-label', points: 1, container: 'dockerlab-shim-a', name: 'dockerlab.run' },
        { id: 'default-memory', kind: 'container-memory', points: 1, container: 'dockerlab-shim-a', mebibytes: 512 },
        { id: 'own-memory', kind: 'container-memory', points: 1, container: 'dockerlab-shim-b', mebibytes: 64 },
      ],
    }));
    writeFileSync(path.join(dir, 'commands.sh'), 'docker run -d --name dockerlab-shim-a debian:bookworm-slim sleep 30\ndocker run -d -m 64m --name dockerlab-shim-b debian:bookworm-slim sleep 30\n');
    try {
      const result = await grade({ lab: labDir, submission: dir, lang: 'en', runtime, sandbox: 'off', logsDir: null });
      expect(result.checks.map((c) => `${c.id}:${c.status}`)).toEqual(['done:passed', 'labelled:passed', 'default-memory:passed', 'own-memory:passed']);
      expect(result.isolation).toBe('engine');
      expect(result.notes.join('\n')).toMatch(/Sandbox off/);
      expect(result.notes.join('\n')).toMatch(/After grading, the grader removed: container dockerlab-shim-a, container dockerlab-shim-b/);
    } finally {
      removeDir(dir);
      removeDir(labDir);
    }
    expect(await labelled()).toEqual(NOTHING_LABELLED);
  });
});
