import { sweepDeadBuildJournals } from '../build/index.js';
import { isNotFound, LABEL, messageOf, OWNER_LABEL, ownerIsDead, RUN_LABEL, type Runtime } from '../engine/index.js';
import { sweepDeadFirewallRules } from '../sandbox/index.js';

export interface Removed {
  containers: string[];
  images: string[];
  networks: string[];
  volumes: string[];
  problems: string[];
}

export function emptyRemoved(): Removed {
  return { containers: [], images: [], networks: [], volumes: [], problems: [] };
}

export function countRemoved(removed: Removed): number {
  return removed.containers.length + removed.images.length + removed.networks.length + removed.volumes.length;
}

/**
 * Removes every object carrying the grader's label — of one run, or all of them.
 * Containers first (they hold networks and volumes, anonymous volumes with them),
 * then networks, volumes, images.
 *
 * The classic builder's intermediate images are its layer cache, which makes the
 * next grading of the same Dockerfile fast. A run removes its tagged image only
 * (`noprune`), keeping that cache like any `docker build` does; `--cleanup --all`
 * (no run id) removes the cache too.
 */
export async function removeLabelled(runtime: Runtime, runId?: string): Promise<Removed> {
  const label = runId ? [`${RUN_LABEL}=${runId}`] : [LABEL];
  const filters = JSON.stringify({ label });
  const removed = emptyRemoved();
  const d = runtime.docker;
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
    ...(volumeList.Volumes ?? []).map((v) => attempt(v.Name, () => d.getVolume(v.Name).remove({ force: true }), removed.volumes)),
  ]);
  const isCache = (tags: string[] | undefined) => !tags || tags.length === 0 || tags.every((t) => t === '<none>:<none>');
  for (const image of images) {
    if (runId && isCache(image.RepoTags)) continue;
    await attempt(image.RepoTags?.[0] ?? image.Id.slice(7, 19), () => d.getImage(image.Id).remove({ force: true, noprune: !!runId }), removed.images);
  }
  if (!runId) {
    addJournalSweep(removed, await sweepDeadBuildJournals(runtime));
    // The rules of the sandbox networks just removed, and of dead runs.
    removed.problems.push(...(await sweepDeadFirewallRules()).problems);
  }
  return removed;
}

/** Unlabelled images of classic builds whose grader was killed, found through their journals (build/journal.ts). */
function addJournalSweep(into: Removed, swept: { images: string[]; problems: string[] }): void {
  into.images.push(...swept.images);
  into.problems.push(...swept.problems);
}

/** The run ids of labelled objects on this engine whose owner (a grader process) is dead. */
export async function deadRuns(runtime: Runtime): Promise<string[]> {
  const filters = JSON.stringify({ label: [OWNER_LABEL] });
  const d = runtime.docker;
  const [containers, networks, volumeList, images] = await Promise.all([
    d.listContainers({ all: true, filters }),
    d.listNetworks({ filters }),
    d.listVolumes({ filters }),
    d.listImages({ filters }),
  ]);
  const runs = new Map<string, string>();
  const note = (labels: Record<string, string> | undefined | null) => {
    const run = labels?.[RUN_LABEL];
    const owner = labels?.[OWNER_LABEL];
    if (run && owner) runs.set(run, owner);
  };
  containers.forEach((c) => note(c.Labels));
  networks.forEach((n) => note(n.Labels));
  (volumeList.Volumes ?? []).forEach((v) => note(v.Labels));
  images.forEach((i) => note(i.Labels));
  return [...runs].filter(([, owner]) => ownerIsDead(owner)).map(([run]) => run);
}

/**
 * Removes the objects of runs whose grader died (kill -9, a crash, a closed
 * laptop): called at the start of each grading and by `--cleanup`. Objects of
 * live runs, and of runs owned by another host, are never touched.
 */
export async function sweepDeadRuns(runtime: Runtime): Promise<Removed> {
  const total = emptyRemoved();
  for (const run of await deadRuns(runtime)) {
    const removed = await removeLabelled(runtime, run);
    for (const key of ['containers', 'images', 'networks', 'volumes', 'problems'] as const) total[key].push(...removed[key]);
  }
  // After the labelled ones: a killed build's tagged last image goes first, then what it made under it.
  addJournalSweep(total, await sweepDeadBuildJournals(runtime));
  // Rules of a killed grader's sandbox network (sandbox/firewall.ts): tagged with its owner, like its objects.
  total.problems.push(...(await sweepDeadFirewallRules()).problems);
  return total;
}
