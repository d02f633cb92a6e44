import { existsSync, readdirSync } from 'node:fs';
import { runtime } from './engine.js';

/** Docker objects on the host engine, by kind: ids (and names, so a hostile name can be searched for). */
export interface HostObjects {
  containers: { id: string; name: string; labels: Record<string, string>; command: string }[];
  images: { id: string; tags: string[]; labels: Record<string, string> }[];
  networks: { id: string; name: string; labels: Record<string, string> }[];
  volumes: { name: string; labels: Record<string, string> }[];
}

/**
 * Objects of the host engine, all of them or those matching a label filter
 * (`dockerlab.run=<id>`, `dockerlab.lab=lab-81`, `hhst.token=<t>`). Images include
 * untagged intermediate ones (`all`), which a killed classic build leaves.
 */
export async function hostObjects(label?: string): Promise<HostObjects> {
  const filters = label ? JSON.stringify({ label: [label] }) : undefined;
  const d = runtime.docker;
  const [containers, images, networks, volumes] = await Promise.all([
    d.listContainers({ all: true, ...(filters ? { filters } : {}) }),
    d.listImages({ all: true, ...(filters ? { filters } : {}) }),
    d.listNetworks(filters ? { filters } : {}),
    d.listVolumes(filters ? { filters } : {}),
  ]);
  return {
    containers: containers.map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), labels: c.Labels ?? {}, command: c.Command ?? '' })),
    images: images.map((i) => ({ id: i.Id, tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), labels: i.Labels ?? {} })),
    networks: networks.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} })),
    volumes: (volumes.Volumes ?? []).map((v) => ({ name: v.Name, labels: (v.Labels as Record<string, string> | null) ?? {} })),
  };
}

/** What carries a label, as a flat list ("container dockerlab-sandbox-…"): `[]` means nothing is left. */
export async function leftovers(label: string): Promise<string[]> {
  const found = await hostObjects(label);
  return [
    ...found.containers.map((c) => `container ${c.name}`),
    ...found.images.map((i) => `image ${i.tags[0] ?? i.id.slice(7, 19)}`),
    ...found.networks.map((n) => `network ${n.name}`),
    ...found.volumes.map((v) => `volume ${v.name}`),
  ];
}

/** Objects that are in `after` and not in `before`. */
export function newObjects(before: HostObjects, after: HostObjects): HostObjects {
  const had = new Set([...before.containers.map((c) => c.id), ...before.images.map((i) => i.id), ...before.networks.map((n) => n.id), ...before.volumes.map((v) => v.name)]);
  return {
    containers: after.containers.filter((c) => !had.has(c.id)),
    images: after.images.filter((i) => !had.has(i.id)),
    networks: after.networks.filter((n) => !had.has(n.id)),
    volumes: after.volumes.filter((v) => !had.has(v.name)),
  };
}

/** The objects of a snapshot whose name, tag, label or command holds `text`. */
export function mentioning(objects: HostObjects, text: string): string[] {
  const has = (...values: string[]) => values.some((v) => v.includes(text));
  const labelsHave = (labels: Record<string, string>) => has(...Object.entries(labels).map(([k, v]) => `${k}=${v}`));
  return [
    ...objects.containers.filter((c) => has(c.name, c.command) || labelsHave(c.labels)).map((c) => `container ${c.name}`),
    ...objects.images.filter((i) => has(...i.tags) || labelsHave(i.labels)).map((i) => `image ${i.tags[0] ?? i.id}`),
    ...objects.networks.filter((n) => has(n.name) || labelsHave(n.labels)).map((n) => `network ${n.name}`),
    ...objects.volumes.filter((v) => has(v.name) || labelsHave(v.labels)).map((v) => `volume ${v.name}`),
  ];
}

/** "Maximum resident set size (kbytes): N" of GNU time's -v output, in MB; null when absent. */
export function maxRssMb(timeOutput: string): number | null {
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(timeOutput)?.[1];
  return kb === undefined ? null : Math.round(Number(kb) / 1024);
}

/** A workflow command as a runner reads it from a log line. */
export interface RunnerCommand {
  name: string;
  line: string;
}

/**
 * The workflow commands GitHub's runner would execute from a log, as it reads
 * them: `::name props::message` at the start of a (trimmed) line, nothing between
 * `::stop-commands::TOKEN` and `::TOKEN::`; and the older `##[name]` and Azure's
 * `##vso[` anywhere in a line, which are reported as `legacy`.
 */
export function runnerCommands(log: string): RunnerCommand[] {
  const commands: RunnerCommand[] = [];
  let stopToken: string | null = null;
  for (const raw of log.split(/\r?\n|\r/)) {
    const line = raw.trim();
    if (stopToken !== null) {
      if (line === `::${stopToken}::`) stopToken = null;
      continue;
    }
    const command = /^::([A-Za-z-]+)(?:\s[^:]*)?::(.*)$/.exec(line);
    if (command?.[1] === 'stop-commands') {
      stopToken = command[2] ?? '';
      continue;
    }
    if (command) commands.push({ name: command[1]!, line });
    else if (/##\[|##vso\[/i.test(line)) commands.push({ name: 'legacy', line });
  }
  return commands;
}

/** Entries of a folder whose names start with `prefix`. */
export function entriesStartingWith(dir: string, prefix: string): string[] {
  // A fresh clone has no .dockerlab/logs until a grading writes one.
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((entry) => entry.startsWith(prefix));
}
