import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import type Docker from 'dockerode';
import { asOneTime } from '../lib/one-time.js';
import { EngineError, FrameDemuxer, isNotFound, messageOf, type Runtime } from '../engine/index.js';
import { buildImage, contextOf, imageLabels } from './image.js';
import { engineOf, knownProfile, startSandboxContainer, type SandboxLimits, type SandboxProfileName } from './container.js';

export const SEED_REPOSITORY = 'dockerlab-sandbox-seed';
export const SEED_LABEL = 'dockerlab.sandbox.seed';
const SEED_IMAGES_LABEL = 'dockerlab.sandbox.seed.images';

/** The host's image ids of `refs`, or an error naming the missing ones. */
export async function hostImageIds(host: Runtime, refs: string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const missing: string[] = [];
  await Promise.all(
    refs.map(async (ref) => {
      try {
        ids.set(ref, (await host.docker.getImage(ref).inspect()).Id);
      } catch (error) {
        if (!isNotFound(error)) throw new EngineError(`could not inspect image ${ref} on ${host.description}: ${messageOf(error)}`);
        missing.push(ref);
      }
    }),
  );
  if (missing.length > 0) {
    throw new EngineError(`the sandbox should contain ${missing.join(', ')}, missing on ${host.description}: make them available there first (ensureImages, or npm run provision)`);
  }
  return ids;
}

/** Copies images from the host engine into an inner engine (`docker save | docker load`, one stream for all). */
export async function loadImages(host: Runtime, inner: Docker, refs: string[], signal?: AbortSignal): Promise<void> {
  if (refs.length === 0) return;
  const saved = await (host.docker as unknown as { getImages(options: { names: string[]; abortSignal?: AbortSignal }): Promise<NodeJS.ReadableStream> }).getImages({
    names: refs,
    ...(signal ? { abortSignal: signal } : {}),
  });
  const answer = await inner.loadImage(saved, { quiet: true, ...(signal ? { abortSignal: signal } : {}) });
  await new Promise<void>((resolve, reject) => {
    inner.modem.followProgress(answer, (error) => (error ? reject(new EngineError(`loading ${refs.join(', ')} into the sandbox failed: ${messageOf(error)}`)) : resolve()));
  });
}

export interface SeedOptions {
  host: Runtime;
  sandboxImage: string;
  images: string[];
  /** Labels (and name) of the temporary sandbox that prepares the store: the run's, so its cleanup finds it. */
  labels: Record<string, string>;
  name: string;
  profile?: SandboxProfileName;
  allowUnsafe?: boolean;
  signal?: AbortSignal;
  progress?: (line: string) => void;
}

interface SharedSeeding {
  promise: Promise<string>;
  controller: AbortController;
  waiting: number;
}

const seeding = new WeakMap<Runtime, Map<string, SharedSeeding>>();

/**
 * The sandbox image with a pre-seeded store holding `images`: the inner engine's
 * data root, exported once by a sandbox that loaded them, and shipped in the image
 * as a tar file that each new sandbox unpacks into its tmpfs (a tar file, not a
 * folder: the store's overlay whiteouts would otherwise be read as deletions by the
 * host's own overlay driver). Keyed by the sandbox image and the images' ids, so a
 * rebuilt stand-in gets a new store. Returns the image's tag.
 *
 * Concurrent callers share one preparation; it stops only when all of them abort,
 * and an aborting caller returns once the temporary sandbox is gone.
 */
export async function ensureSeededImage(options: SeedOptions): Promise<string> {
  const { host } = options;
  const refs = [...new Set(options.images)].sort();
  const ids = await hostImageIds(host, refs);
  const sandboxId = (await host.docker.getImage(options.sandboxImage).inspect()).Id;
  // A store made by a rootless engine is useless to a rootful one (and back): the engine
  // kind is part of the key. Expected: rootless, until this host has shown it needs a
  // fallback; the store is keyed by the kind the preparing sandbox really ran.
  const keyFor = (engine: 'rootless' | 'rootful') =>
    createHash('sha256')
      .update(engine)
      .update(sandboxId)
      .update(refs.map((ref) => `\0${ref}=${ids.get(ref)}`).join(''))
      .digest('hex')
      .slice(0, 16);
  const key = keyFor(engineOf(options.profile ?? knownProfile(host) ?? 'rootless'));
  let jobs = seeding.get(host);
  if (!jobs) seeding.set(host, (jobs = new Map()));
  let job = jobs.get(key);
  if (!job) {
    const controller = new AbortController();
    const promise = seedIfNeeded({ ...options, signal: controller.signal }, refs, key, keyFor);
    const shared: SharedSeeding = { promise, controller, waiting: 0 };
    jobs.set(key, shared);
    void promise.then(
      () => jobs.delete(key),
      () => jobs.delete(key),
    );
    job = shared;
  }
  return join(job, options.signal);
}

