import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { EngineError, messageOf, type Runtime, UsageError } from '../engine/index.js';
import { SANDBOX_UID, startSandboxContainer, engineOf, innerDockerHost, type SandboxLimits, type SandboxProfileName, type StartedSandbox } from './container.js';
import { execInContainer, type SandboxExecResult } from './exec.js';
import type { SandboxFirewall } from './firewall.js';
import type { RefusedProfile } from './profiles.js';
import { requestThroughForwarder } from './http.js';
import { ensureSandboxImage } from './image.js';
import { ensureSeededImage, hostImageIds, loadImages, removeReplacedSeeds } from './seed.js';
import { directoryEntries, tarStream } from './tar.js';

export type { SandboxLimits, SandboxProfileName } from './container.js';
export type { RefusedProfile } from './profiles.js';
export type { SandboxExecResult } from './exec.js';
export { ensureSandboxImage } from './image.js';

/** Where the grader puts the student's submission inside the sandbox. */
export const SUBMISSION_PATH = '/work/submission';

/** Bounds for a script or Compose grading: generous for a lab, small for a machine. */
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { memoryMiB: 1536, cpus: 1, pids: 1024, diskMiB: 2048, lifetimeSeconds: 900 };

/**
 * How the base images get into the sandbox.
 * - seed (default): a store prepared once per set of images and unpacked at start (~0.1 s).
 * - load: `docker save | docker load` at each opening (~3.5 s for nginx).
 */
export type SandboxImageMethod = 'seed' | 'load';

export interface SandboxOptions {
  /** The host engine (see runtime.ts). */
  host: Runtime;
  runId: string;
  /** Put on the sandbox container and its network, so cleanup by `dockerlab.run=<runId>` finds them. */
  labels: Record<string, string>;
  limits: SandboxLimits;
  /** Base images (present on the host engine) to make available inside: the lab's, seeded into a store shared by its gradings. */
  images: string[];
  /** More images present on the host, loaded into this sandbox only (those the submission names that the lab does not list). */
  extraImages?: string[];
  /**
   * Ports the task tells the student to publish inside (e.g. 8080). Nothing to reserve:
   * each sandbox has its own network namespace, so two sandboxes both publish 8080.
   * Checked for range only.
   */
  hostPorts?: number[];
  signal?: AbortSignal;
  progress?: (line: string) => void;
  /** Default: the first safe profile that works on this host (see sandbox/profiles.ts). */
  profile?: SandboxProfileName;
  /** Accept a profile that is not safe when asked for by name (default: DOCKERLAB_SANDBOX_ALLOW_UNSAFE=1). */
  allowUnsafe?: boolean;
  imageMethod?: SandboxImageMethod;
  /** A registry mirror (http URL) the inner engine pulls docker.io images through (measurements only). */
  registryMirror?: string;
}

export interface SandboxExecOptions {
  /** Default /work. */
  cwd?: string;
  env?: Record<string, string>;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Bytes of output kept (the tail); default 1 MiB. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
  onOutput?: (chunk: string) => void;
}

export interface Sandbox {
  readonly containerId: string;
  /** `dockerlab-sandbox-<runId>`: the container's and its network's name. */
  readonly name: string;
  /** How the inner engine runs (see sandbox/profiles.ts); reports should say so when it is not safe. */
  readonly profile: SandboxProfileName;
  /** Whether that profile holds the hostile table. */
  readonly safe: boolean;
  /** The profiles not used, and why. */
  readonly refused: RefusedProfile[];
  /** The firewall rules keeping the sandbox's network away from the host's services, or why there are none. */
  readonly firewall: SandboxFirewall;
  /**
   * The inner engine: its docker client and CLI environment, `http()` reaching
   * 127.0.0.1:PORT inside the sandbox (as the student's `curl localhost:PORT`),
   * `hostAddress` the sandbox's address (ports published on 0.0.0.0 inside).
   */
  readonly runtime: Runtime;
  /**
   * Runs a process in the sandbox (where the student's script runs), as the
   * unprivileged user `dockerlab`, with a minimal environment whose docker CLI and
   * both Compose versions talk to the inner engine. Output: the tail is kept, the rest
   * counted. On time-out or abort, the process and every process it started end.
   */
  exec(argv: string[], options?: SandboxExecOptions): Promise<SandboxExecResult>;
  /** Copies a host folder's content into `sandboxPath` (created; e.g. SUBMISSION_PATH), owned by `dockerlab`. */
  copyIn(hostDir: string, sandboxPath: string): Promise<void>;
  /** Removes the sandbox container (its tmpfs store with it) and its network; idempotent, safe on failure paths. */
  dispose(): Promise<void>;
}

