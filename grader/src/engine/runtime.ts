import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import type { HttpAnswer } from './facts.js';
import { requestOnce } from './http.js';

/** Which builder `docker build` runs on an engine. */
export type Builder = 'classic' | 'buildkit';
export type BuilderChoice = Builder | 'auto';

/** An HTTP request to a port published on an engine's host. */
export interface HostHttpRequest {
  port: number;
  path: string;
  method?: string;
  /** Extra request headers (e.g. Accept for a registry's manifests). */
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Bytes of body kept; the rest is read and dropped. */
  maxBodyBytes?: number;
  signal?: AbortSignal;
}

/**
 * One Docker engine as a value: created by the CLI or the batch runner and passed
 * into `grade()`. Nothing about an engine lives in module state, so two gradings
 * in one process (or one on the host engine and one in a sandbox) never share it.
 */
export interface Runtime {
  /** For messages: "the engine at unix:///var/run/docker.sock", "sandbox dl…". */
  readonly description: string;
  readonly docker: Docker;
  /** Environment the docker CLI and compose get to talk to this engine (and nothing of the grader's own). */
  readonly cliEnv: Record<string, string>;
  /** The address where ports published by this engine's containers are reached. */
  readonly hostAddress: string;
  /** The host address the grader's own containers publish ports on: loopback for a local engine, all addresses for a remote one. */
  readonly bindAddress: string;
  /**
   * Set when the engine does not run on this machine (tcp://, ssh://, or an engine in a
   * container or VM reached through a socket: DOCKERLAB_ENGINE_ADDRESS): its ports are
   * not on 127.0.0.1, its bind mounts resolve on its own filesystem, and no sandbox can
   * be made on it. Undefined: the engine is this machine's.
   */
  readonly remote?: RemoteEngine;
  /** The builder `docker build` uses here: the engine's default unless forced. */
  builder(): Promise<Builder>;
  /** An HTTP request to a port published on this engine's host (directly, or from inside a sandbox). */
  http(request: HostHttpRequest): Promise<HttpAnswer>;
}

export interface RemoteEngine {
  /** Folders of this machine the engine sees at the same paths (DOCKERLAB_ENGINE_SHARES); usually none. */
  readonly shares: readonly string[];
}

/** Whether a bind mount of `file` (a path of this machine) shows the engine that file: always on a local engine, under a shared folder on a remote one. */
export function engineSees(runtime: Pick<Runtime, 'remote'>, file: string): boolean {
  if (!runtime.remote) return true;
  const resolved = path.resolve(file);
  return runtime.remote.shares.some((share) => {
    const root = path.resolve(share);
    return resolved === root || resolved.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
  });
}

/**
 * Where this engine runs, from the environment: DOCKERLAB_ENGINE_ADDRESS names the
 * address its published ports answer on (an engine in a container or VM reached through
 * a unix socket, e.g. scripts/engine28.sh's), DOCKERLAB_ENGINE_SHARES the folders
 * (colon-separated) it sees at the same paths; a tcp:// or ssh:// DOCKER_HOST is
 * remote at its host. A loopback address is this machine.
 */
export function engineLocationOf(dockerHost: string | undefined, env: NodeJS.ProcessEnv): { hostAddress: string; remote?: RemoteEngine } {
  const given = env.DOCKERLAB_ENGINE_ADDRESS?.trim();
  const hostAddress = given || hostAddressOf(dockerHost);
  if (/^(127\.|::1$|localhost$)/.test(hostAddress)) return { hostAddress: given && given !== 'localhost' ? given : '127.0.0.1' };
  const shares = (env.DOCKERLAB_ENGINE_SHARES ?? '').split(':').map((s) => s.trim()).filter((s) => path.isAbsolute(s));
  return { hostAddress, remote: { shares } };
}

export interface HostRuntimeOptions {
  /** Like DOCKER_HOST; default: the environment's, else the local socket. */
  dockerHost?: string;
  /** Force a builder; default `auto` (DOCKERLAB_BUILDER, else what the docker CLI does by default). */
  builder?: BuilderChoice;
  env?: NodeJS.ProcessEnv;
}

/** The variables the docker CLI needs from the grader's environment; the rest (tokens, secrets) is never passed on. */
const CLI_ENV_KEYS = ['PATH', 'HOME', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_API_VERSION', 'LANG', 'LC_ALL', 'TMPDIR', 'XDG_RUNTIME_DIR'];

export function cliEnvFrom(env: NodeJS.ProcessEnv, dockerHost?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of CLI_ENV_KEYS) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  if (dockerHost) out.DOCKER_HOST = dockerHost;
  out.DOCKER_CLI_HINTS = 'false';
  return out;
}

/** Where an engine's published ports are reached: its host for tcp:// and ssh:// engines, else this machine. */
export function hostAddressOf(dockerHost: string | undefined): string {
  if (!dockerHost) return '127.0.0.1';
  const match = /^(?:tcp|ssh|http|https):\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)/.exec(dockerHost);
  const host = match?.[1]?.replace(/^\[|\]$/g, '');
  return !host || host === 'localhost' ? '127.0.0.1' : host;
}

