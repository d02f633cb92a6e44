import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { GradescopeResults } from '../../grader/src/report/gradescope.js';
import { runtime } from '../helpers/engine.js';
import { assembleSubmission, removeDir, ROOT } from '../helpers/submissions.js';

/**
 * Gradescope and PrairieLearn grade against an engine named by DOCKER_HOST, so the
 * ports published by the student's containers must be probed on that engine's
 * host, not on 127.0.0.1. This machine's engine is exposed on its Docker bridge
 * address (not loopback) through socat, and the CLI grades lab-03's reference
 * through it, writing Gradescope's results.json.
 */
const PORT = 23750;
const CLI = path.join(ROOT, 'grader/dist/cli.js');

/**
 * The engine's bridge address on this machine: the IPAM gateway, or (Debian's
 * 20.10 leaves it out) docker0's address — read with `ip`, since Node lists only
 * interfaces that are up and running, and docker0 is down while no container
 * uses the default bridge.
 */
async function bridgeAddress(): Promise<string> {
  const network = (await runtime.docker.getNetwork('bridge').inspect()) as { IPAM?: { Config?: { Gateway?: string }[] } };
  const gateway = network.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
  const listed = os.networkInterfaces().docker0?.find((a) => a.family === 'IPv4')?.address;
  const fromIp = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(spawnSync('ip', ['-4', '-o', 'addr', 'show', 'docker0'], { encoding: 'utf8' }).stdout ?? '')?.[1];
  const address = gateway ?? listed ?? fromIp;
  if (!address) throw new Error('the engine\'s "bridge" network has no gateway and there is no docker0 interface: cannot expose the engine on a non-loopback address');
  return address;
}

function ensureSocat(): void {
  if (spawnSync('socat', ['-V']).status === 0) return;
  // Debian's package; `npm run provision` installs it too.
  const install = spawnSync('bash', ['-c', 'apt-get install -y --no-install-recommends socat || (apt-get update && apt-get install -y --no-install-recommends socat)'], { encoding: 'utf8' });
  if (install.status !== 0 || spawnSync('socat', ['-V']).status !== 0) throw new Error(`socat is missing and could not be installed (apt-get install socat): ${install.stderr}`);
}

async function listening(host: string, port: number, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${withinMs} ms (socat did not start?)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('grading against a remote engine (DOCKER_HOST=tcp://…)', () => {
  let socat: ChildProcess | undefined;
  let socatLog = '';
  let address: string;
  let submission: string;
  let out: string;

  beforeAll(async () => {
    ensureSocat();
    address = await bridgeAddress();
    expect(address).not.toMatch(/^127\./);
    socat = spawn('socat', ['-d', '-d', `TCP-LISTEN:${PORT},bind=${address},fork,reuseaddr`, 'UNIX-CONNECT:/var/run/docker.sock'], { stdio: ['ignore', 'ignore', 'pipe'] });
    socat.stderr!.on('data', (chunk: Buffer) => {
      socatLog += chunk.toString();
    });
    await listening(address, PORT, 5000);
    submission = assembleSubmission('lab-03', 'reference');
    out = mkdtempSync(path.join(os.tmpdir(), 'hrep-remote-'));
  });

  afterAll(async () => {
    if (socat && socat.exitCode === null) {
      const exited = new Promise((resolve) => socat!.once('exit', resolve));
      socat.kill('SIGTERM');
      await exited;
    }
    if (submission) removeDir(submission);
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('lab-03\'s reference gets full marks, with its published port probed on the engine\'s host', async () => {
    const results = path.join(out, 'results.json');
    const dockerHost = `tcp://${address}:${PORT}`;
    const child = execa('node', [CLI, 'grade', 'lab-03', '--submission', submission, '--reporter', `gradescope=${results}`, '--lang', 'en', '--quiet'], {
      cwd: ROOT,
      reject: false,
      env: { DOCKER_HOST: dockerHost, NO_COLOR: '1' },
      timeout: 300_000,
    });
    const pid = child.pid;
    const run = await child;
    const report = JSON.parse(readFileSync(results, 'utf8')) as GradescopeResults;
    const lost = report.tests.filter((t) => t.status !== 'passed').map((t) => `${t.name}: ${t.output}`);
    expect(lost).toEqual([]);
    expect(report.score).toBe(report.tests.reduce((sum, t) => sum + t.max_score, 0));
    expect(run.exitCode).toBe(0);
    // The grading really went through the tcp:// address, and the container's port was published on the engine's host.
    expect(socatLog).toMatch(/accepting connection from/);
    expect(report.output.replace(/\\/g, '')).toContain(`${address}:`);

    // Nothing of this run is left on the engine (its objects carry the CLI's pid in their owner label).
    const ours = (labels: Record<string, string> | undefined) => (labels?.['dockerlab.owner'] ?? '').split(':')[2] === String(pid);
    const containers = await runtime.docker.listContainers({ all: true, filters: JSON.stringify({ label: ['dockerlab'] }) });
    expect(containers.filter((c) => ours(c.Labels)).map((c) => c.Names[0])).toEqual([]);
  });
});
