import { docker } from './docker.js';
import { EngineError, messageOf } from './errors.js';
import type { ImageConfig, ImageFacts } from './facts.js';
import { envRecord } from './container.js';
import { readTar } from './tar.js';

/** Facts about a built image. Files are read through a created-but-never-started container, so no shell is needed. */
export class EngineImage implements ImageFacts {
  private probe: Promise<string> | undefined;

  /**
   * `filesFrom` may name a container created from this image (not yet changed by
   * anything): reading its files spares creating a probe container.
   */
  constructor(readonly ref: string, private readonly labels: Record<string, string>, private filesFrom?: string) {}

  useFilesOf(containerId: string): void {
    this.filesFrom ??= containerId;
  }

  private configCache: Promise<ImageConfig> | undefined;

  /** Asked once: an image's config never changes. */
  config(): Promise<ImageConfig> {
    this.configCache ??= this.inspect();
    return this.configCache;
  }

  private async inspect(): Promise<ImageConfig> {
    try {
      const info = await docker().getImage(this.ref).inspect();
      const c = info.Config;
      const health = (c as { Healthcheck?: { Test?: string[] } }).Healthcheck;
      return {
        id: info.Id,
        user: c.User ?? '',
        env: envRecord(c.Env ?? undefined),
        workdir: c.WorkingDir ?? '',
        labels: c.Labels ?? {},
        exposedPorts: Object.keys(c.ExposedPorts ?? {}),
        cmd: c.Cmd ?? null,
        entrypoint: (c.Entrypoint as string[] | null | undefined) ?? null,
        healthcheck: health?.Test ? { test: health.Test } : null,
        sizeBytes: info.Size,
        repoTags: info.RepoTags ?? [],
      };
    } catch (error) {
      throw new EngineError(`could not inspect image ${this.ref}: ${messageOf(error)}`);
    }
  }

  private readonly files = new Map<string, Promise<string | null>>();

  /** Image files never change: each is read once, and can be read ahead while the container starts. */
  readFile(path: string): Promise<string | null> {
    let file = this.files.get(path);
    if (!file) {
      file = this.readFileNow(path);
      this.files.set(path, file);
      file.catch(() => this.files.delete(path));
    }
    return file;
  }

  private async readFileNow(path: string): Promise<string | null> {
    const id = await this.probeContainer();
    let archive: Buffer;
    try {
      const stream = await docker().getContainer(id).getArchive({ path });
      archive = await collect(stream);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw new EngineError(`could not read ${path} in image ${this.ref}: ${messageOf(error)}`);
    }
    for (const entry of readTar(archive)) {
      if (entry.type === 'file') return entry.data?.toString('utf8') ?? '';
      if (entry.type === 'symlink') return this.readFile(entry.linkTarget.startsWith('/') ? entry.linkTarget : path.replace(/[^/]*$/, entry.linkTarget));
    }
    return null;
  }

  private probeContainer(): Promise<string> {
    if (this.filesFrom) return Promise.resolve(this.filesFrom);
    this.probe ??= (async () => {
      try {
        const container = await docker().createContainer({
          Image: this.ref,
          Entrypoint: ['/dockerlab-never-started'],
          Cmd: [],
          Labels: this.labels,
          NetworkDisabled: true,
        });
        return container.id;
      } catch (error) {
        throw new EngineError(`could not create a probe container from ${this.ref}: ${messageOf(error)}`);
      }
    })();
    return this.probe;
  }
}

export async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}