function join(job: SharedSeeding, signal: AbortSignal | undefined): Promise<string> {
  job.waiting += 1;
  if (!signal) return job.promise;
  return new Promise<string>((resolve, reject) => {
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      job.waiting -= 1;
      // Others still wait for this store: leave it to them. The last one stops it and
      // returns once its temporary sandbox is gone (below).
      if (job.waiting > 0) reject(signal.reason);
      else job.controller.abort(signal.reason);
    };
    job.promise.then(
      (tag) => {
        signal.removeEventListener('abort', onAbort);
        if (aborted) reject(signal.reason);
        else resolve(tag);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(aborted ? signal.reason : error);
      },
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

const seedTag = (key: string) => `${SEED_REPOSITORY}:${key}`;

async function seedIfNeeded(options: SeedOptions, refs: string[], expectedKey: string, keyFor: (engine: 'rootless' | 'rootful') => string): Promise<string> {
  const { host } = options;
  if ((await imageLabels(host.docker, seedTag(expectedKey)))?.[SEED_LABEL] === expectedKey) return seedTag(expectedKey);
  return asOneTime(() => seed(options, refs, expectedKey, keyFor));
}

/** Makes the store (once per machine and set of images): not charged to the gradings that wait for it. */
async function seed(options: SeedOptions, refs: string[], expectedKey: string, keyFor: (engine: 'rootless' | 'rootful') => string): Promise<string> {
  const { host, signal } = options;
  const progress = options.progress ?? (() => undefined);
  progress(`preparing the sandbox's store of ${refs.join(', ')} (once)…`);
  const started = Date.now();
  let key = expectedKey;
  const seeder = await startSandboxContainer({
    host,
    image: options.sandboxImage,
    name: options.name,
    labels: { ...options.labels, 'dockerlab.sandbox.role': 'seeder' },
    limits: { memoryMiB: 1024, cpus: 2, pids: 2048, diskMiB: 8192, lifetimeSeconds: 900 } satisfies SandboxLimits,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.allowUnsafe !== undefined ? { allowUnsafe: options.allowUnsafe } : {}),
    ...(signal ? { signal } : {}),
    progress,
  });
  const work = mkdtempSync(path.join(os.tmpdir(), 'dockerlab-seed-'));
  try {
    await loadImages(host, seeder.inner, refs, signal);
    const seedFile = path.join(work, 'seed.tar');
    await exportStore(seeder.container, seedFile, signal);
    const engine = engineOf(seeder.profile);
    key = keyFor(engine);
    const context = contextOf([
      { kind: 'file', name: 'Dockerfile', data: Buffer.from(`FROM ${options.sandboxImage}\nCOPY seed.tar seed.tar.engine /usr/share/dockerlab/\n`) },
      { kind: 'file-on-disk', name: 'seed.tar', file: seedFile, size: statSync(seedFile).size },
      { kind: 'file', name: 'seed.tar.engine', data: Buffer.from(`${engine}\n`) },
    ]);
    await buildImage(host.docker, context, { t: seedTag(key), labels: { [SEED_LABEL]: key, [SEED_IMAGES_LABEL]: `${engine}: ${refs.join(' ')}` } }, () => undefined, signal);
  } finally {
    await seeder.dispose().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
  await removeOlderSeeds(host.docker, `${engineOf(seeder.profile)}: ${refs.join(' ')}`, seedTag(key));
  progress(`sandbox store of ${refs.join(', ')} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return seedTag(key);
}

/** Runs dockerlab-sandbox-seed-export (stops the inner engine, tars its data root) into `file`. */
async function exportStore(container: Docker.Container, file: string, signal?: AbortSignal): Promise<void> {
  const exec = await container.exec({ Cmd: ['dockerlab-sandbox-seed-export'], User: '0:0', AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ Detach: false, Tty: false, ...(signal ? { abortSignal: signal } : {}) })) as NodeJS.ReadableStream & { pause(): void; resume(): void };
  const out = createWriteStream(file);
  let stderr = '';
  let waitingForDisk = false;
  const demux = new FrameDemuxer((payload, kind) => {
    if (kind === 2) stderr = (stderr + payload.toString('utf8')).slice(-2000);
    else if (!out.write(payload) && !waitingForDisk) {
      // The store can be hundreds of MB: follow the disk's pace, not the socket's.
      waitingForDisk = true;
      stream.pause();
      out.once('drain', () => {
        waitingForDisk = false;
        stream.resume();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  out.end();
  await finished(out);
  const info = await exec.inspect();
  if (info.ExitCode !== 0) throw new EngineError(`exporting the sandbox's image store failed (exit ${info.ExitCode}): ${stderr.trim()}`);
}

/**
 * Every other store of the same image names: those of older ids (a stand-in was
 * rebuilt), and an earlier image of the same key, which the new build's tag left
 * dangling (two processes that prepared the same store at once). Compared by image
 * id, not by key: a dangling image still carries the key's label. Best effort: an
 * image a running sandbox uses stays, and goes with the next preparation.
 */
/**
 * After a sandbox that ran from the seed `tag` is gone: the stores of the same images that `tag` replaced
 * (another process prepared one at the same time, and its sandbox still used it when the tag moved) go too.
 * An image still used by a running sandbox stays; that sandbox's own end removes it.
 */
export async function removeReplacedSeeds(docker: Docker, tag: string): Promise<void> {
  const names = await docker.getImage(tag).inspect().then((i) => i.Config?.Labels?.[SEED_IMAGES_LABEL], () => undefined);
  if (names) await removeOlderSeeds(docker, names, tag);
}

async function removeOlderSeeds(docker: Docker, names: string, tag: string): Promise<void> {
  const current = await docker.getImage(tag).inspect().then((i) => i.Id, () => undefined);
  if (!current) return;
  const images = await docker.listImages({ all: true, filters: JSON.stringify({ label: [`${SEED_IMAGES_LABEL}=${names}`] }) }).catch(() => []);
  for (const image of images) {
    if (image.Id !== current) await docker.getImage(image.Id).remove({ noprune: false }).catch(() => undefined);
  }
}

