/**
 * `--watch` end to end: the built CLI on a copy of a lab in a temporary folder,
 * a save that breaks a check and one that fixes it, the diff after each, Ctrl-C,
 * and nothing of that process left on the engine. A script lab graded twice
 * opens one sandbox (reset between the gradings: the same reference scores full
 * marks twice, which a leftover `mon-serveur` would prevent).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OWNER_LABEL } from '../../grader/src/engine/labels.js';
import { runtime } from '../helpers/engine.js';
import { removeDir, ROOT } from '../helpers/submissions.js';

const CLI = path.join(ROOT, 'grader/dist/cli.js');

interface Watching {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when `test` holds for stdout, with the time it took. */
  until: (test: (out: string) => boolean, what: string, timeoutMs?: number) => Promise<number>;
  exited: Promise<number | null>;
}

function watchCli(args: string[], env: Record<string, string>): Watching {
  const child = spawn('node', [CLI, ...args, '--watch', '--lang', 'en'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', DOCKERLAB_DEBUG: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async until(test, what, timeoutMs = 120_000) {
      const started = Date.now();
      while (!test(out)) {
        if (child.exitCode !== null) throw new Error(`the CLI exited (${child.exitCode}) before ${what}:\n${out}\n${err}`);
        if (Date.now() - started > timeoutMs) throw new Error(`no ${what} after ${timeoutMs} ms:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return Date.now() - started;
    },
  };
}

/** Containers, networks, volumes and tagged images owned by the process `pid` (the owner label names it). */
async function ownedBy(pid: number): Promise<string[]> {
  const filters = JSON.stringify({ label: [OWNER_LABEL] });
  const d = runtime.docker;
  const mine = (labels: Record<string, string> | undefined) => (labels?.[OWNER_LABEL] ?? '').split(':')[2] === String(pid);
  const [containers, networks, volumes, images] = await Promise.all([d.listContainers({ all: true, filters }), d.listNetworks({ filters }), d.listVolumes({ filters }), d.listImages({ filters })]);
  return [
    ...containers.filter((c) => mine(c.Labels)).map((c) => `container ${c.Names[0]}`),
    ...networks.filter((n) => mine(n.Labels)).map((n) => `network ${n.Name}`),
    ...(volumes.Volumes ?? []).filter((v) => mine(v.Labels ?? undefined)).map((v) => `volume ${v.Name}`),
    ...images.filter((i) => mine(i.Labels) && (i.RepoTags ?? []).some((t) => t !== '<none>:<none>') && !i.Labels?.['dockerlab.sandbox']).map((i) => `image ${i.RepoTags![0]}`),
  ];
}

const diffLines = (out: string) => out.split('\n').filter((l) => l.startsWith('Since the last grade'));

describe('--watch', () => {
  let dir: string;
  let history: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dlt-watch-'));
    history = path.join(mkdtempSync(path.join(os.tmpdir(), 'dlt-watch-history-')), 'history.json');
  });
  afterEach(() => {
    removeDir(dir);
    removeDir(path.dirname(history));
  });

  it('re-grades a Dockerfile lab on each save, shows what changed, and leaves nothing after Ctrl-C', async () => {
    cpSync(path.join(ROOT, 'labs/lab-03/app.py'), path.join(dir, 'app.py'));
    cpSync(path.join(ROOT, 'labs/lab-03/tests/reference'), dir, { recursive: true });
    const dockerfile = path.join(dir, 'Dockerfile');
    const reference = readFileSync(dockerfile, 'utf8');
    const w = watchCli(['lab-03', '--submission', dir], { DOCKERLAB_HISTORY: history });
    try {
      const first = await w.until((o) => /^Score: 20\/20/m.test(o), 'first grade');
      await w.until(() => w.stderr().includes('Watching '), 'the watching line', 10_000);
      // An editor's swap file alone grades nothing.
      writeFileSync(path.join(dir, '.Dockerfile.swp'), 'x');
      await new Promise((r) => setTimeout(r, 1000));
      expect(w.stdout().match(/^Score:/gm)).toHaveLength(1);

      writeFileSync(dockerfile, reference.replace(/^USER appuser$/m, 'USER root'));
      const broken = await w.until((o) => diffLines(o).length === 1, 'the diff after breaking USER');
      expect(diffLines(w.stdout())[0]).toBe('Since the last grade: score 20/20 → 15/20 (−5 pt)');
      expect(w.stdout()).toMatch(/✗ now failing: The image runs as a non-root user, The container's process does not run as root/);

      writeFileSync(dockerfile, reference);
      const fixed = await w.until((o) => diffLines(o).length === 2, 'the diff after fixing it');
      expect(diffLines(w.stdout())[1]).toBe('Since the last grade: score 15/20 → 20/20 (+5 pt)');
      expect(w.stdout()).toMatch(/✓ now passing: The image runs as a non-root user, The container's process does not run as root/);
      console.log(`lab-03 --watch: first grade ${first} ms; save → diff line: ${broken} ms (broken), ${fixed} ms (fixed)`);

      w.child.kill('SIGINT');
      expect(await w.exited).toBe(130);
      expect(await ownedBy(w.child.pid!)).toEqual([]);
      const recorded = JSON.parse(readFileSync(history, 'utf8')) as { labs: Record<string, { score: number; maxScore: number }> };
      expect(recorded.labs['lab-03']).toMatchObject({ score: 20, maxScore: 20 });
    } finally {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
    }
  });

  it('grades a script lab twice in one sandbox, reset in between', async () => {
    cpSync(path.join(ROOT, 'labs/lab-01/tests/reference'), dir, { recursive: true });
    const script = path.join(dir, 'commands.sh');
    const w = watchCli(['lab-01', '--submission', dir], { DOCKERLAB_HISTORY: history });
    try {
      const first = await w.until((o) => /^Score: 12\/12/m.test(o), 'first grade');
      await w.until(() => w.stderr().includes('Watching '), 'the watching line', 10_000);
      // The same script again: containers named mon-serveur and ancien must not be there from the first grading.
      writeFileSync(script, `${readFileSync(script, 'utf8')}# saved again\n`);
      const second = await w.until((o) => diffLines(o).length === 1, 'the second grade');
      expect(diffLines(w.stdout())[0]).toBe('Since the last grade: nothing changed (score 12/12)');
      expect(w.stderr()).toMatch(/the sandbox kept from the last grading is reset \(\d+ ms\) and reused/);
      const sandboxes = (await runtime.docker.listContainers({ filters: JSON.stringify({ label: ['dockerlab.sandbox.role=sandbox'] }) })).filter((c) => c.Labels[OWNER_LABEL]?.split(':')[2] === String(w.child.pid));
      expect(sandboxes).toHaveLength(1);
      console.log(`lab-01 --watch: first grade (opens the sandbox) ${first} ms; save → second grade ${second} ms (sandbox reused)`);

      w.child.kill('SIGINT');
      expect(await w.exited).toBe(130);
      expect(w.stderr()).toContain('--watch opened 1 sandbox(es), reused 1 time(s)');
      expect(await ownedBy(w.child.pid!)).toEqual([]);
      expect(existsSync(history)).toBe(true);
    } finally {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
    }
  });
});
