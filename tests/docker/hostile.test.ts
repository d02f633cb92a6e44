import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execa, type Result as ExecaResult } from 'execa';
import { journalDir, readJournals } from '../../grader/src/build/journal.js';
import { createHostRuntime } from '../../grader/src/engine/runtime.js';
import { ensureSandboxImage } from '../../grader/src/sandbox/sandbox.js';
import { findFirewallTools } from '../../grader/src/sandbox/firewall.js';
import { grade } from '../../grader/src/grade.js';
import { pollUntil } from '../../grader/src/lib/poll.js';
import type { Result } from '../../grader/src/result.js';
import { runtime } from '../helpers/engine.js';
import { entriesStartingWith, hostObjects, leftovers, maxRssMb, mentioning, newObjects, runnerCommands } from '../helpers/hostile.js';
import { assembleSubmission, FIXTURES, removeDir, ROOT } from '../helpers/submissions.js';

/**
 * The hostile-submission suite (issue 6, §5): each row of the issue's table is a
 * fixture under tests/fixtures/hostile/<row>/ graded by the real grader — in
 * process through grade(), or through the CLI where the row is about the process
 * (signals, kill -9, memory, terminal output) — with what "contained" means for it
 * asserted on the host: files, processes, listeners, the engine's objects.
 *
 * Throw-away lab specs (lab-81 … lab-88) are written into temp folders. Every
 * grading of this file gets a private TMPDIR, so what the grader leaves in its temp
 * folder can be seen too. Measured numbers go to .dockerlab/hostile-evidence.json
 * (the source of tests/fixtures/hostile/TABLE.md).
 */

