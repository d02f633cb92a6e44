import type Docker from 'dockerode';
import { docker } from './docker.js';
import { EngineError, isNotFound, messageOf } from './errors.js';
import type { ContainerFacts, ContainerState, ExecResult, ProcessInfo } from './facts.js';
import { demux } from './stream.js';

function envRecord(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else out[item] = '';
  }
  return out;
}

export { envRecord };

/** Facts about one container, looked up by id or name; every call asks the engine afresh. */
export class EngineContainer implements ContainerFacts {
  private readonly handle: Docker.Container;

  constructor(readonly name: string, idOrName: string = name) {
    this.handle = docker().getContainer(idOrName);
  }

  /** null when the container does not exist. */
  static async find(name: string): Promise<EngineContainer | null> {
    try {
      await docker().getContainer(name).inspect();
      return new EngineContainer(name);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw new EngineError(`could not inspect container ${name}: ${messageOf(error)}`);
    }
  }

  async state(): Promise<ContainerState> {
    const info = await this.wrap('inspect', () => this.handle.inspect());
    let imageTags: string[] = [];
    try {
      imageTags = (await docker().getImage(info.Image).inspect()).RepoTags ?? [];
    } catch {
      imageTags = [];
    }
    const ports: ContainerState['ports'] = {};
    const bindings = (info.NetworkSettings?.Ports ?? {}) as Record<string, { HostIp: string; HostPort: string }[] | null>;
    for (const [key, list] of Object.entries(bindings)) {
      ports[key] = (list ?? []).map((b) => ({ hostIp: b.HostIp, hostPort: Number(b.HostPort) }));
    }
    const started = info.State.StartedAt;
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      status: info.State.Status,
      running: info.State.Running,
      exitCode: info.State.ExitCode,
      startedAt: started && !started.startsWith('0001-') ? started : null,
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
      health: (info.State as { Health?: { Status?: string } }).Health?.Status ?? null,
    };
  }

  async logs(): Promise<string> {
    const raw = await this.wrap('logs', () => this.handle.logs({ stdout: true, stderr: true, follow: false }));
    return demux(raw as unknown as Buffer).combined;
  }

  async exec(command: string[], { user, timeoutMs = 15000 }: { user?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const exec = await this.wrap('exec', () =>
      this.handle.exec({ Cmd: command, AttachStdout: true, AttachStderr: true, ...(user ? { User: user } : {}) }),
    );
    const stream = await this.wrap('exec start', () => exec.start({ hijack: true, stdin: false }));
    const chunks: Buffer[] = [];
    const timedOut = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => { stream.destroy(); resolve(true); }, timeoutMs);
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => { clearTimeout(timer); resolve(false); });
      stream.on('close', () => { clearTimeout(timer); resolve(false); });
      stream.on('error', () => { clearTimeout(timer); resolve(false); });
    });
    const { stdout, stderr } = demux(Buffer.concat(chunks));
    const info = await this.wrap('exec inspect', () => exec.inspect());
    return { exitCode: info.ExitCode ?? -1, stdout, stderr, timedOut };
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

  private async wrap<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new EngineError(`docker ${what} on container ${this.name} failed: ${messageOf(error)}`, (error as { statusCode?: number }).statusCode);
    }
  }
}
