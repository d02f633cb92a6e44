import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { envRecord, healthcheckOf } from './container.js';
import { EngineError, isNotFound, messageOf } from './errors.js';
import type { FileScope, FoundFile, ImageConfig, ImageFacts } from './facts.js';
import type { Runtime } from './runtime.js';
import { firstEntry, hashing, readUpTo, walkTar, type TarEntryInfo } from './tar.js';

const FILE_BYTES = 1024 * 1024;

/** Inspects an image of an engine into the narrow config the checks read; null when it does not exist. */
export async function inspectImageConfig(runtime: Runtime, ref: string): Promise<ImageConfig | null> {
  try {
    const info = await runtime.docker.getImage(ref).inspect();
    const c = info.Config;
    return {
      id: info.Id,
      user: c.User ?? '',
      env: envRecord(c.Env ?? undefined),
      workdir: c.WorkingDir ?? '',
      labels: c.Labels ?? {},
      exposedPorts: Object.keys(c.ExposedPorts ?? {}),
      cmd: c.Cmd ?? null,
      entrypoint: (c.Entrypoint as string[] | null | undefined) ?? null,
      healthcheck: healthcheckOf((c as { Healthcheck?: Parameters<typeof healthcheckOf>[0] }).Healthcheck),
      stopSignal: (c as { StopSignal?: string }).StopSignal ?? null,
      sizeBytes: info.Size,
      repoTags: info.RepoTags ?? [],
      layers: info.RootFS?.Layers ?? [],
    };
  } catch (error) {
    if (isNotFound(error)) return null;
    throw new EngineError(`could not inspect image ${ref}: ${messageOf(error)}`, undefined, { cause: error });
  }
}

/**
 * Facts about a built image. Its files are read through a created-but-never-started
 * container (no shell needed: `scratch` images have none), its layers through
 * `docker save`, streamed and never held whole in memory.
 */
export class EngineImage implements ImageFacts {
  private probe: Promise<string> | undefined;
  private configCache: Promise<ImageConfig> | undefined;
  private readonly files = new Map<string, Promise<string | null>>();

  /** `filesFrom` may name a container created from this image and not yet started: reading its files spares a probe container. */
  constructor(private readonly runtime: Runtime, readonly ref: string, private readonly labels: Record<string, string>, private filesFrom?: string) {}

  useFilesOf(containerId: string): void {
    this.filesFrom ??= containerId;
  }

  /** Asked once: an image's config never changes. */
  config(): Promise<ImageConfig> {
    this.configCache ??= inspectImageConfig(this.runtime, this.ref).then((c) => {
      if (!c) throw new EngineError(`image ${this.ref} does not exist any more`);
      return c;
    });
    return this.configCache;
  }

  /** Image files never change: each is read once, and can be read ahead while the container starts. */
  readFile(file: string): Promise<string | null> {
    let content = this.files.get(file);
    if (!content) {
      content = this.readFileNow(file, 0);
      this.files.set(file, content);
      content.catch(() => this.files.delete(file));
    }
    return content;
  }

  private async readFileNow(file: string, depth: number): Promise<string | null> {
    const id = await this.probeContainer();
    let archive: NodeJS.ReadableStream;
    try {
      archive = await this.runtime.docker.getContainer(id).getArchive({ path: file });
    } catch (error) {
      if (isNotFound(error)) return null;
      throw new EngineError(`could not read ${file} in image ${this.ref}: ${messageOf(error)}`, undefined, { cause: error });
    }
    const first = await firstEntry(archive, FILE_BYTES);
    if (!first) return null;
    if (first.entry.type === 'file') return first.data?.toString('utf8') ?? '';
    if (first.entry.type === 'symlink' && first.entry.linkTarget && depth < 8) {
      const target = first.entry.linkTarget.startsWith('/') ? first.entry.linkTarget : path.posix.join(path.posix.dirname(file), first.entry.linkTarget);
      return this.readFileNow(target, depth + 1);
    }
    return null;
  }

  private filesystem: Promise<TarEntryInfo[]> | undefined;
  private layerWalk: Promise<{ byLayer: Map<string, TarEntryInfo[]>; history: string[] }> | undefined;