/**
 * A dockerode client for an engine address in DOCKER_HOST's syntax, with TLS as
 * the docker CLI does it: DOCKER_TLS_VERIFY=1 and the ca/cert/key.pem of
 * DOCKER_CERT_PATH (default ~/.docker), for a remote engine (Gradescope, PrairieLearn).
 */
export function dockerClient(dockerHost?: string, env: NodeJS.ProcessEnv = process.env): Docker {
  if (!dockerHost) return new Docker();
  if (dockerHost.startsWith('unix://')) return new Docker({ socketPath: dockerHost.slice('unix://'.length) });
  if (dockerHost.startsWith('npipe://')) return new Docker({ socketPath: dockerHost.slice('npipe://'.length) });
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  if (url.protocol === 'ssh:') return new Docker({ protocol: 'ssh', host: url.hostname, port: Number(url.port || 22), ...(url.username ? { username: url.username } : {}) });
  const tls = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
  if (tls) {
    const certs = env.DOCKER_CERT_PATH || path.join(os.homedir(), '.docker');
    const read = (name: string) => readFileSync(path.join(certs, name));
    return new Docker({ protocol: 'https', host: url.hostname, port: Number(url.port || 2376), ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') });
  }
  return new Docker({ protocol: url.protocol === 'https:' ? 'https' : 'http', host: url.hostname, port: Number(url.port || 2375) });
}

export function builderChoiceFrom(value: string | undefined): BuilderChoice | undefined {
  return value === 'classic' || value === 'buildkit' || value === 'auto' ? value : undefined;
}

/**
 * What `docker build` does on this machine when nobody chooses: the docker CLI
 * (23+) builds with BuildKit through buildx when that plugin is installed, and
 * with the classic builder otherwise (or when DOCKER_BUILDKIT=0).
 */
async function defaultBuilder(cliEnv: Record<string, string>, env: NodeJS.ProcessEnv): Promise<Builder> {
  if (env.DOCKER_BUILDKIT === '0') return 'classic';
  const buildx = await execa('docker', ['buildx', 'version'], { env: cliEnv, extendEnv: false, reject: false, timeout: 10_000 });
  return buildx.exitCode === 0 ? 'buildkit' : 'classic';
}

/** The engine the user's environment names (DOCKER_HOST or the local socket). */
export function createHostRuntime(options: HostRuntimeOptions = {}): Runtime {
  const env = options.env ?? process.env;
  const dockerHost = options.dockerHost ?? (env.DOCKER_HOST || undefined);
  const cliEnv = cliEnvFrom(env, dockerHost);
  const { hostAddress, remote } = engineLocationOf(dockerHost, env);
  const docker = dockerClient(dockerHost, env);
  const choice = options.builder ?? builderChoiceFrom(env.DOCKERLAB_BUILDER) ?? 'auto';
  let builder: Promise<Builder> | undefined;
  return {
    description: dockerHost ? `the Docker engine at ${dockerHost}${hostAddress !== hostAddressOf(dockerHost) ? ` (its ports on ${hostAddress})` : ''}` : 'the local Docker engine',
    docker,
    cliEnv,
    hostAddress,
    bindAddress: remote ? '0.0.0.0' : '127.0.0.1',
    ...(remote ? { remote } : {}),
    builder() {
      builder ??= choice === 'auto' ? defaultBuilder(cliEnv, env) : Promise.resolve(choice);
      return builder;
    },
    http: remote ? (request) => remoteHttp(docker, hostAddress, request) : (request) => requestOnce({ host: hostAddress, ...request }),
  };
}

/**
 * A request to a remote engine's published port. A port the student published on
 * 127.0.0.1 (`-p 127.0.0.1:8080:80`) is on the loopback of the engine's machine, out
 * of the grader's reach here: the refusal then says so, instead of "connection refused".
 */
export async function remoteHttp(docker: Pick<Docker, 'listContainers'>, hostAddress: string, request: HostHttpRequest): Promise<HttpAnswer> {
  const answer = await requestOnce({ host: hostAddress, ...request });
  if (answer.ok || (answer.failure !== 'refused' && answer.failure !== 'timeout')) return answer;
  const containers = await docker.listContainers({ filters: JSON.stringify({ publish: [String(request.port)] }) }).catch(() => []);
  const loopback = containers.flatMap((c) => (c.Ports ?? []).filter((p) => p.PublicPort === request.port && /^(127\.|::1$)/.test(p.IP ?? '')).map((p) => ({ name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''), ip: p.IP })));
  if (loopback.length === 0) return answer;
  const { name, ip } = loopback[0]!;
  return {
    ok: false,
    failure: 'other',
    error: `the container "${name}" publishes port ${request.port} on ${ip} of the engine's own machine only, and the grader reaches this engine's ports from another machine (at ${hostAddress}); on a local engine that port would be tried on 127.0.0.1. Publish it on every address (-p ${request.port}:…) to be graded on this engine, or grade where the engine is local`,
  };
}