const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * A sandbox engine for one grading: a container of the host engine running its own
 * Docker engine, bounded by `limits`, with `images` inside. Everything it creates on the
 * host carries `labels`; on failure or abort nothing is left behind.
 */
export async function openSandbox(options: SandboxOptions): Promise<Sandbox> {
  validate(options);
  const { host, signal } = options;
  const progress = options.progress ?? (() => undefined);
  const name = `dockerlab-sandbox-${options.runId}`;
  signal?.throwIfAborted();
  const baseImage = await untilAborted(ensureSandboxImage(host, progress), signal);
  const images = [...new Set(options.images)];
  const method = options.imageMethod ?? 'seed';
  // Names the missing ones before any sandbox exists.
  if (images.length > 0) await hostImageIds(host, images);
  const image =
    images.length > 0 && method === 'seed'
      ? await ensureSeededImage({
          host,
          sandboxImage: baseImage,
          images,
          labels: options.labels,
          name: `${name}-seed`,
          ...(options.profile ? { profile: options.profile } : {}),
          ...(options.allowUnsafe !== undefined ? { allowUnsafe: options.allowUnsafe } : {}),
          ...(signal ? { signal } : {}),
          progress,
        })
      : baseImage;
  const started = await startSandboxContainer({
    host,
    image,
    name,
    labels: { ...options.labels, 'dockerlab.sandbox.role': 'sandbox' },
    limits: options.limits,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.allowUnsafe !== undefined ? { allowUnsafe: options.allowUnsafe } : {}),
    ...(options.registryMirror ? { registryMirror: options.registryMirror } : {}),
    ...(signal ? { signal } : {}),
    progress,
  });
  try {
    // A seeded store holds the images already; load whatever it lacks (none, unless the store is damaged).
    const present = images.length > 0 && method === 'seed' ? await presentImages(started, images) : new Set<string>();
    const missing = images.filter((ref) => !present.has(ref));
    if (missing.length > 0 && method === 'seed') progress(`the sandbox's store lacks ${missing.join(', ')}: loading them`);
    const extras = (options.extraImages ?? []).filter((ref) => !images.includes(ref));
    if (extras.length > 0) progress(`loading ${extras.join(', ')}, named by the submission, into the sandbox`);
    if (missing.length + extras.length > 0) await loadImages(host, started.inner, [...missing, ...extras], signal);
    signal?.throwIfAborted();
  } catch (error) {
    await started.dispose().catch(() => undefined);
    throw error;
  }
  return sandboxOf(started, image !== baseImage ? () => removeReplacedSeeds(host.docker, image) : undefined);
}

