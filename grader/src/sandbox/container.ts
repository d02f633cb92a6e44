// Over 300 lines because starting the sandbox container is one sequence over one container's state (spec for the
// chosen profile, start, wait for the inner engine, diagnose why it did not come up); the profiles' own logic is in
// profiles.ts.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import {
  currentOwner,
  EngineError,
  isNotFound,
  messageOf,
  OWNER_LABEL,
  RUN_LABEL,
  type Runtime,
  SandboxUnavailableError,
  statusCodeOf,
} from '../engine/index.js';
import { applySandboxFirewall, removeSandboxFirewallRules, type SandboxFirewall } from './firewall.js';
import {
  ALLOW_UNSAFE_ENV,
  ProfileMemory,
  SANDBOX_PROFILES,
  profileNamed,
  readHostFacts,
  unsafeAllowed,
  type HostFacts,
  type RefusedProfile,
  type SandboxProfile,
  type SandboxProfileName,
} from './profiles.js';

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

export type { SandboxProfileName } from './profiles.js';
export { SANDBOX_PROFILE_NAMES } from './profiles.js';

type HostConfig = Docker.HostConfig & { CgroupnsMode?: 'private' | 'host' };

/** The engine's and the student's user in the sandbox (see grader/src/sandbox/recipe/Dockerfile). */
export const SANDBOX_UID = 70000;

export const engineOf = (profile: SandboxProfileName): 'rootless' | 'rootful' => profileNamed(profile)?.engine ?? 'rootful';

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
  /**
   * Force one profile (tests, diagnosis); default: the safe profiles in turn. A profile
   * that is not safe is refused unless `allowUnsafe` (default: DOCKERLAB_SANDBOX_ALLOW_UNSAFE=1).
   */
  profile?: SandboxProfileName;
  allowUnsafe?: boolean;
  /** What this machine says about itself (default: read from /proc and /dev); tests give others. */
  facts?: HostFacts;
  /** Where failed profiles are remembered across processes (default: ~/.cache/dockerlab). */
  memory?: ProfileMemory;
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
  /** Whether that profile holds the hostile table (see sandbox/profiles.ts). */
  readonly safe: boolean;
  /** The profiles not used, and why (preflight, a failed start, remembered, not safe). */
  readonly refused: RefusedProfile[];
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
  const plan = await planProfiles(options);
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
    const refused = [...plan.refused];
    for (const [attempt, profile] of plan.candidates.entries()) {
      signal?.throwIfAborted();
      const attemptDir = path.join(hostDir, String(attempt));
      mkdirSync(attemptDir, { mode: 0o700 });
      try {
        const started = await startWithProfile(options, profile, attemptDir, cleanup, refused);
        if (!options.profile) workingProfile.set(host, profile.name);
        return started;
      } catch (error) {
        await cleanup.removeContainer();
        if (!(error instanceof ProfileFailure)) throw error;
        refused.push({ profile: profile.name, reason: error.message });
        plan.memory?.memory.remember(plan.memory.key, profile.name, error.message);
        options.progress?.(`sandbox profile ${profile.name} does not work on ${host.description}: ${error.message.split('\n')[0]}`);
      }
    }
    throw new SandboxUnavailableError(
      options.profile
        ? `the sandbox profile ${options.profile} does not work on ${host.description}: ${refused.at(-1)?.reason ?? 'unknown reason'}`
        : noSafeProfile(host, refused, plan.memory?.memory.path),
      refused,
    );
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

interface ProfilePlan {
  candidates: SandboxProfile[];
  refused: RefusedProfile[];
  memory?: { memory: ProfileMemory; key: string };
}

/**
 * Which profiles to try, before anything is created: the safe ones that pass their
 * preflight and did not fail on this machine before (remembered across processes),
 * or the one asked for. Profiles that are not safe are never tried unasked, and an
 * unsafe one asked for is refused unless the machine's owner allowed it.
 */
