import path from 'node:path';
import type Docker from 'dockerode';
import { engineClockSkew, uptimeMs } from './clock.js';
import { EngineError, isNotFound, messageOf } from './errors.js';
import type { ContainerFacts, ContainerState, ExecResult, ProcessInfo } from './facts.js';
import type { Runtime } from './runtime.js';
import { demuxedTail } from './stream.js';
import { firstEntry } from './tar.js';

export function envRecord(list: string[] | undefined | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else out[item] = '';
  }
  return out;
}

export const LOG_TAIL_BYTES = 256 * 1024;
const EXEC_OUTPUT_BYTES = 256 * 1024;
const FILE_BYTES = 1024 * 1024;

/** Facts about one container of one engine, looked up by id or name; every call asks the engine afresh. */
export class EngineContainer implements ContainerFacts {
  private readonly handle: Docker.Container;

  constructor(private readonly runtime: Runtime, readonly name: string, idOrName: string = name) {
    this.handle = runtime.docker.getContainer(idOrName);
  }

  /** null when the container does not exist. */
  static async find(runtime: Runtime, name: string): Promise<EngineContainer | null> {
    try {
      const info = await runtime.docker.getContainer(name).inspect();
      return new EngineContainer(runtime, name, info.Id);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw new EngineError(`could not inspect container ${name}: ${messageOf(error)}`, undefined, { cause: error });
    }
  }

  get id(): string {
    return this.handle.id;
  }