  /**
   * An image's files never change: each walk (export for the final filesystem,
   * save for the layers) is done once and every check filters what it found, so
   * three checks on one image read it once.
   */
  async findFiles(match: (entry: TarEntryInfo) => boolean, { scope, baseLayers = [] }: { scope: FileScope; baseLayers?: string[] }): Promise<FoundFile[]> {
    if (scope === 'image') {
      this.filesystem ??= this.walkFilesystem();
      this.filesystem.catch(() => (this.filesystem = undefined));
      return (await this.filesystem).filter(match).map((e) => ({ path: e.path, type: e.type, size: e.size, layer: null, createdBy: null }));
    }
    this.layerWalk ??= this.walkLayers();
    this.layerWalk.catch(() => (this.layerWalk = undefined));
    const [{ byLayer, history }, config] = await Promise.all([this.layerWalk, this.config()]);
    const out: FoundFile[] = [];
    config.layers.forEach((digest, index) => {
      if (baseLayers[index] === digest) return;
      for (const e of (byLayer.get(digest) ?? []).filter(match)) out.push({ path: e.path, type: e.type, size: e.size, layer: index + 1, createdBy: history[index] ?? null });
    });
    return out;
  }

  /** The final filesystem, as `docker export` of a pristine container flattens it (whiteouts applied); directories left out. */
  private async walkFilesystem(): Promise<TarEntryInfo[]> {
    const id = await this.createProbe();
    try {
      const stream = await this.runtime.docker.getContainer(id).export();
      const entries: TarEntryInfo[] = [];
      await walkTar(stream, (entry) => {
        if (entry.type !== 'directory') entries.push({ ...entry, path: `/${entry.path}` });
      });
      return entries;
    } catch (error) {
      throw new EngineError(`could not read the filesystem of ${this.ref}: ${messageOf(error)}`, undefined, { cause: error });
    } finally {
      await this.runtime.docker.getContainer(id).remove({ force: true }).catch(() => undefined);
    }
  }