const CLI = path.join(ROOT, 'grader/dist/cli.js');
const HOSTILE = path.join(FIXTURES, 'hostile');
const TOKEN = randomBytes(6).toString('hex');
/** Everything this file makes by hand (submissions, lab specs, logs). */
const WORK = mkdtempSync(path.join(os.tmpdir(), 'hhst-work-'));
/** The TMPDIR of every grading of this file, in process and in the CLI. */
const GRADER_TMP = mkdtempSync(path.join(os.tmpdir(), 'hhst-tmpdir-'));
/** The same images for every script lab: the sandboxes share one pre-seeded store (sandbox.test.ts uses it too). */
const SANDBOX_IMAGES = ['nginx:1.27', 'busybox:1.36', 'debian:bookworm-slim'];
const classic = createHostRuntime({ builder: 'classic' });
const evidence: Record<string, unknown> = {};
const hasGnuTime = existsSync('/usr/bin/time');
/** Whether the grader can give sandbox networks firewall rules here (root, the iptables Docker uses): the reason when not. */
const firewall = await findFirewallTools();
const hasBuildx = (() => {
  try {
    execFileSync('docker', ['buildx', 'version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// ---------------------------------------------------------------- helpers

function writeLab(id: string, workload: object, steps: object[]): string {
  const dir = mkdtempSync(path.join(WORK, `${id}-`));
  writeFileSync(path.join(dir, 'lab.json'), JSON.stringify({ id, title: { fr: 'Rendu hostile', en: 'Hostile submission' }, lang: 'en', workload, steps }, null, 2));
  return dir;
}

const scriptLab = (id: string, timeoutSeconds: number) =>
  writeLab(id, { kind: 'script', timeoutSeconds, objects: {}, images: SANDBOX_IMAGES }, [{ id: 'completes', kind: 'script-completes', points: 1 }]);

/** A copy of a row's fixture, with `hostile.env` (what the script needs to know of the host) when given. */
function submissionOf(row: string, env?: Record<string, string>, dir = mkdtempSync(path.join(WORK, `sub-${row}-`))): string {
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(HOSTILE, row), dir, { recursive: true });
  if (env) writeFileSync(path.join(dir, 'hostile.env'), Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
  return dir;
}

interface Graded {
  result: Result;
  /** The script's or build's whole output, as the grader logged it. */
  output: string;
  seconds: number;
  runId: string;
  /** Objects labelled with the run id once grade() returned. */
  left: string[];
}

async function gradeRow(row: string, lab: string, options: { env?: Record<string, string>; sandboxLimits?: object; runId?: string } = {}): Promise<Graded> {
  const submission = submissionOf(row, options.env);
  const logsDir = mkdtempSync(path.join(WORK, `logs-${row}-`));
  const runId = options.runId ?? newRunId();
  const started = Date.now();
  const result = await grade({ lab, submission, lang: 'en', runtime, runId, logsDir, ...(options.sandboxLimits ? { sandboxLimits: options.sandboxLimits } : {}) });
  const seconds = (Date.now() - started) / 1000;
  const output = readdirSync(logsDir).map((file) => readFileSync(path.join(logsDir, file), 'utf8')).join('\n');
  return { result, output, seconds, runId, left: await leftovers(`dockerlab.run=${runId}`) };
}

/**
 * Seconds from the sandbox ready to the grading's end (the result's stage timings: workload, steps,
 * cleanup). A time limit is the grader's promise about these; how long this machine takes to start a
 * sandbox (much longer when other test lanes share its cores) is not, and is bounded apart.
 */
const afterIsolation = (graded: Graded) => {
  const t = graded.result.timings;
  return t ? (t.workload + t.steps + t.cleanup) / 1000 : graded.seconds;
};
/** Whole grading, a bound on hangs only (isolation included): the stage timings, to say where time went. */
const expectNoHang = (graded: Graded, limitSeconds: number) =>
  expect({ seconds: graded.seconds, timings: graded.result.timings, bounded: graded.seconds < limitSeconds + 60 }).toMatchObject({ bounded: true });

const newRunId = () => `hhst${randomBytes(5).toString('hex')}`;
const statusOf = (result: Result) => Object.fromEntries(result.checks.map((c) => [c.id, c.status]));

function cli(args: string[], env: Record<string, string> = {}, { time = false }: { time?: boolean } = {}): Promise<ExecaResult> {
  const argv = [CLI, ...args];
  return execa(time && hasGnuTime ? '/usr/bin/time' : 'node', time && hasGnuTime ? ['-v', 'node', ...argv] : argv, {
    cwd: ROOT,
    reject: false,
    env: { NO_COLOR: '1', TMPDIR: GRADER_TMP, ...env },
  });
}

function spawnCli(args: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn('node', [CLI, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', TMPDIR: GRADER_TMP }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

/** The run id of the sandbox (or seeder) a grader process owns, once it exists. */
async function runIdOwnedBy(pid: number, lab: string): Promise<string | null> {
  const { value } = await pollUntil(async () => {
    const found = await hostObjects(`dockerlab.lab=${lab}`);
    return found.containers.find((c) => c.labels['dockerlab.owner']?.split(':')[2] === String(pid))?.labels['dockerlab.run'] ?? null;
  }, (id) => id !== null, 60_000, { firstDelayMs: 100, maxDelayMs: 200 });
  return value;
}

/** Limits of a run's sandbox and the most it used, read from its cgroup while it lives. */
function watchSandbox(runId: string): { stop(): Promise<{ memoryLimitMiB: number | null; pidsLimit: number | null; maxPids: number; maxMemoryMiB: number }> } {
  let stopped = false;
  let maxPids = 0;
  let maxMemory = 0;
  let memoryLimit: number | null = null;
  let pidsLimit: number | null = null;
  const read = (file: string) => {
    try {
      const value = Number(readFileSync(file, 'utf8').trim());
      return Number.isFinite(value) ? value : 0;
    } catch {
      return 0;
    }
  };
  const loop = (async () => {
    let id: string | null = null;
    while (!stopped && id === null) {
      id = await runtime.docker.getContainer(`dockerlab-sandbox-${runId}`).inspect().then((i) => {
        memoryLimit = i.HostConfig.Memory ?? null;
        pidsLimit = i.HostConfig.PidsLimit ?? null;
        return i.Id;
      }, () => null);
      if (id === null) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // cgroup v1 with the cgroupfs driver (this project's machines), or v2 with systemd (GitHub runners).
    const v1 = (controller: string, file: string) => `/sys/fs/cgroup/${controller}/docker/${id}/${file}`;
    const v2 = (file: string) => `/sys/fs/cgroup/system.slice/docker-${id}.scope/${file}`;
    while (!stopped) {
      const pids = Math.max(read(v1('pids', 'pids.current')), read(v2('pids.current')));
      const memory = Math.max(read(v1('memory', 'memory.max_usage_in_bytes')), read(v2('memory.peak')), read(v2('memory.current')));
      maxPids = Math.max(maxPids, pids);
      maxMemory = Math.max(maxMemory, memory);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const mib = (n: number | null) => (n === null ? null : Math.round(n / 1024 / 1024));
      return { memoryLimitMiB: mib(memoryLimit), pidsLimit, maxPids, maxMemoryMiB: mib(maxMemory) ?? 0 };
    },
  };
}

/** How long the host takes to answer (engine ping, a new process) while something runs: the worst seen. */
function watchHost(): { stop(): Promise<{ maxPingMs: number; maxSpawnMs: number }> } {
  let stopped = false;
  let maxPingMs = 0;
  let maxSpawnMs = 0;
  const loop = (async () => {
    while (!stopped) {
      let t = Date.now();
      await runtime.docker.ping();
      maxPingMs = Math.max(maxPingMs, Date.now() - t);
      t = Date.now();
      await new Promise((resolve) => execFile('true', resolve));
      maxSpawnMs = Math.max(maxSpawnMs, Date.now() - t);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { maxPingMs, maxSpawnMs };
    },
  };
}

/** The host firewall rules tagged with a run id, as `iptables -S` / `ip6tables -S` list them. */
function firewallRulesOf(runId: string): string[] {
  if ('reason' in firewall) return [];
  const commands = [firewall.iptables, ...(firewall.ip6tables ? [firewall.ip6tables] : [])];
  return commands.flatMap((command) => {
    try {
      return execFileSync(command, ['-w', '5', '-S'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')
        .filter((line) => line.includes(`dockerlab.run=${runId};`))
        .map((line) => `${path.basename(command)} ${line}`);
    } catch {
      return [];
    }
  });
}

/** The rules of a run seen while its grading runs (its sandbox network lives only that long). */
function watchFirewall(runId: string): { stop(): Promise<string[]> } {
  let stopped = false;
  const seen = new Set<string>();
  const loop = (async () => {
    while (!stopped) {
      for (const rule of firewallRulesOf(runId)) seen.add(rule);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return [...seen];
    },
  };
}

/** Runs jobs at most `n` at a time (2 cores: sandboxes two by two). */
function limiter(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (job) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

const sha256 = (file: string) => (existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : 'absent');

/** Images this file's classic builds kept as layer cache (labelled with a lab id of ours): removed with their untagged parents. */
async function removeCacheOf(lab: string): Promise<void> {
  for (const image of (await hostObjects(`dockerlab.lab=${lab}`)).images) await runtime.docker.getImage(image.id).remove({ force: true }).catch(() => undefined);
}

async function removeImagesLabelled(label: string): Promise<void> {
  // Children before parents (images made in the same second list in any order): rounds until none is left or a round removes nothing.
  for (let before = Infinity; ; ) {
    const images = (await hostObjects(label)).images;
    if (images.length === 0 || images.length >= before) return;
    before = images.length;
    for (const image of images) await runtime.docker.getImage(image.id).remove({ noprune: true }).catch(() => undefined);
  }
}

const previousTmpdir = process.env.TMPDIR;
beforeAll(async () => {
  process.env.TMPDIR = GRADER_TMP;
  // The first run on a machine builds the sandbox image (about a minute).
  await ensureSandboxImage(runtime);
}, 600_000);

afterAll(async () => {
  if (previousTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmpdir;
  mkdirSync(path.join(ROOT, '.dockerlab'), { recursive: true });
  writeFileSync(path.join(ROOT, '.dockerlab', 'hostile-evidence.json'), `${JSON.stringify(evidence, null, 2)}\n`);
  for (const lab of ['lab-81', 'lab-82', 'lab-83', 'lab-84', 'lab-85', 'lab-86', 'lab-87', 'lab-88']) await removeCacheOf(lab);
  await removeImagesLabelled(`hhst.token=${TOKEN}`);
  removeDir(WORK);
  removeDir(GRADER_TMP);
});

// ---------------------------------------------------------------- script labs, in sandboxes

describe('script labs: a hostile commands.sh in the sandbox', () => {
  const marker = { path: `/tmp/hhst-marker-${TOKEN}`, content: `hhst-secret-${randomBytes(12).toString('hex')}` };
  const sleepArg = `4242.${randomBytes(3).readUIntBE(0, 3)}`;
  const listenerToken = `hhst-listener-${randomBytes(12).toString('hex')}`;
  const secret = `hhst-grader-secret-${randomBytes(12).toString('hex')}`;
  const githubToken = `ghp_${randomBytes(18).toString('hex')}`;
  const bashrc = path.join(os.homedir(), '.bashrc');
  const bashrcBefore = sha256(bashrc);
  const rows = new Map<string, Promise<unknown>>();
  let hostSleep: ChildProcess;
  let listener: http.Server;
  let listenerHits = 0;
  let port = 0;
  let wideListener: http.Server;
  let wideHits = 0;
  let widePort = 0;
  let bystanderId = '';
  // Not named with TOKEN: the around-the-shim row looks for TOKEN in every object of the host.
  const bystanderName = `hhst-bystander-${randomBytes(6).toString('hex')}`;
  let hostBefore: Awaited<ReturnType<typeof hostObjects>>;

  /** Starts a row now (two at a time); its test awaits it. */
  const run = limiter(2);
  function start<T>(row: string, job: () => Promise<T>): void {
    const promise = run(job);
    promise.catch(() => undefined);
    rows.set(row, promise);
  }
  const row = <T>(name: string) => rows.get(name) as Promise<T>;

  beforeAll(async () => {
    writeFileSync(marker.path, marker.content);
    hostSleep = spawn('sleep', [sleepArg], { stdio: 'ignore' });
    listener = http.createServer((_request, response) => {
      listenerHits++;
      response.end(listenerToken);
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
    wideListener = http.createServer((_request, response) => {
      wideHits++;
      response.end(listenerToken);
    });
    await new Promise<void>((resolve) => wideListener.listen(0, '0.0.0.0', resolve));
    widePort = (wideListener.address() as { port: number }).port;
    const bystander = await runtime.docker.createContainer({ name: bystanderName, Image: 'busybox:1.36', Cmd: ['sleep', '600'] });
    await bystander.start();
    bystanderId = bystander.id;
    hostBefore = await hostObjects();

    const lab = scriptLab('lab-81', 30);
    const quick = scriptLab('lab-81', 8);
    start('mount-host-root', () => gradeRow('mount-host-root', lab, { env: { MARKER: marker.path } }));
    start('pid-host', () => gradeRow('pid-host', lab));
    start('network-host', () => gradeRow('network-host', lab, { env: { PORT: String(port) } }));
    start('network-host-all-addresses', async () => {
      const runId = newRunId();
      const watch = watchFirewall(runId);
      const graded = await gradeRow('network-host', lab, { env: { PORT: String(widePort) }, runId });
      return { graded, rulesWhileOpen: await watch.stop(), rulesAfter: firewallRulesOf(runId) };
    });
    start('docker-socket', () => gradeRow('docker-socket', lab));
    start('around-the-shim', async () => {
      const graded = await gradeRow('around-the-shim', lab, { env: { TOKEN } });
      return { graded, after: await hostObjects() };
    });
    start('remove-all-containers', () => gradeRow('remove-all-containers', lab));
    start('limits-removed', async () => {
      const runId = newRunId();
      const watch = watchSandbox(runId);
      const graded = await gradeRow('limits-removed', scriptLab('lab-81', 40), { env: { TOKEN }, runId, sandboxLimits: { memoryMiB: 512, diskMiB: 768, pids: 400 } });
      return { graded, bounds: await watch.stop() };
    });
    start('host-files-and-env', async () => {
      const labDir = writeLab('lab-84', { kind: 'script', timeoutSeconds: 30, objects: {}, images: SANDBOX_IMAGES }, [{ id: 'completes', kind: 'script-completes', points: 1 }]);
      const logs = path.join(ROOT, '.dockerlab', 'logs');
      for (const file of entriesStartingWith(logs, 'lab-84-')) rmSync(path.join(logs, file), { force: true });
      const json = path.join(WORK, 'host-files.json');
      const cliRun = await cli([labDir, '--submission', submissionOf('host-files-and-env', { TOKEN }), '--lang', 'en', '--reporter', 'terminal', '--reporter', `json=${json}`], { DOCKERLAB_TEST_SECRET: secret, GITHUB_TOKEN: githubToken });
      const logFiles = existsSync(logs) ? entriesStartingWith(logs, 'lab-84-').map((f) => readFileSync(path.join(logs, f), 'utf8')).join('\n') : '';
      return { cliRun, json: existsSync(json) ? readFileSync(json, 'utf8') : '', logFiles };
    });
    start('setsid-child', () => gradeRow('setsid-child', quick));
    start('setsid-child-hung', () => gradeRow('setsid-child-hung', quick));
    start('fork-bomb', async () => {
      const runId = newRunId();
      const sandbox = watchSandbox(runId);
      const host = watchHost();
      const graded = await gradeRow('fork-bomb', quick, { runId });
      return { graded, bounds: await sandbox.stop(), host: await host.stop() };
    });
    start('memory-hog', async () => {
      const runId = newRunId();
      const sandbox = watchSandbox(runId);
      const host = watchHost();
      const graded = await gradeRow('memory-hog', lab, { runId, sandboxLimits: { memoryMiB: 512, diskMiB: 768 } });
      return { graded, bounds: await sandbox.stop(), host: await host.stop() };
    });
  }, 600_000);

  afterAll(async () => {
    await Promise.allSettled(rows.values());
    hostSleep?.kill('SIGKILL');
    await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (wideListener ? wideListener.close(() => resolve()) : resolve()));
    rmSync(marker.path, { force: true });
    await runtime.docker.getContainer(bystanderName).remove({ force: true }).catch(() => undefined);
  });

  /** What every sandboxed row must show: a verdict, no object of the run left, the sandbox said so. */
  function contained(graded: Graded): void {
    expect(graded.result.isolation).toBe('sandbox');
    // Under a profile that holds this table (sandbox/profiles.ts): the only kind the grader chooses.
    expect(graded.result.sandbox).toMatchObject({ safe: true, profile: 'rootless' });
    expect(graded.result.checks.every((c) => c.status === 'passed' || c.status === 'failed')).toBe(true);
    expect(graded.left).toEqual([]);
  }

  it('`docker run -v /:/host busybox cat /host/<marker>`: the marker the test wrote on the host is not readable', async () => {
    const graded = await row<Graded>('mount-host-root');
    contained(graded);
    expect(graded.output).toContain('hostile-row: mount-host-root done');
    expect(graded.output).toMatch(/cat exit=[1-9]/);
    expect(graded.output).not.toContain(marker.content);
    expect(JSON.stringify(graded.result)).not.toContain(marker.content);
    evidence['mount-host-root'] = { seconds: graded.seconds, markerRead: graded.output.includes(marker.content), left: graded.left.length };
  });

  it('`--pid=host`: the host process the test started (a sleep with a unique argument) is not seen', async () => {
    const graded = await row<Graded>('pid-host');
    contained(graded);
    expect(hostSleep.exitCode).toBeNull();
    expect(graded.output).toContain('hostile-row: pid-host done');
    expect(graded.output).not.toContain(sleepArg);
    // The host's process still runs: the `kill -9 1` of a --pid=host container did not reach the host's init either.
    expect(() => process.kill(hostSleep.pid!, 0)).not.toThrow();
    evidence['pid-host'] = { seconds: graded.seconds, hostProcessSeen: graded.output.includes(sleepArg), pidHostRun: /ps exit=(\d+)/.exec(graded.output)?.[1], left: graded.left.length };
  });

  it('`--network=host`: the listener the test opened on the host\'s 127.0.0.1 is not reached', async () => {
    const graded = await row<Graded>('network-host');
    contained(graded);
    expect(graded.output).toContain('hostile-row: network-host done');
    expect(graded.output).not.toContain(listenerToken);
    expect(listenerHits).toBe(0);
    evidence['network-host'] = { seconds: graded.seconds, requestsReceived: listenerHits, left: graded.left.length };
  });

  // The sandbox sits on an ordinary bridge network of the host engine, so (like any container)
  // it would reach what the host serves on all its addresses through its gateway. Its network's
  // firewall rules (sandbox/firewall.ts) drop that; where the grader cannot set them (not root,
  // no iptables, another network namespace) the sandbox says so and this is a known failure.
  ('reason' in firewall ? it.failing : it)(`a host service listening on all addresses is not reached either${'reason' in firewall ? ` (KNOWN FAILURE here: ${firewall.reason})` : ''}`, async () => {
    const { graded, rulesWhileOpen, rulesAfter } = await row<{ graded: Graded; rulesWhileOpen: string[]; rulesAfter: string[] }>('network-host-all-addresses');
    contained(graded);
    evidence['network-host-all-addresses'] = {
      seconds: graded.seconds,
      requestsReceived: wideHits,
      reachedFrom: [...graded.output.matchAll(/(host network|script), gateway[^:]*: exit=0/g)].map((m) => m[0]),
      rulesWhileOpen,
      rulesLeft: rulesAfter.length,
      left: graded.left.length,
    };
    expect(graded.output).toContain('hostile-row: network-host done');
    expect(wideHits).toBe(0);
    expect(graded.output).not.toContain(listenerToken);
    // The network's rules were there while it lived (INPUT, link-local, published ports, IPv6 where there is one), and went with it.
    expect(rulesWhileOpen.length).toBeGreaterThanOrEqual(3);
    expect(rulesAfter).toEqual([]);
  });

  it('mounting /var/run/docker.sock (or curl on any socket it finds): the host\'s containers are not listed', async () => {
    const graded = await row<Graded>('docker-socket');
    contained(graded);
    expect(graded.output).toContain('hostile-row: docker-socket done');
    expect(graded.output).not.toContain(bystanderName);
    evidence['docker-socket'] = { seconds: graded.seconds, hostContainerListed: graded.output.includes(bystanderName), left: graded.left.length };
  });

  it('`/usr/bin/docker run …`, `curl --unix-socket …` around the shim: made inside the sandbox, nothing left on the host, labelled or not', async () => {
    const { graded, after } = await row<{ graded: Graded; after: Awaited<ReturnType<typeof hostObjects>> }>('around-the-shim');
    contained(graded);
    // They were made, inside: 4 containers (the one without DOCKER_HOST found no engine at all), 2 volumes (a named and an anonymous one).
    expect(graded.output).toMatch(/no DOCKER_HOST: exit=[1-9]/);
    expect(graded.output).toMatch(/inside: 4 containers, 2 volumes/);
    const appeared = newObjects(hostBefore, after);
    expect(mentioning(appeared, TOKEN)).toEqual([]);
    expect(mentioning(appeared, graded.runId)).toEqual([]);
    expect(mentioning(await hostObjects(), TOKEN)).toEqual([]);
    evidence['around-the-shim'] = { seconds: graded.seconds, madeInside: /inside: (.*)/.exec(graded.output)?.[1], leftOnHost: mentioning(after, TOKEN).length, left: graded.left.length };
  });

  it('`docker rm -f $(docker ps -aq)`: the test\'s bystander container on the host survives', async () => {
    const graded = await row<Graded>('remove-all-containers');
    contained(graded);
    expect(graded.output).toContain('left inside: 0');
    const bystander = await runtime.docker.getContainer(bystanderName).inspect();
    expect(bystander.Id).toBe(bystanderId);
    expect(bystander.State.Running).toBe(true);
    evidence['remove-all-containers'] = { seconds: graded.seconds, bystanderRunning: bystander.State.Running, left: graded.left.length };
  });

  it('`--pids-limit -1 --memory 0`, `docker update`, `--label dockerlab.run=other`: bounded by the sandbox, nothing left', async () => {
    const { graded, bounds } = await row<{ graded: Graded; bounds: Awaited<ReturnType<ReturnType<typeof watchSandbox>['stop']>> }>('limits-removed');
    contained(graded);
    expect(graded.output).toContain('hostile-row: limits-removed done');
    // The sandbox's own bounds: 512 MiB + 768 MiB of store (a tmpfs, counted as memory), 400 processes.
    expect(bounds.memoryLimitMiB).toBe(512 + 768);
    expect(bounds.pidsLimit).toBe(400);
    expect(bounds.maxPids).toBeGreaterThan(0);
    expect(bounds.maxPids).toBeLessThanOrEqual(400);
    expect(bounds.maxMemoryMiB).toBeLessThanOrEqual(512 + 768);
    // The 3 GB hog of a `--memory 0` container was killed; the `--pids-limit -1` one could not start 3,000 processes.
    expect(graded.output).not.toContain('3221225472');
    expect(graded.output).toMatch(/hog: \d+ 137 /);
    const forked = Number(/forked: (\d+)/.exec(graded.output)?.[1] ?? NaN);
    expect(forked).toBeLessThan(400);
    expect(await leftovers(`dockerlab.run=other-${TOKEN}`)).toEqual([]);
    evidence['limits-removed'] = { seconds: graded.seconds, ...bounds, hog: /hog: (.*)/.exec(graded.output)?.[1], forked, left: graded.left.length };
  });

  it('`echo x > /tmp/f`, `>> ~/.bashrc`, printing the environment: no host file written, ~/.bashrc unchanged, the grader\'s secrets shown nowhere', async () => {
    const { cliRun, json, logFiles } = await row<{ cliRun: ExecaResult; json: string; logFiles: string }>('host-files-and-env');
    // Its one check passes: the script ran docker and ended by itself (with exit code 3, which the notes show).
    expect(cliRun.exitCode).toBe(0);
    const result = JSON.parse(json) as Result;
    expect(result.isolation).toBe('sandbox');
    expect(statusOf(result)).toEqual({ completes: 'passed' });
    // It ran, and printed an environment: the sandbox's.
    expect(logFiles).toContain('hostile-row: host-files-and-env done');
    expect(logFiles).toContain('USER=dockerlab');
    expect(existsSync(`/tmp/hhst-file-${TOKEN}`)).toBe(false);
    expect(existsSync(path.join(GRADER_TMP, `hhst-file-${TOKEN}`))).toBe(false);
    expect(sha256(bashrc)).toBe(bashrcBefore);
    for (const [where, text] of Object.entries({ stdout: String(cliRun.stdout), stderr: String(cliRun.stderr), json, logFiles })) {
      expect({ where, secret: text.includes(secret), token: text.includes(githubToken) }).toEqual({ where, secret: false, token: false });
    }
    // The report shows the failed script's last lines: they are the sandbox's environment.
    expect(result.notes.join('\n')).toMatch(/exit code 3|code 3/);
    evidence['host-files-and-env'] = { hostFileWritten: existsSync(`/tmp/hhst-file-${TOKEN}`), bashrcChanged: sha256(bashrc) !== bashrcBefore, secretShown: [cliRun.stdout, cliRun.stderr, json, logFiles].some((t) => String(t).includes(secret)) };
  });

  it('`setsid sleep 90 &` keeping stdout: the script that returns ends its child with it; a hung one ends at its time limit', async () => {
    const child = await row<Graded>('setsid-child');
    contained(child);
    expect(statusOf(child.result)).toEqual({ completes: 'passed' });
    // The script itself returned at once: its children did not hold the grading.
    const ran = Number(/finished in ([\d.]+) s/.exec(child.result.checks[0]!.observed ?? '')?.[1] ?? NaN);
    expect(ran).toBeLessThan(5);
    expect(afterIsolation(child)).toBeLessThan(8 + 5);
    expectNoHang(child, 8);
    const hung = await row<Graded>('setsid-child-hung');
    contained(hung);
    expect(statusOf(hung.result)).toEqual({ completes: 'failed' });
    // bash's DEBUG trap told which line it was stuck on: the last `sleep 90`, not the docker run before it.
    expect(hung.result.checks[0]!.observed).toContain('Line 6 of commands.sh, `sleep 90`, never returned (it is not a docker command).');
    expect(hung.result.checks[0]!.location).toEqual({ file: 'commands.sh', line: 6 });
    expect(afterIsolation(hung)).toBeLessThan(8 + 8);
    expectNoHang(hung, 8);
    evidence['setsid'] = { scriptSeconds: ran, returnsSeconds: child.seconds, returnsAfterIsolation: afterIsolation(child), hungSeconds: hung.seconds, hungAfterIsolation: afterIsolation(hung), limitSeconds: 8, left: child.left.length + hung.left.length };
  });

  it('a fork bomb in commands.sh: a verdict at the time limit, the host responsive, nothing left', async () => {
    const { graded, bounds, host } = await row<{ graded: Graded; bounds: Awaited<ReturnType<ReturnType<typeof watchSandbox>['stop']>>; host: { maxPingMs: number; maxSpawnMs: number } }>('fork-bomb');
    contained(graded);
    expect(statusOf(graded.result)).toEqual({ completes: 'failed' });
    expect(graded.result.checks[0]!.observed).toMatch(/still running after 8 s/);
    // Cut by the time limit, not by the script's own end (its `sleep 60`): measured 5–6 s past the limit on an
    // idle machine, 12 s with two busy loops on this 2-core machine (the kernel tearing down 1,024 forking
    // processes, then the sandbox), as when the engine28 lane runs beside this file.
    expect(afterIsolation(graded)).toBeLessThan(8 + 20);
    expectNoHang(graded, 8);
    expect(bounds.maxPids).toBeLessThanOrEqual(bounds.pidsLimit ?? Infinity);
    expect(host.maxPingMs).toBeLessThan(3000);
    expect(host.maxSpawnMs).toBeLessThan(3000);
    evidence['fork-bomb'] = { seconds: graded.seconds, afterIsolation: afterIsolation(graded), timings: graded.result.timings, ...bounds, ...host, left: graded.left.length };
  });

  it('a memory hog in commands.sh: bounded by the sandbox\'s memory, a verdict, the host responsive, nothing left', async () => {
    const { graded, bounds, host } = await row<{ graded: Graded; bounds: Awaited<ReturnType<ReturnType<typeof watchSandbox>['stop']>>; host: { maxPingMs: number; maxSpawnMs: number } }>('memory-hog');
    contained(graded);
    expect(graded.output).toContain('hostile-row: memory-hog done');
    // tail (which holds the 6 GB line) was killed by the sandbox's memory limit: head got SIGPIPE, tail SIGKILL.
    expect(graded.output).toMatch(/hog: \d+ 137 0/);
    expect(bounds.memoryLimitMiB).toBe(512 + 768);
    expect(bounds.maxMemoryMiB).toBeLessThanOrEqual(512 + 768);
    expect(host.maxPingMs).toBeLessThan(3000);
    evidence['memory-hog'] = { seconds: graded.seconds, ...bounds, ...host, hog: /hog: (.*)/.exec(graded.output)?.[1], left: graded.left.length };
  });

  it('leaves nothing in the grader\'s temp folder (the docker shim\'s folder was left there once per grading)', async () => {
    await Promise.allSettled(rows.values());
    const left = readdirSync(GRADER_TMP).filter((entry) => entry.startsWith('dockerlab-'));
    expect(left).toEqual([]);
  });
});

// ---------------------------------------------------------------- image labs

describe('image labs: hostile output, servers and Dockerfiles', () => {
  it('a CMD printing 1 GB of logs: a normal verdict, grader RSS under 300 MB, nothing left', async () => {
    const labDir = writeLab('lab-82', { kind: 'image', dockerfile: 'Dockerfile', run: {} }, [
      { id: 'builds', kind: 'image-builds', points: 1 },
      { id: 'running', kind: 'container-state', points: 1, status: 'running', requires: ['builds'] },
      { id: 'printed-all', kind: 'logs-contain', points: 1, pattern: 'LOG-FLOOD-DONE', withinSeconds: 120, requires: ['builds'] },
    ]);
    const json = path.join(WORK, 'log-flood.json');
    const started = Date.now();
    const run = await cli([labDir, '--submission', submissionOf('log-flood'), '--lang', 'en', '--quiet', '--reporter', `json=${json}`], {}, { time: true });
    const seconds = (Date.now() - started) / 1000;
    expect(String(run.stderr)).not.toMatch(/RangeError|ERR_STRING_TOO_LONG|internal error|\n\s+at /);
    const result = JSON.parse(readFileSync(json, 'utf8')) as Result;
    // Each check with what it observed: a CI log alone says which one failed, and why.
    expect(result.checks.map((c) => `${c.id} ${c.status}${c.status === 'passed' ? '' : `: ${c.observed ?? c.message}`}`)).toEqual(['builds passed', 'running passed', 'printed-all passed']);
    expect(run.exitCode).toBe(0);
    const rss = maxRssMb(String(run.stderr));
    if (hasGnuTime) expect(rss).toBeLessThan(300);
    expect(await leftovers('dockerlab.lab=lab-82')).toEqual([]);
    evidence['log-flood'] = { seconds, rssMb: rss, exitCode: run.exitCode, score: `${result.score}/${result.maxScore}`, left: 0 };
  }, 300_000);

  it.each(['classic', 'buildkit'] as const)('a RUN printing 1 GB (%s builder): a valid Dockerfile passes, RSS under 300 MB, nothing left', async (builder) => {
    if (builder === 'buildkit' && !hasBuildx) {
      console.warn('no docker buildx on this machine: the BuildKit case of the RUN flood is not run');
      return;
    }
    const labDir = writeLab('lab-83', { kind: 'image', dockerfile: 'Dockerfile' }, [
      { id: 'builds', kind: 'image-builds', points: 1 },
      { id: 'labelled-after', kind: 'image-label', points: 1, name: 'after-flood', requires: ['builds'] },
    ]);
    const submission = submissionOf('build-output-flood');
    const dockerfile = path.join(submission, 'Dockerfile');
    writeFileSync(dockerfile, readFileSync(dockerfile, 'utf8').replaceAll('__TOKEN__', `${TOKEN}-${builder}`));
    const json = path.join(WORK, `build-flood-${builder}.json`);
    const started = Date.now();
    const run = await cli([labDir, '--submission', submission, '--lang', 'en', '--quiet', '--builder', builder, '--reporter', `json=${json}`], {}, { time: true });
    const seconds = (Date.now() - started) / 1000;
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as Result;
    expect(statusOf(result)).toEqual({ builds: 'passed', 'labelled-after': 'passed' });
    const rss = maxRssMb(String(run.stderr));
    if (hasGnuTime) expect(rss).toBeLessThan(300);
    // The whole gigabyte went through the grader (the classic builder streams it all; BuildKit clips it itself).
    const log = readFileSync(path.join(ROOT, '.dockerlab', 'logs', 'lab-83-build.log'), 'latin1');
    const printed = Number(/the build printed (\d+) bytes/.exec(log)?.[1] ?? 0);
    if (builder === 'classic') expect(printed).toBeGreaterThan(1e9);
    // Left on purpose: the classic builder's layer cache, labelled (so `--cleanup --all` finds it); nothing else.
    const left = await hostObjects('dockerlab.lab=lab-83');
    expect([...left.containers, ...left.networks, ...left.volumes, ...left.images.filter((i) => i.tags.length > 0)]).toEqual([]);
    evidence[`build-output-flood-${builder}`] = { seconds, rssMb: rss, bytesThroughGrader: printed, exitCode: run.exitCode, score: `${result.score}/${result.maxScore}`, cacheImagesLabelled: left.images.length };
    await removeCacheOf('lab-83');
  }, 300_000);

  it('an app that sends 2 bytes/s: each http check fails within its window, an endless drip ends, nothing left', async () => {
    const labDir = writeLab('lab-87', { kind: 'image', dockerfile: 'Dockerfile', run: { ports: [8080], ready: { http: { port: 8080, path: '/ready' }, timeoutSeconds: 20 } } }, [
      { id: 'builds', kind: 'image-builds', points: 1 },
      { id: 'finite-drip', kind: 'http', points: 1, port: 8080, path: '/finite', expect: { status: 200, bodyContains: 'complete' }, withinSeconds: 6, requires: ['builds'] },
      { id: 'endless-drip', kind: 'http', points: 1, port: 8080, path: '/endless', expect: { status: 200, bodyContains: 'complete' }, withinSeconds: 6, requires: ['builds'] },
      { id: 'ready', kind: 'http', points: 1, port: 8080, path: '/ready', expect: { status: 200, bodyContains: 'ready' }, requires: ['builds'] },
    ]);
    const graded = await gradeRow('drip-server', labDir);
    expect(statusOf(graded.result)).toEqual({ builds: 'passed', 'finite-drip': 'failed', 'endless-drip': 'failed', ready: 'passed' });
    const durations = Object.fromEntries(graded.result.checks.map((c) => [c.id, c.durationMs / 1000]));
    // The window, plus one request's total time limit (3 s) at most.
    expect(durations['finite-drip']).toBeLessThan(6 + 3.5);
    expect(durations['endless-drip']).toBeLessThan(6 + 3.5);
    expect(graded.result.checks.find((c) => c.id === 'endless-drip')!.observed).toMatch(/no complete answer/);
    expect(graded.seconds).toBeLessThan(60);
    expect(graded.left).toEqual([]);
    evidence['drip'] = { seconds: graded.seconds, finiteSeconds: durations['finite-drip'], endlessSeconds: durations['endless-drip'], left: graded.left.length };
  }, 120_000);

  describe('10,000 LABEL lines (classic builder: an image per instruction)', () => {
    const labelLab = () => writeLab('lab-86', { kind: 'image', dockerfile: 'Dockerfile', buildTimeoutSeconds: 8 }, [{ id: 'builds', kind: 'image-builds', points: 1 }]);
    const submission = (token: string) => {
      const dir = submissionOf('label-flood');
      const file = path.join(dir, 'Dockerfile');
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll('__TOKEN__', token));
      return dir;
    };
    /** Images of that build: each inherits the token label of its second line. */
    const imagesOf = async (token: string) => (await hostObjects(`hhst.token=${token}`)).images;

    it('stopped at its time limit: no image of it is left, labelled or not', async () => {
      const token = `${TOKEN}-limit`;
      const dir = submission(token);
      const runId = newRunId();
      const started = Date.now();
      const result = await grade({ lab: labelLab(), submission: dir, lang: 'en', runtime: classic, runId, logsDir: null });
      const seconds = (Date.now() - started) / 1000;
      const builds = result.checks[0]!;
      expect(builds.status).toBe('failed');
      expect(builds.observed).toMatch(/time limit \(8 s\)/);
      expect(await imagesOf(token)).toEqual([]);
      expect(await leftovers(`dockerlab.run=${runId}`)).toEqual([]);
      evidence['label-flood-time-limit'] = { seconds, stoppedAt: /line (\d+)/.exec(builds.observed ?? '')?.[1], imagesLeft: 0 };
    }, 120_000);

    it('interrupted (Ctrl-C) mid-build: no image of it is left', async () => {
      const token = `${TOKEN}-int`;
      const cliRun = spawnCli([labelLab(), '--submission', submission(token), '--lang', 'en', '--builder', 'classic']);
      const { met } = await pollUntil(async () => (await imagesOf(token)).length, (n) => n >= 15, 60_000, { firstDelayMs: 200 });
      expect(met).toBe(true);
      const made = (await imagesOf(token)).length;
      cliRun.child.kill('SIGINT');
      expect(await cliRun.exited).toBe(130);
      expect(await imagesOf(token)).toEqual([]);
      evidence['label-flood-interrupted'] = { imagesBeforeInterrupt: made, imagesLeft: 0 };
    }, 120_000);

    /** Journals of classic builds in the graders' temp folder (build/journal.ts), as read back. */
    const journals = () => readJournals(journalDir(GRADER_TMP));

    /**
     * Starts a CLI grading of the flood and kills it with -9 once its journal names 15 images it made; what it left.
     * Polled on the journal, not on the engine: the engine commits a step's image before the grader reads the
     * line that names it, so on a busy machine the engine can hold one more than the journal when the kill lands
     * (the next grading's sweep removes that one as a late descendant; the test below checks it does).
     */
    async function killMidBuild(token: string): Promise<{ imagesLeft: number; labelled: number; journalsLeft: number; imagesInJournal: number }> {
      const cliRun = spawnCli([labelLab(), '--submission', submission(token), '--lang', 'en', '--builder', 'classic']);
      const ofKilled = () => journals().filter((j) => j.owner.split(':')[2] === String(cliRun.child.pid));
      const { met } = await pollUntil(async () => ofKilled().flatMap((j) => j.images.filter((i) => i.made)).length, (n) => n >= 15, 60_000, { firstDelayMs: 200 });
      expect(met).toBe(true);
      cliRun.child.kill('SIGKILL');
      await cliRun.exited;
      const left = await imagesOf(token);
      const journalled = ofKilled();
      return { imagesLeft: left.length, labelled: left.filter((i) => i.labels.dockerlab).length, journalsLeft: journalled.length, imagesInJournal: journalled.flatMap((j) => j.images.filter((i) => i.made)).length };
    }

    // A classic build's images get the grader's labels only with its last step: killed with -9,
    // the docker CLI dies of SIGPIPE, the daemon stops the build, and what it committed stays,
    // unlabelled. The build's journal (build/journal.ts) names them for the next grading's sweep.
    it('killed with -9 mid-build: after one more grading, no image of it is left, nor its journal', async () => {
      const token = `${TOKEN}-kill`;
      try {
        const killed = await killMidBuild(token);
        // Left unlabelled by the kill, and named by the killed build's journal.
        expect(killed.labelled).toBe(0);
        expect(killed.journalsLeft).toBe(1);
        expect(killed.imagesInJournal).toBeGreaterThanOrEqual(15);
        // One more grading: it sweeps what dead graders left. Through the CLI, as the killed one: jest gives
        // the test its own process.env, so an in-process grading would not see GRADER_TMP, where the journal is.
        const started = Date.now();
        const next = await cli([labelLab(), '--submission', submission(`${TOKEN}-next`), '--lang', 'en', '--builder', 'classic']);
        const seconds = (Date.now() - started) / 1000;
        expect(String(next.stdout)).toMatch(/time limit \(8 s\)/);
        const left = await imagesOf(token);
        evidence['label-flood-killed'] = { ...killed, imagesLeftAfterNextGrading: left.length, journalsLeftAfterNextGrading: journals().length, nextGradingSeconds: seconds };
        expect(left).toEqual([]);
        expect(journals()).toEqual([]);
      } finally {
        await removeImagesLabelled(`hhst.token=${token}`);
        await removeImagesLabelled(`hhst.token=${TOKEN}-next`);
      }
    }, 120_000);

    it('killed with -9 mid-build: `--cleanup` removes its images too', async () => {
      const token = `${TOKEN}-kill-cleanup`;
      try {
        const killed = await killMidBuild(token);
        expect(killed.labelled).toBe(0);
        expect(killed.journalsLeft).toBe(1);
        const cleanup = await cli(['--cleanup']);
        expect(cleanup.exitCode).toBe(0);
        const left = await imagesOf(token);
        evidence['label-flood-killed-cleanup'] = { ...killed, cleanupSaid: String(cleanup.stdout).trim(), imagesLeftAfterCleanup: left.length, journalsLeftAfterCleanup: journals().length };
        expect(left).toEqual([]);
        expect(journals()).toEqual([]);
      } finally {
        await removeImagesLabelled(`hhst.token=${token}`);
      }
    }, 120_000);
  });

  it('ANSI escapes in a label, an env value, a log line; a folder name with a newline; a forged `::notice … Points 100/100`: no raw escape, no command for the runner, one true Points notice', async () => {
    const labDir = writeLab('lab-85', { kind: 'image', dockerfile: 'Dockerfile', run: {} }, [
      { id: 'builds', kind: 'image-builds', points: 1 },
      { id: 'label-version', kind: 'image-label', points: 1, name: 'version', value: '1.0', requires: ['builds'] },
      { id: 'env-mode', kind: 'image-env', points: 1, name: 'MODE', value: 'production', requires: ['builds'] },
      { id: 'logs-ready', kind: 'logs-contain', points: 1, pattern: 'server ready', withinSeconds: 3, requires: ['builds'] },
      { id: 'no-forgery', kind: 'logs-contain', points: 1, pattern: 'Autograding', absent: true, withinSeconds: 2, requires: ['builds'] },
    ]);
    const folder = path.join(mkdtempSync(path.join(WORK, 'text-')), 'sub\n::notice title=Autograding complete::Points 100/100\x1b[2J\x1b]0;x\x07');
    const submission = submissionOf('hostile-text', undefined, folder);
    const summary = path.join(WORK, 'step-summary.md');
    const output = path.join(WORK, 'github-output');
    const json = path.join(WORK, 'text.json');
    writeFileSync(summary, '');
    writeFileSync(output, '');
    // Classic builder: BuildKit (buildx 0.13) cannot build a context whose folder name holds a newline (see TABLE.md).
    const run = await cli([labDir, '--submission', submission, '--lang', 'en', '--builder', 'classic', '--reporter', 'terminal', '--reporter', 'github', '--reporter', `json=${json}`], {
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_OUTPUT: output,
    });
    const result = JSON.parse(readFileSync(json, 'utf8')) as Result;
    expect(statusOf(result)).toEqual({ builds: 'passed', 'label-version': 'failed', 'env-mode': 'failed', 'logs-ready': 'failed', 'no-forgery': 'failed' });
    const stdout = String(run.stdout);
    const stderr = String(run.stderr);
    // The student's text is in the report (neutralised), not dropped.
    expect(stdout).toMatch(/Points 100\/100/);
    for (const [where, text] of Object.entries({ stdout, stderr, summary: readFileSync(summary, 'utf8'), output: readFileSync(output, 'utf8') })) {
      expect({ where, escape: /[\x1b\x9b\x07]/.test(text) }).toEqual({ where, escape: false });
    }
    // What GitHub's runner would execute: the grader's own annotations and exactly one Points notice, the real score.
    const commands = runnerCommands(stdout).concat(runnerCommands(stderr));
    expect(commands.filter((c) => !['error', 'warning', 'notice'].includes(c.name))).toEqual([]);
    // (The forged line also shows, escaped and on one line, inside the error annotation of the check that caught it.)
    const points = commands.filter((c) => c.name === 'notice' && /Points \d/.test(c.line));
    expect(points.map((c) => c.line)).toEqual([`::notice title=Autograding complete::Points ${result.score}/${result.maxScore}`]);
    expect(commands.filter((c) => c.name === 'notice').map((c) => c.line)).toEqual([
      `::notice title=Autograding complete::Points ${result.score}/${result.maxScore}`,
      `::notice title=Autograding report::${JSON.stringify({ totalPoints: result.score, maxPoints: result.maxScore })}`,
    ]);
    expect(readFileSync(summary, 'utf8').split('\n').filter((l) => /^\s*::|##\[/.test(l))).toEqual([]);
    expect(readFileSync(output, 'utf8')).not.toMatch(/Points 100/);
    expect(await leftovers('dockerlab.lab=lab-85').then((l) => l.filter((o) => !o.startsWith('image ')))).toEqual([]);
    evidence['hostile-text'] = { rawEscapes: 0, runnerCommands: commands.map((c) => c.name), pointsNotices: points.length, score: `${result.score}/${result.maxScore}` };
  }, 120_000);
});

describe('hostile specs and paths', () => {
  it('fuzzed lab.json\'s worst finds (`../../../../etc/shadow`, `points: 1e12`, `^(a+)+$`): refused before anything runs, each at its JSON path', async () => {
    const labDir = writeLab('lab-88', { kind: 'image', dockerfile: '../../../../etc/shadow', context: '../../../../' }, [
      { id: 'builds', kind: 'image-builds', points: 1e12 },
      { id: 'logs', kind: 'logs-contain', points: 1, pattern: '^(a+)+$', regex: true },
    ]);
    const started = Date.now();
    const run = await cli([labDir, '--submission', submissionOf('log-flood')]);
    const seconds = (Date.now() - started) / 1000;
    expect(run.exitCode).toBe(2);
    const said = String(run.stderr);
    expect(said).toMatch(/lab\.json:\d+:\d+ \/workload\/dockerfile: must be a relative path inside the folder/);
    expect(said).toMatch(/lab\.json:\d+:\d+ \/workload\/context: must be a relative path inside the folder/);
    expect(said).toMatch(/lab\.json:\d+:\d+ \/steps\/0\/points: must be <= 100/);
    expect(said).toMatch(/lab\.json:\d+:\d+ \/steps\/1\/pattern: this regular expression can backtrack catastrophically/);
    expect(said).not.toMatch(/\n\s+at /);
    expect(await leftovers('dockerlab.lab=lab-88')).toEqual([]);
    evidence['hostile-spec'] = { exitCode: run.exitCode, seconds, problems: said.split('\n').filter((l) => /lab\.json:\d+:\d+/.test(l)).length };
  });

  it('a Dockerfile that is a link to a host file: not built, its text never quoted', async () => {
    const secretFile = path.join(WORK, `hhst-host-secret-${TOKEN}`);
    const secretText = `hhst-host-file-${randomBytes(12).toString('hex')}`;
    writeFileSync(secretFile, `FROM busybox:1.36\nLABEL secret="${secretText}"\n`);
    const submission = mkdtempSync(path.join(WORK, 'sub-link-'));
    symlinkSync(secretFile, path.join(submission, 'Dockerfile'));
    const labDir = writeLab('lab-88', { kind: 'image', dockerfile: 'Dockerfile' }, [{ id: 'builds', kind: 'image-builds', points: 1 }]);
    const runId = newRunId();
    const result = await grade({ lab: labDir, submission, lang: 'en', runtime, runId, logsDir: null });
    expect(statusOf(result)).toEqual({ builds: 'failed' });
    expect(result.checks[0]!.observed).toMatch(/outside your submission/);
    expect(JSON.stringify(result)).not.toContain(secretText);
    expect(await leftovers(`dockerlab.run=${runId}`)).toEqual([]);
  });
});

// ---------------------------------------------------------------- the grader process

describe('the grader process killed or interrupted (sandboxed lab-01)', () => {
  let reference: string;
  let hanging: string;
  beforeAll(() => {
    reference = assembleSubmission('lab-01', 'reference');
    hanging = assembleSubmission('lab-01', 'wrong-script-hangs');
  });
  afterAll(() => {
    removeDir(reference);
    removeDir(hanging);
  });

  it('`kill -9` of the grader mid-run and mid-script: after one more grading, no object of the killed runs remains', async () => {
    // Mid-run: as soon as its sandbox (or the seeder of its store) exists.
    const early = spawnCli(['lab-01', '--submission', reference, '--lang', 'en']);
    const earlyRun = await runIdOwnedBy(early.child.pid!, 'lab-01');
    expect(earlyRun).not.toBeNull();
    early.child.kill('SIGKILL');
    await early.exited;
    const leftByEarly = await leftovers(`dockerlab.run=${earlyRun}`);
    // Mid-script: while its commands.sh (which never ends) runs in the sandbox.
    const late = spawnCli(['lab-01', '--submission', hanging, '--lang', 'en']);
    const { met } = await pollUntil(async () => late.stderr(), (text) => text.includes('running commands.sh'), 90_000, { firstDelayMs: 100, maxDelayMs: 200 });
    expect(met).toBe(true);
    const lateRun = await runIdOwnedBy(late.child.pid!, 'lab-01');
    late.child.kill('SIGKILL');
    await late.exited;
    // (The second grader's start already swept what the first left.)
    const leftByKills = { early: leftByEarly, late: await leftovers(`dockerlab.run=${lateRun}`) };
    // The killed script's sandbox runs on (until the next grading, or its lifetime).
    expect(leftByKills.late.some((o) => o.startsWith('container dockerlab-sandbox-'))).toBe(true);

    const next = await grade({ lab: 'lab-01', submission: reference, lang: 'en', runtime, logsDir: null });
    expect(next.score).toBe(next.maxScore);
    expect(await leftovers(`dockerlab.run=${earlyRun}`)).toEqual([]);
    expect(await leftovers(`dockerlab.run=${lateRun}`)).toEqual([]);
    // Not a Docker object: each killed sandbox's private folder of sockets, swept by a grading an hour later.
    const hostDirs = entriesStartingWith(GRADER_TMP, 'dockerlab-sandbox-');
    evidence['kill-9'] = { leftAfterKill: leftByKills, leftAfterNextGrading: 0, privateFoldersLeft: hostDirs.length };
    for (const dir of hostDirs) rmSync(path.join(GRADER_TMP, dir), { recursive: true, force: true });
  }, 240_000);

  it('Ctrl-C twice: the second says what is left and how to remove it, exits at once; then --cleanup removes it', async () => {
    const graded = spawnCli(['lab-01', '--submission', hanging, '--lang', 'en']);
    const { met } = await pollUntil(async () => graded.stderr(), (text) => text.includes('running commands.sh'), 90_000, { firstDelayMs: 100, maxDelayMs: 200 });
    expect(met).toBe(true);
    const runId = await runIdOwnedBy(graded.child.pid!, 'lab-01');
    graded.child.kill('SIGINT');
    await pollUntil(async () => graded.stderr(), (text) => text.includes('SIGINT received'), 5000, { firstDelayMs: 10 });
    const second = Date.now();
    graded.child.kill('SIGINT');
    expect(await graded.exited).toBe(130);
    const exitMs = Date.now() - second;
    expect(exitMs).toBeLessThan(1500);
    const said = graded.stderr().split('\n').find((l) => l.includes('SIGINT again')) ?? '';
    expect(said).toContain(`dockerlab.run=${runId}`);
    expect(said).toContain('npm run grade -- --cleanup');
    const left = await leftovers(`dockerlab.run=${runId}`);
    const cleanup = await cli(['--cleanup']);
    expect(cleanup.exitCode).toBe(0);
    expect(await leftovers(`dockerlab.run=${runId}`)).toEqual([]);
    evidence['ctrl-c-twice'] = { exitMs, leftAfterSecondCtrlC: left, cleanupSaid: String(cleanup.stdout).trim(), leftAfterCleanup: 0 };
  }, 180_000);
});
