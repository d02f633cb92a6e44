import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { EngineError, SandboxUnavailableError, isNotFound, messageOf, statusCodeOf } from './errors.js';
import { OWNER_LABEL, RUN_LABEL, currentOwner } from './labels.js';
import type { Runtime } from './runtime.js';
import { applySandboxFirewall, removeSandboxFirewallRules, type SandboxFirewall } from './sandbox-firewall.js';

/** The bounds of one sandbox: whatever runs inside shares them, whatever flags it passes to `docker run`. */
export interface SandboxLimits {
  /** Memory for everything inside (engine, containers, the student's commands). */
  memoryMiB: number;
  cpus: number;
  /** Processes and threads, the engine's own included (about 100 when idle). */
  pids: number;
  /** The inner engine's store (images, layers, containers' files): a tmpfs, so it counts as memory too. */
  diskMiB: number;
  /** The container ends itself after this, even if the grader was killed. */
  lifetimeSeconds: number;
}

/**
 * How the sandbox container is granted what an engine needs, from the safest.
 * - rootless: the inner engine runs as an unprivileged user in a user namespace
 *   (RootlessKit); the sandbox gets only the capabilities that setup needs
 *   (SYS_ADMIN for newuidmap), and nothing the student runs is ever real root in it.
 * - rootful-privileged: `--privileged`, engine as root (GitHub runners, Docker Desktop).
 * - rootful-capabilities: ENVIRONMENT.md's recipe for machines refusing --privileged.
 * Both rootful profiles give a student root in the sandbox through the inner engine:
 * a fallback only, and the Sandbox says which profile it runs with.
 */
export type SandboxProfileName = 'rootless' | 'rootful-privileged' | 'rootful-capabilities';
export const SANDBOX_PROFILES: readonly SandboxProfileName[] = ['rootless', 'rootful-privileged', 'rootful-capabilities'];

type HostConfig = Docker.HostConfig & { CgroupnsMode?: 'private' | 'host' };

const UNCONFINED = {
  SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
  // `--security-opt systempaths=unconfined`: an engine must mount fresh /proc and /sys for its containers.
  MaskedPaths: [] as string[],
  ReadonlyPaths: [] as string[],
};

