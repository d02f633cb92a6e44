import { isNotFound } from './errors.js';
import type { Runtime } from './runtime.js';

/** Removes named objects the task tells the student to create (they carry no label of ours when made by hand). */
export async function removeNamed(runtime: Runtime, objects: { containers: string[]; networks: string[]; volumes: string[] }): Promise<string[]> {
  const d = runtime.docker;
  // Removed in parallel, reported in the order the lab names them.
  const containers = await Promise.all(
    objects.containers.map(async (name) => {
      try {
        await d.getContainer(name).remove({ force: true, v: true });
        return `container ${name}`;
      } catch (error) {
        if (!isNotFound(error)) throw error;
        return null;
      }
    }),
  );
  const gone: string[] = containers.filter((c): c is string => c !== null);
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
      const volume = d.getVolume(name);
      const users = await d.listContainers({ all: true, filters: JSON.stringify({ volume: [name] }) });
      for (const c of users) await d.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      await volume.remove({ force: true });
      gone.push(`volume ${name}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return gone;
}
