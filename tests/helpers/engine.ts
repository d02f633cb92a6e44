import { LAB_LABEL, LABEL } from '../../grader/src/engine/labels.js';
import { createHostRuntime } from '../../grader/src/engine/runtime.js';

/** The engine the docker tests run against: the one the environment names. */
export const runtime = createHostRuntime();

/**
 * Everything carrying the grader's label (or testcontainers'), by kind: the suite
 * asserts it is empty after each file. With `lab`, only that lab's objects, so a
 * developer's other gradings on the same engine do not make it fail.
 */
export async function labelled(lab?: string): Promise<{ containers: string[]; images: string[]; networks: string[]; volumes: string[] }> {
  const [ours, theirs] = await Promise.all([lab ? `${LAB_LABEL}=${lab}` : LABEL, 'org.testcontainers'].map((label) => labelledWith(label)));
  return {
    containers: [...ours!.containers, ...theirs!.containers],
    images: ours!.images,
    networks: [...ours!.networks, ...theirs!.networks],
    volumes: [...ours!.volumes, ...theirs!.volumes],
  };
}

async function labelledWith(label: string): Promise<{ containers: string[]; images: string[]; networks: string[]; volumes: string[] }> {
  const filters = JSON.stringify({ label: [label] });
  const d = runtime.docker;
  const [containers, images, networks, volumes] = await Promise.all([
    d.listContainers({ all: true, filters }),
    d.listImages({ filters }),
    d.listNetworks({ filters }),
    d.listVolumes({ filters }),
  ]);
  return {
    containers: containers.map((c) => c.Names[0] ?? c.Id),
    // Untagged images are the classic builder's layer cache, kept on purpose (see grading/cleanup.ts);
    // the sandbox image and stand-ins are cached base images, not leftovers of a run.
    images: images.filter((i) => (i.RepoTags ?? []).some((t) => t !== '<none>:<none>') && !i.Labels?.['dockerlab.sandbox'] && !i.Labels?.['dockerlab.stand-in']).map((i) => i.RepoTags![0]!),
    networks: networks.map((n) => n.Name),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
  };
}

export const NOTHING_LABELLED = { containers: [], images: [], networks: [], volumes: [] };
