/** The narrow view of the engine that checks observe through. Implementations live in engine/. */

/**
 * Why a build failed, the same with both builders. `command`: a RUN exited
 * non-zero. `missing-source`: COPY/ADD found no such path (absent, or excluded
 * by .dockerignore). `syntax` / `unknown-instruction`: the builder refused the
 * Dockerfile. `no-from`: the Dockerfile has no FROM. `base-image`: a FROM image
 * cannot be had. `time-limit`: the build ran past its limit and was stopped.
 * `interrupted`: the grading was cancelled. `missing-dockerfile`; `dockerfile-outside`:
 * it is a link to a file outside the submission; `dockerfile-too-large` (over 1 MiB).
 * `other`: see `reason`.
 */
export interface BuildFailure {
  kind: 'command' | 'missing-source' | 'syntax' | 'unknown-instruction' | 'no-from' | 'base-image' | 'time-limit' | 'interrupted' | 'missing-dockerfile' | 'dockerfile-outside' | 'dockerfile-too-large' | 'other';
  /** 1-based index in BuildFacts.steps of the failing step, when it is one of them. */
  step?: number;
  /** 0-based stage of the failing instruction. */
  stage?: number;
  /** The instruction that failed, as written in the Dockerfile (continuation lines joined). */
  instruction?: string;
  /** 1-based line of that instruction in the Dockerfile. */
  line?: number;
  /** The builder's own error line (its wording differs between builders); for time-limit and interrupted, the grader's. */
  reason: string;
  /** `command`: its exit code. */
  exitCode?: number;
  /** `missing-source`: the path the builder did not find. */
  path?: string;
  /** `base-image`: the image. */
  image?: string;
  /** `unknown-instruction`: the word the builder did not know. */
  word?: string;
  /** `time-limit`: the limit, in seconds. */
  seconds?: number;
  /** The last lines the failing step printed (at most 20), colours and builder bookkeeping removed. */
  output: string[];
}

export interface BuildFacts {
  ok: boolean;
  /** Which builder built it. */
  builder: 'classic' | 'buildkit';
  /** The Dockerfile path relative to the submission. */
  dockerfile: string;
  /** Dockerfile text, or null when it could not be read (see failure.kind: missing-dockerfile, dockerfile-outside, dockerfile-too-large). */
  dockerfileText: string | null;
  /**
   * The steps that make layers (WORKDIR, COPY, ADD, RUN), in Dockerfile order, with
   * whether each was served from the layer cache. FROM and config-only instructions
   * (ENV, LABEL, CMD…) are left out: BuildKit reports no step for the latter and
   * merges identical FROMs, so keeping them would make the list depend on the builder.
   * BuildKit skips stages the final stage does not need; the classic builder builds them.
   */
  steps: { index: number; stage: number; instruction: string; line: number | null; cached: boolean }[];
  /** The last ~64 KiB of the build output (both streams, as they came). */
  outputTail: string;
  /** Size of the whole output. */
  outputBytes: number;
  /** Where the output was written (its head, and the tail when it was long), or null. */
  logFile: string | null;
  durationMs: number;
  failure?: BuildFailure;
  timedOut?: boolean;
  /** Alpine base images served offline by a Debian-based stand-in: requested → stand-in. */
  alpineStandIns?: [string, string][];
}

export interface ImageConfig {
  id: string;
  user: string;
  env: Record<string, string>;
  workdir: string;
  labels: Record<string, string>;
  exposedPorts: string[];
  cmd: string[] | null;
  entrypoint: string[] | null;
  healthcheck: HealthcheckConfig | null;
  stopSignal: string | null;
  sizeBytes: number;
  repoTags: string[];
  /** The image's layer digests (RootFS.Layers), base first. */
  layers: string[];
}

/** Where to look for files in an image: its final filesystem, or every layer its Dockerfile added. */
export type FileScope = 'image' | 'added-layers';

export interface FoundFile {
  /** Absolute path in the image. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'other';
  size: number;
  /** 1-based index of the layer that holds it (added-layers scope), else null. */
  layer: number | null;
  /** The instruction that created that layer, from the image history, when known. */
  createdBy: string | null;
}

export interface ImageFacts {
  readonly ref: string;
  config(): Promise<ImageConfig>;
  /** A file's content inside the image (no shell needed); null when absent. */
  readFile(path: string): Promise<string | null>;
  /** Entries that `match` accepts, in the final filesystem or in the layers added on top of `baseLayers`. */
  findFiles(match: (entry: { path: string; type: FoundFile['type']; size: number }) => boolean, options: { scope: FileScope; baseLayers?: string[] }): Promise<FoundFile[]>;
}

