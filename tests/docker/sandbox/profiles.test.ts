import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { SandboxUnavailableError } from '../../../grader/src/engine/errors.js';
import { PROBE_IMAGE } from '../../../grader/src/engine/probe.js';
import { createHostRuntime } from '../../../grader/src/engine/runtime.js';
import { startSandboxContainer } from '../../../grader/src/sandbox/container.js';
import { ALLOW_UNSAFE_ENV, ProfileMemory, SANDBOX_PROFILES, readHostFacts, type SandboxProfile } from '../../../grader/src/sandbox/profiles.js';
import { DEFAULT_SANDBOX_LIMITS, ensureSandboxImage } from '../../../grader/src/sandbox/sandbox.js';
import { grade } from '../../../grader/src/grade.js';
import type { Result } from '../../../grader/src/result.js';
import { runtime } from '../../helpers/engine.js';
import { leftovers } from '../../helpers/hostile.js';
import { FIXTURES, ROOT } from '../../helpers/submissions.js';

/**
 * Sandbox profiles on this machine, whatever it is: the profile the grader chooses
 * by itself holds the hostile table's kernel-settings row; a profile that does not
 * is marked not safe, never chosen, and refused when asked for; what a machine
 * lacks is said before anything starts; a failure is remembered across processes;
 * script gradings in new processes prepare the sandbox's store once and leave no image.
 */
const TOKEN = randomBytes(6).toString('hex');
const WORK = mkdtempSync(path.join(os.tmpdir(), 'sbxp-work-'));
const CLI = path.join(ROOT, 'grader/dist/cli.js');
const IMAGES = ['nginx:1.27', 'busybox:1.36', 'debian:bookworm-slim'];
const CORE_PATTERN = '/proc/sys/kernel/core_pattern';
const hostCorePattern = readFileSync(CORE_PATTERN, 'utf8');
const tunMode = (() => {
  try {
    return (statSync('/dev/net/tun').mode & 0o777).toString(8).padStart(4, '0');
  } catch {
    return 'absent';
  }
})();

function writeLab(id: string, images: string[]): string {
  const dir = mkdtempSync(path.join(WORK, `${id}-`));
  const lab = { id, title: { fr: 'Profils', en: 'Profiles' }, lang: 'en', workload: { kind: 'script', timeoutSeconds: 90, objects: {}, images }, steps: [{ id: 'completes', kind: 'script-completes', points: 1 }] };
  writeFileSync(path.join(dir, 'lab.json'), JSON.stringify(lab, null, 2));
  return dir;
}

/** If a write got through (an unsafe profile), the host gets its setting back at once. */
function restoreCorePattern(): boolean {
  const now = readFileSync(CORE_PATTERN, 'utf8');
  if (now === hostCorePattern) return false;
  writeFileSync(CORE_PATTERN, hostCorePattern);
  return true;
}

interface KernelRow {
  result: Result;
  output: string;
  attempts: Record<string, number>;
  coreChanged: boolean;
  left: string[];
}