function profileHostConfig(profile: SandboxProfileName): HostConfig {
  switch (profile) {
    case 'rootless':
      return {
        ...UNCONFINED,
        CapDrop: ['ALL'],
        CapAdd: ['SYS_ADMIN', 'SETUID', 'SETGID', 'SETFCAP', 'SETPCAP', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'MKNOD'],
        Devices: [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
      };
    case 'rootful-privileged':
      return { Privileged: true, CgroupnsMode: 'private' };
    case 'rootful-capabilities':
      return { ...UNCONFINED, CapAdd: ['ALL'], CapDrop: ['SYS_RESOURCE'], CgroupnsMode: 'private' };
  }
}

/** The engine's and the student's user in the sandbox (see grader/sandbox/Dockerfile). */
export const SANDBOX_UID = 70000;

export const engineOf = (profile: SandboxProfileName): 'rootless' | 'rootful' => (profile === 'rootless' ? 'rootless' : 'rootful');

/** The inner engine's socket inside the sandbox (what the student's docker CLI uses). */
export const innerDockerHost = (profile: SandboxProfileName): string =>
  profile === 'rootless' ? `unix:///run/user/${SANDBOX_UID}/docker.sock` : 'unix:///run/docker.sock';

/** The profile that worked, per host engine: found once, never shared between two hosts. */
const workingProfile = new WeakMap<Runtime, SandboxProfileName>();

export function knownProfile(host: Runtime): SandboxProfileName | undefined {
  return workingProfile.get(host);
}

export interface StartSandboxOptions {
  host: Runtime;
  image: string;
  name: string;
  labels: Record<string, string>;
  limits: SandboxLimits;
  /** Force one profile (tests, diagnosis); default: the one that worked on this host, else each in turn. */
  profile?: SandboxProfileName;
  registryMirror?: string;
  signal?: AbortSignal;
  progress?: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface StartedSandbox {
  readonly host: Runtime;
  readonly container: Docker.Container;
  readonly containerId: string;
  readonly name: string;
  readonly profile: SandboxProfileName;
  /** The sandbox's address on its own network: where the host reaches ports published on 0.0.0.0 inside. */
  readonly address: string;
  /** Host paths of the inner engine's socket and of the HTTP forwarder (a private 0700 directory). */
  readonly dockerSocket: string;
  readonly httpSocket: string;
  /** A FIFO: a token written there ends the command started with it (see sandbox-init.sh). */
  readonly killFifo: string;
  /** The host firewall rules of its network (what the sandbox cannot reach on the host), or why there are none: reports should say so then. */
  readonly firewall: SandboxFirewall;
  readonly inner: Docker;
  dispose(): Promise<void>;
}

/** A start that failed because of the profile (refused options, an engine that cannot run): the next profile may work. */
class ProfileFailure extends EngineError {}

const MiB = 1024 * 1024;
const HOST_DIR_IN_SANDBOX = '/run/dockerlab-host';

/**
 * Creates the sandbox's network and container and waits until the inner engine
 * answers. Everything created carries `labels`; on any failure or abort, what was
 * created is removed before the error is thrown.
 */
export async function startSandboxContainer(options: StartSandboxOptions): Promise<StartedSandbox> {
  const { host, name, signal } = options;
  signal?.throwIfAborted();
  if (!workingProfile.has(host)) {
    await assertLocalEngine(host);
    await sweepStaleHostDirs(host);
  }
  // Private to the grader's user: the inner engine's socket gives control of the sandbox.
  const hostDir = mkdtempSync(path.join(os.tmpdir(), HOST_DIR_PREFIX));
  const cleanup = new Cleanup(host, hostDir);
  try {
    const network = await host.docker.createNetwork({ Name: name, Driver: 'bridge', Labels: options.labels, CheckDuplicate: true } as Docker.NetworkCreateOptions).catch((error: unknown) => {
      throw new EngineError(
        statusCodeOf(error) === 409
          ? `a network named ${name} already exists: another sandbox of this run is open, or a killed run left it (npm run grade -- --cleanup removes it)`
          : `could not create the sandbox network ${name}: ${messageOf(error)}`,
      );
    });
    cleanup.network = name;
    // Before any container joins the network: the host's services on all addresses and the cloud's metadata endpoint.
    cleanup.firewall = await firewallFor(network, options.labels[RUN_LABEL] ?? name, options.labels[OWNER_LABEL] ?? currentOwner());
    if (!cleanup.firewall.applied) options.progress?.(`the sandbox's network has no firewall rules (${cleanup.firewall.reason}): what the host serves on all its addresses is reachable from it`);
    const known = options.profile ?? workingProfile.get(host);
    const candidates = known ? [known] : SANDBOX_PROFILES;
    const failures: string[] = [];
    for (const [attempt, profile] of candidates.entries()) {
      signal?.throwIfAborted();
      const attemptDir = path.join(hostDir, String(attempt));
      mkdirSync(attemptDir, { mode: 0o700 });
      try {
        const started = await startWithProfile(options, profile, attemptDir, cleanup);
        if (!options.profile) workingProfile.set(host, profile);
        return started;
      } catch (error) {
        await cleanup.removeContainer();
        if (!(error instanceof ProfileFailure) || candidates.length === 1) throw error;
        failures.push(`${profile}: ${error.message}`);
        options.progress?.(`sandbox profile ${profile} does not work on ${host.description}; trying the next one`);
      }
    }
    throw new EngineError(
      `no way to run a Docker engine inside a container works on ${host.description}:\n${failures.map((f) => `  - ${f}`).join('\n')}\n` +
        'Sandboxes need user namespaces (rootless engine) or --privileged containers; grade with --sandbox off only for trusted work.',
    );
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

/**
 * The grader reaches the inner engine through unix sockets in a private folder of
 * this machine, bind-mounted into the sandbox: the host engine must run on this
 * machine, not in a VM (Docker Desktop) or elsewhere (tcp://, ssh://). A tcp port
 * instead would hand an unauthenticated engine to every local user and to other
 * sandboxes' containers; that is not done.
 */
async function assertLocalEngine(host: Runtime): Promise<void> {
  const dockerHost = host.cliEnv.DOCKER_HOST;
  const remote = dockerHost && !dockerHost.startsWith('unix://');
  let desktop = false;
  if (!remote && process.platform === 'linux') {
    const info = (await host.docker.info().catch(() => ({}))) as { OperatingSystem?: string };
    desktop = /Docker Desktop/i.test(info.OperatingSystem ?? '');
  }
  if (remote || desktop || process.platform !== 'linux') {
    throw new SandboxUnavailableError(
      `sandboxes need a Docker engine running on this Linux machine (they share unix sockets with it), but ${host.description} ` +
        `${remote ? `is remote (${dockerHost})` : desktop ? 'is Docker Desktop (a VM)' : `runs on ${process.platform}`}. ` +
        'Grade on a Linux machine with its own engine, or with --sandbox off for trusted work only.',
    );
  }
}

const HOST_DIR_PREFIX = 'dockerlab-sandbox-';
const STALE_AFTER_MS = 60 * 60 * 1000;

/**
 * The private folders of sandboxes that are gone (a grader killed with -9, a sandbox
 * removed by a label sweep): tiny, but one per grading. Removed when no container
 * mounts them any more and they are older than any sandbox's start could be.
 */
async function sweepStaleHostDirs(host: Runtime): Promise<void> {
  const containers = await host.docker.listContainers({ all: true, filters: JSON.stringify({ label: ['dockerlab.sandbox.role'] }) }).catch(() => undefined);
  if (!containers) return;
  const inUse = new Set(containers.flatMap((c) => (c.Mounts ?? []).map((m) => path.dirname(m.Source ?? ''))));
  for (const entry of readdirSync(os.tmpdir())) {
    if (!entry.startsWith(HOST_DIR_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), entry);
    try {
      if (inUse.has(dir) || Date.now() - statSync(dir).mtimeMs < STALE_AFTER_MS) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Another user's folder, or one that went away meanwhile: not worth failing a grading for.
    }
  }
}

async function startWithProfile(options: StartSandboxOptions, profile: SandboxProfileName, attemptDir: string, cleanup: Cleanup): Promise<StartedSandbox> {
  const { host, name, limits, signal } = options;
  const engine = engineOf(profile);
  const hostConfig: HostConfig = {
    ...profileHostConfig(profile),
    AutoRemove: true,
    ReadonlyRootfs: true,
    NetworkMode: name,
    Binds: [`${attemptDir}:${HOST_DIR_IN_SANDBOX}`],
    // tmpfs pages count in the container's memory: the store's size is added to the memory limit.
    Memory: Math.round((limits.memoryMiB + limits.diskMiB) * MiB),
    MemorySwap: Math.round((limits.memoryMiB + limits.diskMiB) * MiB),
    NanoCpus: Math.round(limits.cpus * 1e9),
    PidsLimit: limits.pids,
    OomScoreAdj: 500,
    Tmpfs: {
      // Without docker's default nosuid,nodev,noexec: in the rootless engine's user namespace those flags are
      // locked, and BuildKit's bind mounts of the store (which do not repeat them) would be refused.
      '/var/lib/docker': `size=${Math.round(limits.diskMiB)}m,mode=0700,exec,suid,dev`,
      '/run': 'size=64m,mode=0755',
      '/tmp': 'size=256m,mode=1777,exec',
      '/work': `size=256m,mode=0755,uid=${SANDBOX_UID},gid=${SANDBOX_UID},exec`,
      '/home/dockerlab': `size=64m,mode=0700,uid=${SANDBOX_UID},gid=${SANDBOX_UID}`,
      '/var/log/dockerlab': 'size=32m,mode=0755',
      // A rootful engine writes its key there (a rootless one copies /etc up by itself).
      '/etc/docker': 'size=1m,mode=0755',
    },
    // `docker run -p 80:80` inside: the rootless engine binds as an unprivileged user.
    Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
    LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
  };
  const env = [`DOCKERLAB_SANDBOX_LIFETIME=${Math.max(1, Math.round(limits.lifetimeSeconds))}`, `DOCKERLAB_SANDBOX_ENGINE=${engine}`];
  if (options.registryMirror) env.push(`DOCKERLAB_SANDBOX_MIRROR=${options.registryMirror}`);
  let container: Docker.Container;
  try {
    container = await host.docker.createContainer({ name, Image: options.image, Labels: options.labels, Env: env, HostConfig: hostConfig });
  } catch (error) {
    if (statusCodeOf(error) === 409) throw new EngineError(`a container named ${name} already exists: another sandbox of this run is open, or a killed run left it (npm run grade -- --cleanup removes it)`);
    if (isNotFound(error)) throw new EngineError(`the sandbox image ${options.image} is missing on ${host.description}: ${messageOf(error)}`);
    throw new ProfileFailure(`creating the sandbox container failed: ${messageOf(error)}`);
  }
  cleanup.container = container;
  try {
    await container.start();
  } catch (error) {
    throw new ProfileFailure(`the sandbox container did not start: ${messageOf(error)}`);
  }
  const dockerSocket = path.join(attemptDir, 'docker.sock');
  const inner = new Docker({ socketPath: dockerSocket });
  await waitForEngine({ inner, container, statusFile: path.join(attemptDir, 'status'), timeoutMs: options.readyTimeoutMs ?? 60_000, ...(signal ? { signal } : {}) });
  const info = await container.inspect();
  const address = info.NetworkSettings.Networks?.[name]?.IPAddress ?? '';
  if (!address) throw new EngineError(`the sandbox ${name} has no address on its network ${name}`);
  let disposing: Promise<void> | undefined;
  return {
    host,
    container,
    containerId: info.Id,
    name,
    profile,
    address,
    dockerSocket,
    httpSocket: path.join(attemptDir, 'http.sock'),
    killFifo: path.join(attemptDir, 'kill'),
    firewall: cleanup.firewall ?? { applied: false, reason: 'not set up' },
    inner,
    dispose: () => (disposing ??= cleanup.run()),
  };
}

async function firewallFor(network: Docker.Network, runId: string, owner: string): Promise<SandboxFirewall> {
  try {
    const info = (await network.inspect()) as { Id: string; IPAM?: { Config?: { Subnet?: string }[] }; Options?: Record<string, string> };
    return await applySandboxFirewall({ id: info.Id, bridgeName: info.Options?.['com.docker.network.bridge.name'], subnet: info.IPAM?.Config?.[0]?.Subnet ?? null }, runId, owner);
  } catch (error) {
    return { applied: false, reason: `the sandbox network could not be inspected: ${messageOf(error)}` };
  }
}

async function waitForEngine({ inner, container, statusFile, timeoutMs, signal }: { inner: Docker; container: Docker.Container; statusFile: string; timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 25;
  let nextInspect = Date.now() + 1000;
  for (;;) {
    signal?.throwIfAborted();
    if (await answers(inner)) return;
    const status = readStatus(statusFile);
    if (status.startsWith('failed')) throw new ProfileFailure(`the inner Docker engine did not start: ${status.replace(/^failed:\s*/, '')}`);
    if (Date.now() >= nextInspect) {
      nextInspect = Date.now() + 1000;
      const running = await container.inspect().then((i) => i.State.Running, (error: unknown) => (isNotFound(error) ? false : true));
      if (!running) throw new ProfileFailure(`the sandbox container stopped while its engine was starting${status ? ` (${status})` : ''}`);
    }
    if (Date.now() > deadline) throw new EngineError(`the sandbox's inner Docker engine did not answer within ${Math.round(timeoutMs / 1000)} s (last status: ${status || 'none'})`);
    await abortableSleep(delay, signal);
    delay = Math.min(250, Math.round(delay * 1.5));
  }
}

async function answers(inner: Docker): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([inner.ping(), new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), 2000); })]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function readStatus(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What one sandbox created on the host, removed in order: container, network, private directory. Idempotent. */
class Cleanup {
  container?: Docker.Container;
  network?: string;
  firewall?: SandboxFirewall;

  constructor(private readonly host: Runtime, private readonly hostDir: string) {}

  async removeContainer(): Promise<void> {
    const container = this.container;
    if (!container) return;
    if (process.getuid?.() !== 0) {
      // The sandbox made its sockets' folder root's (so no student could swap them); a
      // grader that is not root could not delete them afterwards: hand them back first.
      await releaseHostDir(container).catch(() => undefined);
    }
    try {
      await container.remove({ force: true, v: true });
    } catch (error) {
      if (!isNotFound(error)) {
        // 409: the engine is already removing it (AutoRemove after its end): wait for that.
        if (statusCodeOf(error) !== 409) throw new EngineError(`could not remove the sandbox container: ${messageOf(error)}`);
        await waitGone(container);
      }
    }
    this.container = undefined;
  }

  async run(): Promise<void> {
    const problems: string[] = [];
    let containerGone = true;
    await this.removeContainer().catch((error: unknown) => {
      containerGone = false;
      problems.push(messageOf(error));
    });
    if (this.network) {
      const network = this.host.docker.getNetwork(this.network);
      for (let attempt = 0; ; attempt++) {
        try {
          await network.remove();
          break;
        } catch (error) {
          if (isNotFound(error)) break;
          // An endpoint of the container just removed may linger a moment.
          if (attempt >= 20) {
            problems.push(`could not remove the sandbox network ${this.network}: ${messageOf(error)}`);
            break;
          }
          await abortableSleep(100);
        }
      }
      this.network = undefined;
    }
    // Only once the container is gone: until then, the rules are what keeps it from the host.
    const firewall = this.firewall;
    if (firewall?.applied && containerGone) {
      const removed = await removeSandboxFirewallRules((rule) => rule.runId === firewall.runId && rule.bridge === firewall.bridge);
      problems.push(...removed.problems);
      this.firewall = undefined;
    }
    rmSync(this.hostDir, { recursive: true, force: true });
    if (problems.length > 0) throw new EngineError(`${problems.join('; ')} (npm run grade -- --cleanup removes what is left)`);
  }
}

async function releaseHostDir(container: Docker.Container): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const exec = await container.exec({ Cmd: ['sh', '-c', `rm -rf ${HOST_DIR_IN_SANDBOX}/* && chown ${uid}:${gid} ${HOST_DIR_IN_SANDBOX}`], User: '0:0', AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ Detach: false, Tty: false });
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('error', () => resolve());
    stream.resume();
  });
}

async function waitGone(container: Docker.Container): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await container.inspect();
    } catch (error) {
      if (isNotFound(error)) return;
    }
    await abortableSleep(100);
  }
}