  /**
   * Every layer's entries (whiteouts and directories left out), by the layer's
   * digest, read from `docker save`: a file created in one layer and deleted in a
   * later one is hidden from the final filesystem, yet still shipped in the layer
   * that created it. Callers keep the layers added on top of a base.
   */
  private async walkLayers(): Promise<{ byLayer: Map<string, TarEntryInfo[]>; history: string[] }> {
    const byLayer = new Map<string, TarEntryInfo[]>();
    const smallFiles = new Map<string, Buffer>();
    let archive: NodeJS.ReadableStream;
    try {
      archive = await this.runtime.docker.getImage(this.ref).get();
    } catch (error) {
      throw new EngineError(`could not export image ${this.ref}: ${messageOf(error)}`, undefined, { cause: error });
    }
    await walkTar(archive, async (entry, body) => {
      if (entry.type !== 'file') return;
      if (/\.json$|^index$|^manifest|^repositories$|^oci-layout$/.test(entry.path) && entry.size < 4 * 1024 * 1024) {
        smallFiles.set(entry.path, (await readUpTo(body, 4 * 1024 * 1024)).data);
        return;
      }
      if (!/(^|\/)layer\.tar$|^blobs\/sha256\//.test(entry.path)) return;
      const blob = await sniffBlob(body);
      // An OCI layout (docker save on the containerd image store) keeps the config and manifests as blobs too.
      if (blob.kind === 'json') {
        smallFiles.set(entry.path, (await readUpTo(blob.stream, 4 * 1024 * 1024)).data);
        return;
      }
      if (blob.kind === 'unreadable') {
        blob.stream.resume();
        await ended(blob.stream);
        return;
      }
      // Keyed by the uncompressed digest (the config's diff_id): a gzip layer is read through gunzip.
      const layer = blob.stream;
      const digest = hashing(layer);
      const entries: TarEntryInfo[] = [];
      const inner = tarStream.extract();
      const parsed = new Promise<void>((resolve) => {
        inner.on('entry', (header, entryStream, next) => {
          const data = entryStream as unknown as Readable;
          const name = header.name.replace(/^\.?\/+/, '');
          const type: TarEntryInfo['type'] = header.type === 'directory' ? 'directory' : header.type === 'symlink' ? 'symlink' : header.type === 'link' ? 'link' : header.type === 'file' || header.type === 'contiguous-file' ? 'file' : 'other';
          if (type !== 'directory' && !path.posix.basename(name).startsWith('.wh.')) entries.push({ path: `/${name}`, type, size: header.size ?? 0, linkTarget: header.linkname ?? null });
          data.on('end', () => next());
          data.resume();
        });
        inner.on('finish', resolve);
        // A blob that is not a tar just yields nothing.
        inner.on('error', () => {
          layer.resume();
          resolve();
        });
      });
      layer.pipe(inner as unknown as NodeJS.WritableStream);
      await ended(layer);
      await parsed;
      byLayer.set(digest(), entries);
    });
    return { byLayer, history: historyOf(smallFiles) };
  }

  private probeContainer(): Promise<string> {
    if (this.filesFrom) return Promise.resolve(this.filesFrom);
    this.probe ??= this.createProbe();
    return this.probe;
  }

  private async createProbe(): Promise<string> {
    try {
      const container = await this.runtime.docker.createContainer({
        Image: this.ref,
        Entrypoint: ['/dockerlab-never-started'],
        Cmd: [],
        Labels: this.labels,
        NetworkDisabled: true,
      });
      return container.id;
    } catch (error) {
      throw new EngineError(`could not create a probe container from ${this.ref}: ${messageOf(error)}`, undefined, { cause: error });
    }
  }
}

type SniffedBlob = { kind: 'json' | 'tar' | 'unreadable'; stream: Readable };

/**
 * What a blob of a saved image is, from its first bytes: JSON (a config, a manifest,
 * an index), a gzip-compressed layer (read through gunzip: the containerd store keeps
 * layers as they are pushed), zstd (Node 20's zlib cannot read it: left unread), or a
 * plain tar (the overlay2 store's docker save). Errors of the source end the stream
 * instead of escaping as unhandled 'error' events.
 */
export async function sniffBlob(body: Readable): Promise<SniffedBlob> {
  const pass = new PassThrough();
  const onError = () => pass.end();
  body.on('error', onError);
  (body as Readable).pipe(pass);
  const head = await new Promise<Buffer>((resolve) => {
    const done = () => {
      pass.off('readable', onReadable);
      pass.off('end', done);
      resolve(Buffer.alloc(0));
    };
    const onReadable = () => {
      const chunk = pass.read() as Buffer | null;
      if (chunk === null) return;
      pass.off('readable', onReadable);
      pass.off('end', done);
      pass.unshift(chunk);
      resolve(chunk);
    };
    pass.on('readable', onReadable);
    pass.once('end', done);
  });
  if (head[0] === 0x7b) return { kind: 'json', stream: pass };
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    gunzip.on('error', () => gunzip.end());
    pass.pipe(gunzip);
    return { kind: 'tar', stream: gunzip };
  }
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return { kind: 'unreadable', stream: pass };
  return { kind: 'tar', stream: pass };
}

function ended(stream: Readable): Promise<void> {
  return new Promise<void>((resolve) => {
    if (stream.readableEnded || stream.destroyed) return resolve();
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

/** The `created_by` of each non-empty history entry of the saved image's config, in layer order. */
function historyOf(files: Map<string, Buffer>): string[] {
  try {
    const manifest = JSON.parse(files.get('manifest.json')?.toString('utf8') ?? '[]') as { Config?: string }[];
    const configName = manifest[0]?.Config;
    const config = configName ? (JSON.parse(files.get(configName)?.toString('utf8') ?? '{}') as { history?: { created_by?: string; empty_layer?: boolean }[] }) : {};
    return (config.history ?? []).filter((h) => !h.empty_layer).map((h) => (h.created_by ?? '').replace(/^\/bin\/sh -c (#\(nop\) )?/, '').replace(/\s+/g, ' ').trim());
  } catch {
    return [];
  }
}