export interface HealthcheckConfig {
  test: string[];
  intervalSeconds: number;
  timeoutSeconds: number;
  startPeriodSeconds: number;
  retries: number;
}

export interface ContainerState {
  id: string;
  name: string;
  status: string; // created | running | paused | restarting | removing | exited | dead
  running: boolean;
  restarting: boolean;
  exitCode: number;
  startedAt: string | null;
  finishedAt: string | null;
  /**
   * How long it has been up (since startedAt) by the engine's own clock, in our milliseconds:
   * null when that clock could not be read precisely (engine/clock.ts) or it is not running.
   */
  uptimeMs?: number | null;
  restartCount: number;
  oomKilled: boolean;
  image: string; // as the user named it (Config.Image)
  imageId: string;
  imageTags: string[];
  /** "80/tcp" → host ports bound to it. */
  ports: Record<string, { hostIp: string; hostPort: number }[]>;
  env: Record<string, string>;
  labels: Record<string, string>;
  memoryBytes: number;
  restartPolicy: string;
  mounts: { type: string; name?: string; source: string; destination: string; rw: boolean }[];
  networks: string[];
  /** HostConfig.NetworkMode: "default", "bridge", "host", "container:…", a network name. */
  networkMode: string;
  health: string | null;
  /** The last health probes (exit code and the end of their output). */
  healthLog: { exitCode: number; output: string }[];
  /** The container's healthcheck (from its image or its run options), with Docker's defaults filled in. */
  healthcheck: HealthcheckConfig | null;
  stopSignal: string;
  pid: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ProcessInfo {
  pid: string;
  uid: number;
  command: string;
}

/** A TCP socket a container listens on, read from /proc/net/tcp{,6} of its network namespace. */
export type { ListeningSocket } from '../lib/proc-net.js';

export interface ContainerFacts {
  readonly name: string;
  state(): Promise<ContainerState>;
  /** The last `maxBytes` of its logs (stdout and stderr), never the whole of an endless log. */
  logs(options?: { maxBytes?: number }): Promise<string>;
  exec(command: string[], options?: { user?: string; timeoutMs?: number }): Promise<ExecResult>;
  processes(): Promise<ProcessInfo[]>;
  /** The host port the engine bound to a container port, or null. */
  hostPort(containerPort: number, protocol?: string): Promise<number | null>;
  /** A file's content in the container (its own filesystem or a mount; no shell needed); null when absent. */
  readFile(path: string, options?: { maxBytes?: number }): Promise<string | null>;
}

export interface VolumeFacts {
  name: string;
  driver: string;
  labels: Record<string, string>;
}

export interface StopFacts {
  /** The container stopped. */
  container: string;
  /** Seconds the grader gave `docker stop` before the engine kills with SIGKILL. */
  timeoutSeconds: number;
  /**
   * How long the app took to end once signalled: the engine's own clock, from its `kill` event (the
   * stop signal sent) to the container's FinishedAt (the process's exit). What the engine does after
   * the exit (network and mount teardown, which a busy machine can stretch to seconds) is not the
   * app's doing. When the engine's events cannot be read: `returnedMs`.
   */
  durationMs: number;
  /** How long `docker stop` took to return, on the grader's clock (teardown included). */
  returnedMs: number;
  /** Where durationMs comes from. */
  measuredBy: 'engine-events' | 'grader-clock';
  exitCode: number;
  /** The engine had to kill it (SIGKILL after the timeout). */
  killed: boolean;
  /** The container's stop signal (STOPSIGNAL, default SIGTERM). */
  stopSignal: string;
}

export interface ScriptFacts {
  script: string;
  exitCode: number | null;
  timedOut: boolean;
  timeoutSeconds: number;
  durationMs: number;
  /** The last part of its output (stdout and stderr). */
  output: string;
  /** How much it printed in all. */
  outputBytes: number;
  /** Every docker command the script ran, as typed (recorded by the shim). */
  dockerCalls: string[];
  /** When it was stopped at its time limit: the line of the script it was running (bash's DEBUG trap), if known. */
  hung?: { line: number; text: string } | null;
}

/** Why no HTTP answer came: each has its own words in the catalogs. */
export type HttpFailure = 'refused' | 'reset' | 'closed' | 'timeout' | 'unreachable' | 'aborted' | 'other';

export type HttpAnswer =
  | { ok: true; status: number; body: string; headers: Record<string, string | string[] | undefined>; truncated: boolean }
  | { ok: false; failure: HttpFailure; error: string };
