import { composeWorkload } from './compose.js';
import { imageWorkload } from './image.js';
import { scriptWorkload } from './script.js';
import type { WorkloadKind } from './types.js';

/** Every workload kind, sorted by name: the one place a new kind is registered; grade.ts never switches on kinds. */
export const WORKLOAD_KINDS: readonly WorkloadKind[] = [composeWorkload, imageWorkload, scriptWorkload] as unknown as readonly WorkloadKind[];

const byKind = new Map(WORKLOAD_KINDS.map((k) => [k.kind, k]));

export function workloadKind(kind: string): WorkloadKind | undefined {
  return byKind.get(kind);
}

export function knownWorkloads(): string[] {
  return [...byKind.keys()].sort();
}