async function gradeKernelRow(profile?: SandboxProfile['name']): Promise<KernelRow> {
  const submission = mkdtempSync(path.join(WORK, 'sub-kernel-'));
  cpSync(path.join(FIXTURES, 'hostile', 'host-kernel-settings'), submission, { recursive: true });
  writeFileSync(path.join(submission, 'hostile.env'), `TOKEN=${TOKEN}\n`);
  const logsDir = mkdtempSync(path.join(WORK, 'logs-'));
  const runId = `sbxp${randomBytes(5).toString('hex')}`;
  let coreChanged = false;
  let result: Result;
  try {
    result = await grade({ lab: writeLab('lab-91', IMAGES), submission, lang: 'en', runtime, runId, logsDir, sandbox: 'required', ...(profile ? { sandboxProfile: profile } : {}) });
  } finally {
    // Before anything else can crash on this host.
    coreChanged = restoreCorePattern();
  }
  const output = readdirSync(logsDir).map((f) => readFileSync(path.join(logsDir, f), 'utf8')).join('\n');
  const attempts = Object.fromEntries([...output.matchAll(/^ATTEMPT (\S+) exit=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
  return { result, output, attempts, coreChanged, left: await leftovers(`dockerlab.run=${runId}`) };
}

/** Container events of a run between two instants (what was created, even if auto-removed since). */
function containerEvents(runId: string, since: number): string[] {
  const out = execFileSync('docker', ['events', '--since', String(Math.floor(since / 1000) - 1), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'type=container', '--filter', `label=dockerlab.run=${runId}`, '--format', '{{.Action}}'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

beforeAll(async () => {
  await ensureSandboxImage(runtime);
}, 600_000);

afterAll(() => {
  restoreCorePattern();
  rmSync(WORK, { recursive: true, force: true });
});

describe('the profile the grader chooses holds the kernel-settings row', () => {
  const safe = SANDBOX_PROFILES.filter((p) => p.safe);

  it('only profiles with a user namespace are safe, and only safe ones are ever chosen unasked', () => {
    expect(safe.map((p) => p.name)).toEqual(['rootless']);
    for (const p of SANDBOX_PROFILES) expect(p.safe).toBe(p.isolates.userNamespace);
  });

  it.each(safe.map((p) => [p.name]))(`%s: no write reaches the host's kernel settings (here /dev/net/tun is ${tunMode})`, async (name) => {
    const row = await gradeKernelRow();
    expect(row.result.sandbox).toMatchObject({ profile: name, safe: true });
    expect(row.output).toContain('hostile-row: host-kernel-settings done');
    // Each way in was tried and refused: privileged, fresh proc with SYS_ADMIN, /proc bound, pid=host, the script itself.
    expect(Object.keys(row.attempts).sort()).toEqual(['bind-proc', 'bind-proc-privileged', 'cap-all-unmasked', 'cap-sys-admin-fresh-proc', 'privileged', 'privileged-pid-host', 'privileged-sys', 'script']);
    for (const [attempt, exit] of Object.entries(row.attempts)) expect(`${attempt} exit=${exit}`).not.toBe(`${attempt} exit=0`);
    // The containers that could start reached the write itself, and the kernel said no (not a typo in the row).
    for (const attempt of ['cap-sys-admin-fresh-proc', 'cap-all-unmasked', 'bind-proc']) {
      expect(row.output).toMatch(new RegExp(`^ATTEMPT ${attempt} exit=1 .*can't create /\\S*/sys/kernel/core_pattern: (Permission denied|Read-only file system)`, 'm'));
    }
    expect(row.output).not.toMatch(/^wrote /m);
    expect(row.coreChanged).toBe(false);
    expect(readFileSync(CORE_PATTERN, 'utf8')).toBe(hostCorePattern);
    expect(row.left).toEqual([]);
  });
});

describe('profiles that are not safe', () => {
  const unsafe = SANDBOX_PROFILES.filter((p) => !p.safe);

  it.each(unsafe.map((p) => [p.name]))('%s asked for by name is refused, saying why, and nothing is started', async (name) => {
    const since = Date.now();
    const runId = `sbxp${randomBytes(5).toString('hex')}`;
    const graded = grade({ lab: writeLab('lab-92', IMAGES), submission: path.join(FIXTURES, 'hostile', 'host-kernel-settings'), lang: 'en', runtime, runId, sandbox: 'auto', sandboxProfile: name });
    // Refused even in `auto`: running without any sandbox instead would be weaker still.
    await expect(graded).rejects.toThrow(/is refused: .*kernel\.core_pattern.*DOCKERLAB_SANDBOX_ALLOW_UNSAFE=1/s);
    expect(containerEvents(runId, since)).toEqual([]);
  });

  // What makes them unsafe, shown: where the machine's owner allows one and it starts here, the row gets through.
  it.each(unsafe.map((p) => [p.name]))('%s, allowed by the machine\'s owner, lets a student\'s container write kernel.core_pattern (so it is never chosen)', async (name) => {
    process.env[ALLOW_UNSAFE_ENV] = '1';
    try {
      const row = await gradeKernelRow(name).catch((error: unknown) => error as Error);
      if (row instanceof Error) {
        // This machine cannot run it at all (the machine: rootful-privileged did not start): nothing to show.
        expect(row.message).toMatch(/sandbox|engine/i);
        return;
      }
      expect(row.result.sandbox).toMatchObject({ profile: name, safe: false });
      expect(row.result.notes.join('\n')).toMatch(/not safe/);
      expect(row.coreChanged || row.output.includes('wrote ')).toBe(true);
      expect(readFileSync(CORE_PATTERN, 'utf8')).toBe(hostCorePattern);
    } finally {
      delete process.env[ALLOW_UNSAFE_ENV];
    }
  });
});

describe('what a machine lacks, said before anything starts, and remembered', () => {
  const limits = { ...DEFAULT_SANDBOX_LIMITS, lifetimeSeconds: 60 };
  const labels = (runId: string) => ({ dockerlab: '1', 'dockerlab.run': runId, 'dockerlab.lab': 'sandbox-profiles-tests' });

  it('a preflight that refuses every safe profile (AppArmor restricting user namespaces, as on Ubuntu 24.04) names the fix; no container is created', async () => {
    const runId = `sbxp${randomBytes(5).toString('hex')}`;
    const since = Date.now();
    const memory = new ProfileMemory(path.join(WORK, 'memory-preflight.json'));
    const error = await startSandboxContainer({
      host: createHostRuntime(),
      image: await ensureSandboxImage(runtime),
      name: `dockerlab-sandbox-${runId}`,
      labels: labels(runId),
      limits,
      facts: { ...readHostFacts(), apparmorRestrictsUserns: 1 },
      memory,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxUnavailableError);
    const { message, refused } = error as SandboxUnavailableError;
    expect(message).toContain('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
    expect(message).toContain('--sandbox off');
    expect(refused.map((r) => r.profile)).toEqual(['rootful-privileged', 'rootful-capabilities', 'rootless']);
    expect(containerEvents(runId, since)).toEqual([]);
    expect(await leftovers(`dockerlab.run=${runId}`)).toEqual([]);
  });

  it('a profile whose engine failed to start is remembered with its reason: the next process does not try it again', async () => {
    // An image whose "engine" fails the way rootlesskit did on the machine (tun device 0600).
    const fake = `dockerlab-test-failing-sandbox:${TOKEN}`;
    const context = mkdtempSync(path.join(WORK, 'fake-'));
    const reason = '[rootlesskit:parent] error: failed to setup network: open /dev/net/tun: permission denied';
    writeFileSync(path.join(context, 'Dockerfile'), `FROM busybox:1.36\nLABEL dockerlab.test=sandbox-profiles\nENTRYPOINT ["sh", "-c", "echo 'failed: the inner Docker engine (rootless) stopped while starting (${reason})' > /run/dockerlab-host/status; sleep 30"]\n`);
    execFileSync('docker', ['build', '-q', '-t', fake, context], { stdio: 'ignore' });
    const memory = new ProfileMemory(path.join(WORK, 'memory-failure.json'));
    try {
      const attempt = async () => {
        const runId = `sbxp${randomBytes(5).toString('hex')}`;
        const since = Date.now();
        // A new runtime each time: what a new process knows.
        const error = await startSandboxContainer({ host: createHostRuntime(), image: fake, name: `dockerlab-sandbox-${runId}`, labels: labels(runId), limits, memory }).catch((e: unknown) => e);
        return { error: error as SandboxUnavailableError, created: containerEvents(runId, since).filter((a) => a === 'create').length, left: await leftovers(`dockerlab.run=${runId}`) };
      };
      const first = await attempt();
      expect(first.error).toBeInstanceOf(SandboxUnavailableError);
      expect(first.created).toBe(1);
      expect(first.error.refused.find((r) => r.profile === 'rootless')?.reason).toContain(reason);
      expect(first.left).toEqual([]);
      const second = await attempt();
      expect(second.error).toBeInstanceOf(SandboxUnavailableError);
      expect(second.created).toBe(0);
      expect(second.error.message).toContain(reason);
      expect(second.error.message).toMatch(/failed this way on this machine at .*remembered in .*memory-failure\.json/s);
      // Forgotten (`--cleanup`): tried again.
      memory.forget();
      expect((await attempt()).created).toBe(1);
    } finally {
      execFileSync('docker', ['rmi', '-f', fake], { stdio: 'ignore' });
    }
  });
});

describe('script gradings in new processes', () => {
  it('ten gradings, two of them at once: the store is prepared once, and no image, container, volume or network is left', async () => {
    // An image set of its own, so that this test sees its store prepared from nothing.
    const images = ['busybox:1.36', 'redis:7'];
    const names = `rootless: ${[...new Set([...images, PROBE_IMAGE])].sort().join(' ')}`;
    const seeds = () => runtime.docker.listImages({ all: true, filters: JSON.stringify({ label: [`dockerlab.sandbox.seed.images=${names}`] }) });
    for (const image of await seeds()) await runtime.docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
    const lab = writeLab('lab-93', images);
    const submission = mkdtempSync(path.join(WORK, 'sub-seed-'));
    writeFileSync(path.join(submission, 'commands.sh'), '#!/bin/bash\ndocker run --rm busybox:1.36 true && docker image inspect redis:7 >/dev/null && echo ok\n');
    let n = 0;
    const run = async () => {
      const json = path.join(WORK, `seed-${n++}.json`);
      const r = await execa('node', [CLI, lab, '--submission', submission, '--lang', 'en', '--reporter', 'terminal', '--reporter', `json=${json}`, '--sandbox', 'required'], { cwd: ROOT, reject: false, env: { NO_COLOR: '1' } });
      return { ...r, result: JSON.parse(readFileSync(json, 'utf8')) as Result };
    };
    const runs = [...(await Promise.all([run(), run()]))];
    for (let i = 0; i < 8; i++) runs.push(await run());
    // A failing one shows why (its report's end and its notes).
    for (const r of runs) expect({ exit: r.exitCode, score: r.result.score, why: r.exitCode ? `${r.stderr.slice(-1500)}\n${r.result.notes.join('\n')}` : '' }).toEqual({ exit: 0, score: 1, why: '' });
    const prepared = runs.map((r) => r.stderr.includes("preparing the sandbox's store"));
    // The two concurrent first ones may both prepare it; none of the later ones does.
    expect(prepared.slice(2)).toEqual(Array(8).fill(false));
    expect(prepared.slice(0, 2)).toContain(true);
    const left = await seeds();
    // One store image, tagged, plus at most its classic-build parent (untagged, no dangling child of a replaced tag).
    expect(left.filter((i) => (i.RepoTags ?? []).some((t) => t !== '<none>:<none>'))).toHaveLength(1);
    const dangling = await runtime.docker.listImages({ filters: JSON.stringify({ dangling: ['true'], label: ['dockerlab.sandbox.seed'] }) });
    expect(dangling.map((i) => i.Id)).toEqual([]);
    // Nothing of this lab's gradings stays on the host engine: not the sandboxes, their volumes or networks.
    const ofLab = JSON.stringify({ label: ['dockerlab.lab=lab-93'] });
    const [containers, volumes, networks, labelledImages] = await Promise.all([
      runtime.docker.listContainers({ all: true, filters: ofLab }),
      runtime.docker.listVolumes({ filters: ofLab }),
      runtime.docker.listNetworks({ filters: ofLab }),
      runtime.docker.listImages({ all: true, filters: ofLab }),
    ]);
    expect({ containers: containers.map((c) => c.Names), volumes: (volumes.Volumes ?? []).map((v) => v.Name), networks: networks.map((n) => n.Name), images: labelledImages.map((i) => i.RepoTags) })
      .toEqual({ containers: [], volumes: [], networks: [], images: [] });
  });
});
