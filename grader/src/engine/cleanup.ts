import { docker } from './docker.js';
import { isNotFound, messageOf } from './errors.js';
import { LABEL, RUN_LABEL } from './labels.js';

export interface Removed {
  containers: string[];
  images: string[];
  networks: string[];
  volumes: string[];
  problems: string[];
}

/**
 * Removes every object carrying the grader's label — of one run, or all of them.
 * Containers first (they hold networks and volumes), then networks, volumes, images.
 *
 * The classic builder's intermediate images inherit the build's labels; they are
 * its layer cache, which makes the next grading of the same Dockerfile fast. A
 * run removes its tagged image only (`noprune`), keeping that cache like any
 * `docker build` does; `--cleanup` (no run id) removes the cache too.
 */
export async function removeLabelled(runId?: string): Promise<Removed> {
  const label = runId ? [`${RUN_LABEL}=${runId}`] : [LABEL];
  const filters = JSON.stringify({ label });
  const removed: Removed = { containers: [], images: [], networks: [], volumes: [], problems: [] };
  const d = docker();
  const attempt = async (what: string, call: () => Promise<unknown>, into: string[]) => {
    try {
      await call();
      into.push(what);
    } catch (error) {
      if (!isNotFound(error)) removed.problems.push(`${what}: ${messageOf(error)}`);
    }
  };
  const [containers, networks, volumeList, images] = await Promise.all([
    d.listContainers({ all: true, filters }),
    d.listNetworks({ filters }),
    d.listVolumes({ filters }),
    d.listImages({ filters }),
  ]);
  await Promise.all(containers.map((c) => attempt(c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12), () => d.getContainer(c.Id).remove({ force: true, v: true }), removed.containers)));
  await Promise.all([
    ...networks.map((n) => attempt(n.Name, () => d.getNetwork(n.Id).remove(), removed.networks)),
    ...(volumeList.Volumes ?? []).map((v) => attempt(v.Name, () => d.getVolume(v.Name).remove(), removed.volumes)),
  ]);
  const isCache = (tags: string[] | undefined) => !tags || tags.length === 0 || tags.every((t) => t === '<none>:<none>');
  for (const image of images) {
    if (runId && isCache(image.RepoTags)) continue;
    await attempt(image.RepoTags?.[0] ?? image.Id.slice(7, 19), () => d.getImage(image.Id).remove({ force: true, noprune: !!runId }), removed.images);
  }
  return removed;
}

/** Removes named objects the task tells the student to create (they carry no label of ours when made by hand). */
export async function removeNamed(objects: { containers: string[]; networks: string[]; volumes: string[] }): Promise<string[]> {
  const d = docker();
  const gone: string[] = [];
  await Promise.all(
    objects.containers.map(async (name) => {
      try {
        await d.getContainer(name).remove({ force: true, v: true });
        gone.push(`container ${name}`);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }),
  );
  for (const name of objects.networks) {
    try {
      const network = d.getNetwork(name);
      const info = (await network.inspect()) as { Containers?: Record<string, unknown> };
      for (const id of Object.keys(info.Containers ?? {})) await d.getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
      await network.remove();
      gone.push(`network ${name}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  for (const name of objects.volumes) {
    try {
      await d.getVolume(name).remove({ force: true });
      gone.push(`volume ${name}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return gone;
}

type Teardown = () => Promise<void>;
const pending = new Set<Teardown>();
let handlersInstalled = false;

/**
 * Registers a teardown that must run even when the process is interrupted.
 * The returned function runs it (once) and unregisters it.
 */
export function onTeardown(teardown: Teardown): () => Promise<void> {
  installSignalHandlers();
  let done = false;
  const run = async () => {
    if (done) return;
    done = true;
    pending.delete(run);
    await teardown();
  };
  pending.add(run);
  return run;
}

function installSignalHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      process.stderr.write(`\ndockerlab: ${signal} received, removing what this run created…\n`);
      const all = [...pending].map((t) => t().catch((e: unknown) => process.stderr.write(`cleanup: ${messageOf(e)}\n`)));
      // A second signal while cleaning up exits at once.
      process.once(signal, () => process.exit(code));
      void Promise.all(all).finally(() => process.exit(code));
    });
  }
}
