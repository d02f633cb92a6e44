/** The narrow view of the engine that checks observe through. Implementations live in engine/. */

export interface BuildFailure {
  /** 1-based step number as the builder counted it, when known. */
  step?: number;
  /** The instruction that failed, as written in the Dockerfile. */
  instruction?: string;
  /** 1-based line of that instruction in the Dockerfile. */
  line?: number;
  /** The builder's own error line. */
  reason: string;
}

export interface BuildFacts {
  ok: boolean;
  /** The Dockerfile path relative to the submission. */
  dockerfile: string;
  /** Dockerfile text, or null when missing. */
  dockerfileText: string | null;
  /** Combined build output. */
  output: string;
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
  healthcheck: { test: string[] } | null;
  sizeBytes: number;
  repoTags: string[];
}

export interface ImageFacts {
  readonly ref: string;
  config(): Promise<ImageConfig>;
  /** A file's content inside the image (no shell needed); null when absent. */
  readFile(path: string): Promise<string | null>;
}

export interface ContainerState {
  id: string;
  name: string;
  status: string; // created | running | paused | restarting | removing | exited | dead
  running: boolean;
  exitCode: number;
  startedAt: string | null;
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
  health: string | null;
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

export interface ContainerFacts {
  readonly name: string;
  state(): Promise<ContainerState>;
  logs(): Promise<string>;
  exec(command: string[], options?: { user?: string; timeoutMs?: number }): Promise<ExecResult>;
  processes(): Promise<ProcessInfo[]>;
  /** The host port the engine bound to a container port, or null. */
  hostPort(containerPort: number, protocol?: string): Promise<number | null>;
}

export interface ScriptFacts {
  script: string;
  exitCode: number | null;
  timedOut: boolean;
  timeoutSeconds: number;
  durationMs: number;
  output: string;
  /** Every docker command the script ran, as typed (recorded by the shim). */
  dockerCalls: string[];
}

export interface HttpRequest {
  port: number;
  path: string;
  method?: string;
  /** Keep trying until this many ms have passed, while `until` says the answer is not final. */
  withinMs?: number;
  until?: (answer: HttpAnswer) => boolean;
}

export type HttpAnswer =
  | { ok: true; status: number; body: string; headers: Record<string, string | string[] | undefined> }
  | { ok: false; error: string };
