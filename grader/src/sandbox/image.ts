import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { asOneTime } from '../lib/one-time.js';
import { fromRoot } from '../paths.js';
import { EngineError, isNotFound, messageOf, type Runtime } from '../engine/index.js';
import { directoryEntries, tarStream, type TarSource } from './tar.js';

export const SANDBOX_DIR = fromRoot('grader', 'src', 'sandbox', 'recipe');
export const SANDBOX_REPOSITORY = 'dockerlab-sandbox';
export const SANDBOX_LABEL = 'dockerlab.sandbox';
export const SANDBOX_HASH_LABEL = 'dockerlab.sandbox.hash';

/** The recipe's identity: every file of grader/src/sandbox/recipe/. A local image with another hash is rebuilt. */
export function sandboxRecipeHash(dir = SANDBOX_DIR): string {
  const h = createHash('sha256');
  for (const file of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const full = path.join(dir, file);
    if (statSync(full).isFile()) h.update(`${file}\0`).update(readFileSync(full)).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

const building = new WeakMap<Runtime, Promise<string>>();

/**
 * The sandbox image on the host engine, built from grader/src/sandbox/recipe/ when absent or
 * built from another recipe (about 40 s, once). Returns its tag, `dockerlab-sandbox:<hash>`.
 */
export function ensureSandboxImage(host: Runtime, progress: (line: string) => void = () => undefined): Promise<string> {
  let job = building.get(host);
  if (!job) {
    job = buildIfNeeded(host, progress);
    building.set(host, job);
    job.catch(() => building.delete(host));
  }
  return job;
}

async function buildIfNeeded(host: Runtime, progress: (line: string) => void): Promise<string> {
  const hash = sandboxRecipeHash();
  const tag = `${SANDBOX_REPOSITORY}:${hash}`;
  const labels = await imageLabels(host.docker, tag);
  if (labels?.[SANDBOX_HASH_LABEL] === hash) return tag;
  return asOneTime(() => build(host, hash, tag, progress));
}

async function build(host: Runtime, hash: string, tag: string, progress: (line: string) => void): Promise<string> {
  progress(`building the sandbox image ${tag} from Debian packages (about a minute, once)…`);
  const started = Date.now();
  await buildImage(host.docker, tarStream(directoryEntries(SANDBOX_DIR)), { t: tag, labels: { [SANDBOX_LABEL]: 'true', [SANDBOX_HASH_LABEL]: hash } }, progress).catch((error: unknown) => {
    throw new EngineError(
      `building the sandbox image from grader/src/sandbox/recipe/Dockerfile failed: ${messageOf(error)}\n` +
        'It needs debian:bookworm-slim (`npm run provision` makes it offline) and Debian\'s package mirror.',
    );
  });
  progress(`sandbox image ${tag} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await removeStaleSandboxImages(host.docker, hash);
  return tag;
}

export async function imageLabels(docker: Docker, ref: string): Promise<Record<string, string> | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Config.Labels ?? {};
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new EngineError(`could not inspect image ${ref}: ${messageOf(error)}`);
  }
}

/** Sandbox images (and stores seeded from them) of older recipes: best effort, an image in use stays. */
async function removeStaleSandboxImages(docker: Docker, hash: string): Promise<void> {
  const images = await docker.listImages({ filters: JSON.stringify({ label: [SANDBOX_HASH_LABEL] }) }).catch(() => []);
  for (const image of images) {
    if (image.Labels?.[SANDBOX_HASH_LABEL] === hash) continue;
    await docker.getImage(image.Id).remove({ force: false }).catch(() => undefined);
  }
}

/** `docker build` through the API (classic builder: present on every engine, no CLI needed). */
export async function buildImage(
  docker: Docker,
  context: NodeJS.ReadableStream,
  options: { t: string; labels: Record<string, string> },
  progress: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const stream = await docker.buildImage(context, { t: options.t, labels: options.labels, rm: true, forcerm: true, version: '1', ...(signal ? { abortSignal: signal } : {}) } as Docker.ImageBuildOptions);
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error) => (error ? reject(error) : resolve()),
      (event: { stream?: string; error?: string }) => {
        const line = event.stream?.trim();
        if (line && /^Step \d+\/\d+/.test(line)) progress(`  ${line}`);
      },
    );
  });
}

/** A build context made of files given in memory and files on disk. */
export function contextOf(entries: TarSource[]): NodeJS.ReadableStream {
  return tarStream(entries);
}