async function planProfiles(options: StartSandboxOptions): Promise<ProfilePlan> {
  const { host } = options;
  const known = workingProfile.get(host);
  if (!known) {
    await assertLocalEngine(host);
    await sweepStaleHostDirs(host);
  }
  if (options.profile) {
    const profile = profileNamed(options.profile);
    if (!profile) throw new EngineError(`no sandbox profile is named ${options.profile} (known: ${SANDBOX_PROFILES.map((p) => p.name).join(', ')})`);
    if (!profile.safe && !(options.allowUnsafe ?? unsafeAllowed())) {
      const refused = [{ profile: profile.name, reason: `not safe: ${profile.unsafeBecause}` }];
      throw new SandboxUnavailableError(
        `the sandbox profile ${profile.name} is refused: ${profile.unsafeBecause}.\n` +
          `Only on a throw-away machine that runs nothing else (a CI runner's VM), its owner may accept that with ${ALLOW_UNSAFE_ENV}=1 in the environment.`,
        refused,
      );
    }
    return { candidates: [profile], refused: [] };
  }
  const notSafe = SANDBOX_PROFILES.filter((p) => !p.safe).map((p) => ({ profile: p.name, reason: `not safe: ${p.unsafeBecause}` }));
  if (known) return { candidates: [profileNamed(known)!], refused: notSafe };
  const facts = options.facts ?? readHostFacts();
  const memory = options.memory ?? new ProfileMemory();
  const key = ProfileMemory.keyOf({ engineId: await engineIdOf(host), sandboxImageId: await host.docker.getImage(options.image).inspect().then((i) => i.Id, () => options.image), facts });
  const candidates: SandboxProfile[] = [];
  const refused: RefusedProfile[] = [...notSafe];
  for (const profile of SANDBOX_PROFILES) {
    if (!profile.safe) continue;
    const cannot = profile.preflight(facts);
    if (cannot) {
      refused.push({ profile: profile.name, reason: cannot });
      continue;
    }
    const failed = memory.recall(key, profile.name);
    if (failed) {
      refused.push({ profile: profile.name, reason: `${failed.reason}\n(it failed this way on this machine at ${failed.at}; remembered in ${memory.path}, which \`npm run grade -- --cleanup\` empties)` });
      continue;
    }
    candidates.push(profile);
  }
  return { candidates, refused, memory: { memory, key } };
}

async function engineIdOf(host: Runtime): Promise<string> {
  const info = (await host.docker.info().catch(() => ({}))) as { ID?: string; ServerVersion?: string };
  return `${info.ID ?? ''}/${info.ServerVersion ?? ''}`;
}

function noSafeProfile(host: Runtime, refused: RefusedProfile[], memoryFile: string | undefined): string {
  return (
    `no safe way to run a Docker engine inside a container works on ${host.description}:\n` +
    refused.map((r) => `  - ${r.profile}: ${r.reason.replace(/\n/g, '\n    ')}`).join('\n') +
    '\nSandboxes need a rootless engine (user namespaces and /dev/net/tun). Fix what is said above' +
    (memoryFile ? ` (a failure is remembered in ${memoryFile}; \`npm run grade -- --cleanup\` forgets it)` : '') +
    ', or grade with --sandbox off, for trusted work only.'
  );
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
  // An engine in a container or VM behind a unix socket (DOCKERLAB_ENGINE_ADDRESS) is not this machine's either:
  // its bind mounts are its own files, and firewall rules set here would not guard its networks.
  const remote = host.remote !== undefined || (dockerHost && !dockerHost.startsWith('unix://'));
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

async function startWithProfile(options: StartSandboxOptions, profile: SandboxProfile, attemptDir: string, cleanup: Cleanup, refused: RefusedProfile[]): Promise<StartedSandbox> {
  const { host, name, limits, signal } = options;
  const engine = profile.engine;
  const hostConfig: HostConfig = {
    ...profile.hostConfig(),
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
    profile: profile.name,
    safe: profile.safe,
    refused,
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