  async state(): Promise<ContainerState> {
    const skew = engineClockSkew(this.runtime.docker);
    // Before the request: the engine answered "running" at some moment after it, so the uptime is not overstated.
    const askedAt = Date.now();
    const info = await this.wrap('inspect', () => this.handle.inspect());
    let imageTags: string[] = [];
    try {
      imageTags = (await this.runtime.docker.getImage(info.Image).inspect()).RepoTags ?? [];
    } catch {
      imageTags = [];
    }
    const ports: ContainerState['ports'] = {};
    const bindings = (info.NetworkSettings?.Ports ?? {}) as Record<string, { HostIp: string; HostPort: string }[] | null>;
    for (const [key, list] of Object.entries(bindings)) {
      ports[key] = (list ?? []).map((b) => ({ hostIp: b.HostIp, hostPort: Number(b.HostPort) }));
    }
    const started = info.State.StartedAt && !info.State.StartedAt.startsWith('0001-') ? info.State.StartedAt : null;
    const finished = info.State.FinishedAt;
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      status: info.State.Status,
      running: info.State.Running,
      restarting: info.State.Restarting,
      exitCode: info.State.ExitCode,
      startedAt: started,
      finishedAt: finished && !finished.startsWith('0001-') ? finished : null,
      uptimeMs: info.State.Running ? uptimeMs(started, await skew, askedAt) : null,
      restartCount: info.RestartCount ?? 0,
      oomKilled: info.State.OOMKilled,
      image: info.Config.Image,
      imageId: info.Image,
      imageTags,
      ports,
      env: envRecord(info.Config.Env),
      labels: info.Config.Labels ?? {},
      memoryBytes: info.HostConfig.Memory ?? 0,
      restartPolicy: info.HostConfig.RestartPolicy?.Name ?? '',
      mounts: (info.Mounts ?? []).map((m) => ({
        type: m.Type ?? '',
        ...(m.Name ? { name: m.Name } : {}),
        source: m.Source,
        destination: m.Destination,
        rw: m.RW,
      })),
      networks: Object.keys(info.NetworkSettings?.Networks ?? {}),
      networkMode: info.HostConfig.NetworkMode ?? '',
      health: (info.State as { Health?: { Status?: string } }).Health?.Status ?? null,
      healthLog: ((info.State as { Health?: { Log?: { ExitCode: number; Output: string }[] } }).Health?.Log ?? []).map((l) => ({ exitCode: l.ExitCode, output: l.Output.slice(-500) })),
      healthcheck: healthcheckOf((info.Config as { Healthcheck?: RawHealthcheck }).Healthcheck),
      stopSignal: (info.Config as { StopSignal?: string }).StopSignal ?? 'SIGTERM',
      pid: info.State.Pid ?? 0,
    };
  }

  async logs({ maxBytes = LOG_TAIL_BYTES }: { maxBytes?: number } = {}): Promise<string> {
    // `tail` bounds the lines the engine sends; the byte cap bounds a flood of long ones.
    const raw = await this.wrap('logs', () => this.handle.logs({ stdout: true, stderr: true, follow: false, tail: 5000 }));
    const tty = await this.isTty();
    const tail = await demuxedTail(this.runtime.docker.modem, raw as unknown as Buffer, maxBytes, { multiplexed: !tty });
    return tail.text();
  }

  private ttyCache: Promise<boolean> | undefined;
  private isTty(): Promise<boolean> {
    this.ttyCache ??= this.handle.inspect().then((i) => !!i.Config.Tty, () => false);
    return this.ttyCache;
  }

  async exec(command: string[], { user, timeoutMs = 15000 }: { user?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const exec = await this.wrap('exec', () =>
      this.handle.exec({ Cmd: command, AttachStdout: true, AttachStderr: true, ...(user ? { User: user } : {}) }),
    );
    const stream = await this.wrap('exec start', () => exec.start({ hijack: true, stdin: false }));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stream.destroy();
    }, timeoutMs);
    try {
      const tail = await demuxedTail(this.runtime.docker.modem, stream, EXEC_OUTPUT_BYTES).catch(() => null);
      const info = await this.wrap('exec inspect', () => exec.inspect());
      const output = tail?.text() ?? '';
      return { exitCode: info.ExitCode ?? -1, stdout: output, stderr: '', timedOut };
    } finally {
      clearTimeout(timer);
    }
  }

  async processes(): Promise<ProcessInfo[]> {
    // `ps` runs on the engine's host: numeric uids, no shell needed inside the image.
    const top = (await this.wrap('top', () => this.handle.top({ ps_args: '-o pid,uid,args' }))) as { Titles: string[]; Processes: string[][] | null };
    const titles = top.Titles.map((t) => t.toUpperCase());
    const pid = titles.indexOf('PID');
    const uid = titles.indexOf('UID');
    const cmd = titles.findIndex((t) => t === 'COMMAND' || t === 'ARGS' || t === 'CMD');
    return (top.Processes ?? []).map((row) => ({
      pid: row[pid] ?? '',
      uid: Number(row[uid]),
      command: row[cmd] ?? row[row.length - 1] ?? '',
    }));
  }

  async hostPort(containerPort: number, protocol = 'tcp'): Promise<number | null> {
    const state = await this.state();
    const bound = state.ports[`${containerPort}/${protocol}`]?.find((b) => b.hostPort > 0);
    return bound?.hostPort ?? null;
  }

  async readFile(file: string, { maxBytes = FILE_BYTES }: { maxBytes?: number } = {}, depth = 0): Promise<string | null> {
    let archive: NodeJS.ReadableStream;
    try {
      archive = await this.handle.getArchive({ path: file });
    } catch (error) {
      if (isNotFound(error)) return null;
      // A rootless engine cannot remount a bind-mounted file read-only for `docker cp`: read it from inside instead.
      const viaExec = await this.readFileWithCat(file, maxBytes);
      if (viaExec !== undefined) return viaExec;
      throw new EngineError(`could not read ${file} in container ${this.name}: ${messageOf(error)}`, undefined, { cause: error });
    }
    const first = await firstEntry(archive, maxBytes);
    if (!first) return null;
    if (first.entry.type === 'file') return first.data?.toString('utf8') ?? '';
    if (first.entry.type === 'symlink' && first.entry.linkTarget && depth < 8) {
      const target = first.entry.linkTarget.startsWith('/') ? first.entry.linkTarget : path.posix.join(path.posix.dirname(file), first.entry.linkTarget);
      return this.readFile(target, { maxBytes }, depth + 1);
    }
    return null;
  }

  /** `cat` in the running container; undefined when that cannot tell (not running, no cat). */
  private async readFileWithCat(file: string, maxBytes: number): Promise<string | null | undefined> {
    try {
      if (!(await this.handle.inspect()).State.Running) return undefined;
      const result = await this.exec(['cat', '--', file], { timeoutMs: 10_000 });
      if (result.exitCode === 0) return result.stdout.slice(0, maxBytes);
      return /No such file|not found/i.test(result.stdout) && !/executable file not found/.test(result.stdout) ? null : undefined;
    } catch {
      return undefined;
    }
  }

  private async wrap<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new EngineError(`docker ${what} on container ${this.name} failed: ${messageOf(error)}`, (error as { statusCode?: number }).statusCode, { cause: error });
    }
  }
}

interface RawHealthcheck { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number }

/** Nanosecond durations as the engine stores them, in seconds, with Docker's defaults where unset. */
export function healthcheckOf(raw: RawHealthcheck | undefined | null): ContainerState['healthcheck'] {
  if (!raw?.Test || raw.Test.length === 0 || raw.Test[0] === 'NONE') return null;
  const seconds = (ns: number | undefined, fallback: number) => (ns && ns > 0 ? ns / 1e9 : fallback);
  return {
    test: raw.Test,
    intervalSeconds: seconds(raw.Interval, 30),
    timeoutSeconds: seconds(raw.Timeout, 30),
    startPeriodSeconds: seconds(raw.StartPeriod, 0),
    retries: raw.Retries && raw.Retries > 0 ? raw.Retries : 3,
  };
}