function validate(options: SandboxOptions): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$/.test(options.runId)) throw new UsageError(`the run id "${options.runId}" cannot name a sandbox: letters, digits, _ . - only`);
  const { memoryMiB, cpus, pids, diskMiB, lifetimeSeconds } = options.limits;
  const bad = Object.entries({ memoryMiB, cpus, pids, diskMiB, lifetimeSeconds }).filter(([, v]) => !(typeof v === 'number' && Number.isFinite(v) && v > 0));
  if (bad.length > 0) throw new UsageError(`sandbox limits must be positive numbers: ${bad.map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
  if (memoryMiB < 256 || pids < 128 || diskMiB < 256) throw new UsageError(`sandbox limits too small for an engine to start: at least memoryMiB 256, pids 128, diskMiB 256 (got ${memoryMiB}, ${pids}, ${diskMiB})`);
  for (const port of options.hostPorts ?? []) if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`hostPorts: ${port} is not a TCP port`);
}

async function presentImages(started: StartedSandbox, refs: string[]): Promise<Set<string>> {
  const tags = new Set((await started.inner.listImages()).flatMap((image) => image.RepoTags ?? []));
  return new Set(refs.filter((ref) => tags.has(ref) || tags.has(ref.includes(':') ? ref : `${ref}:latest`)));
}

/** `afterDispose`: what goes once the sandbox is gone (a seed store its own seed replaced). */
function sandboxOf(started: StartedSandbox, afterDispose?: () => Promise<void>): Sandbox {
  const { host, container } = started;
  const dockerHost = innerDockerHost(started.profile);
  const cliEnv: Record<string, string> = { ...host.cliEnv, DOCKER_HOST: `unix://${started.dockerSocket}` };
  // The host's context or TLS settings would send the CLI elsewhere than the sandbox.
  for (const key of ['DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) delete cliEnv[key];
  const runtime: Runtime = {
    description: `the sandbox ${started.name} (a ${engineOf(started.profile)} Docker engine in a container of ${host.description})`,
    docker: started.inner,
    cliEnv,
    hostAddress: started.address,
    // The grader's own containers in the sandbox publish on its loopback: reached through http(), never from the host's network.
    bindAddress: '127.0.0.1',
    // The same docker CLI builds, against an engine (20.10) that has BuildKit too.
    builder: () => host.builder(),
    http: (request) => requestThroughForwarder(started.httpSocket, request),
  };
  return {
    containerId: started.containerId,
    name: started.name,
    profile: started.profile,
    safe: started.safe,
    refused: started.refused,
    firewall: started.firewall,
    runtime,
    async exec(argv, options = {}) {
      if (argv.length === 0) throw new UsageError('sandbox.exec needs a command');
      const token = randomBytes(8).toString('hex');
      const env: Record<string, string> = { PATH: SANDBOX_PATH, HOME: '/home/dockerlab', USER: 'dockerlab', LOGNAME: 'dockerlab', LANG: 'C.UTF-8', DOCKER_HOST: dockerHost, ...options.env };
      return execInContainer(container, {
        // Started as root only to enter a pid namespace of its own; the command runs as `dockerlab` without capabilities.
        cmd: ['dockerlab-sandbox-run', token, '--', ...argv],
        user: '0:0',
        env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        workingDir: options.cwd ?? '/work',
        timeoutMs: options.timeoutMs ?? 60_000,
        maxOutputBytes: options.maxOutputBytes ?? 1024 * 1024,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onOutput ? { onOutput: options.onOutput } : {}),
        kill: async () => {
          if (writeToFifo(started.killFifo, `${token}\n`)) return;
          await execInContainer(container, { cmd: ['dockerlab-sandbox-kill', token], user: '0:0', env: [], timeoutMs: 10_000, maxOutputBytes: 4096 });
        },
      });
    },
    async copyIn(hostDir, sandboxPath) {
      if (!statSync(hostDir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`cannot copy ${hostDir} into the sandbox: not a folder`);
      if (!path.posix.isAbsolute(sandboxPath) || path.posix.normalize(sandboxPath) !== sandboxPath || sandboxPath.includes('\0')) {
        throw new UsageError(`the sandbox path "${sandboxPath}" must be absolute and normalised (e.g. ${SUBMISSION_PATH})`);
      }
      const result = await execInContainer(container, {
        cmd: ['sh', '-c', 'mkdir -p -- "$1" && exec tar -x -f - -C "$1" --no-same-owner', 'copy-in', sandboxPath],
        user: `${SANDBOX_UID}:${SANDBOX_UID}`,
        env: [],
        stdin: tarStream(directoryEntries(hostDir)),
        timeoutMs: 120_000,
        maxOutputBytes: 8192,
      });
      if (result.exitCode !== 0) {
        const full = /No space left/i.test(result.output) ? ' (the sandbox has 256 MiB for /work: is the submission that big?)' : '';
        throw new EngineError(`copying ${hostDir} into the sandbox at ${sandboxPath} failed${full}: ${result.timedOut ? 'timed out' : result.output.trim() || `exit ${result.exitCode}`}`);
      }
    },
    dispose: async () => {
      await started.dispose();
      await afterDispose?.().catch(() => undefined);
    },
  };
}

/**
 * Writes to a FIFO without blocking: false when nobody reads it (the sandbox's
 * helper is gone). No process needs to start in the sandbox, which matters when a
 * fork bomb has used all its pids.
 */
function writeToFifo(fifo: string, text: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    return writeSync(fd, text) === Buffer.byteLength(text);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Waits for `job`, or stops waiting (the job goes on, shared) when `signal` aborts. */
function untilAborted<T>(job: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return job;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    job.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new EngineError(messageOf(error)));
      },
    );
  });
}
