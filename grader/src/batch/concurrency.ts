import os from 'node:os';
import type { WorkloadKind } from './types.js';

const MiB = 1024 * 1024;

/**
 * Which limit a grading counts against. Image labs build and run on the host
 * engine; script and compose labs each start a throw-away sandbox engine; with
 * sandboxes off they share the host engine's fixed names and ports, one at a time.
 */
export type Pool = 'image' | 'sandbox' | 'exclusive';

export function poolOf(kind: WorkloadKind, sandbox: 'auto' | 'off'): Pool {
  if (kind === 'image') return 'image';
  return sandbox === 'off' ? 'exclusive' : 'sandbox';
}

/**
 * What one grading can hold at its peak, from the grader's own limits: an image
 * grading builds (build memory capped at 1 GiB) then runs one container (512 MiB),
 * one after the other; a sandbox holds an inner dockerd (~150 MiB), the images it
 * loads and the lab's containers (512 MiB each, two or three per lab).
 */
export const MEMORY_PER_GRADING: Record<Pool, number> = {
  image: 1024 * MiB,
  sandbox: 2048 * MiB,
  exclusive: 2048 * MiB,
};

export interface Concurrency {
  /** Gradings at once, all pools together. */
  jobs: number;
  /** Per pool: gradings at once. */
  pools: Record<Pool, number>;
  /** Bytes the running gradings may hold together (the sum of MEMORY_PER_GRADING of the running ones). */
  memoryBudget: number;
}

export interface MachineFacts {
  cores: number;
  /** Memory available for new work (MemAvailable on Linux). */
  availableMemory: number;
}

export function machineFacts(): MachineFacts {
  return { cores: os.availableParallelism(), availableMemory: os.freemem() };
}

/**
 * Defaults from the machine: two gradings per core (a grading spends most of its
 * time waiting on the engine: container start, readiness, polls), fewer when memory
 * cannot hold that many at their peak; sandboxes, heavier, one per core. Memory stays
 * bounded because a grading starts only when the budget (80 % of the memory available
 * at start) still holds its peak; an explicit --jobs changes the count, never the budget.
 */
export function defaultConcurrency(machine: MachineFacts, explicitJobs: number | null = null): Concurrency {
  const memoryBudget = Math.max(MEMORY_PER_GRADING.image, Math.floor(machine.availableMemory * 0.8));
  const byMemory = Math.max(1, Math.floor(memoryBudget / MEMORY_PER_GRADING.image));
  const jobs = explicitJobs ?? Math.max(1, Math.min(machine.cores * 2, byMemory, 32));
  const sandboxes = Math.max(1, Math.min(jobs, machine.cores, Math.floor(memoryBudget / MEMORY_PER_GRADING.sandbox)));
  return { jobs, pools: { image: jobs, sandbox: sandboxes, exclusive: 1 }, memoryBudget };
}

export function describeConcurrency(c: Concurrency): string {
  return `${c.jobs} at once (image labs ${c.pools.image}, sandboxed labs ${c.pools.sandbox}), memory budget ${Math.round(c.memoryBudget / MiB)} MiB`;
}
