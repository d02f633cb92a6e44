import { MEMORY_PER_GRADING, type Concurrency, type Pool } from './concurrency.js';

export interface QueueItem {
  pool: Pool;
}

/** Thrown by a worker when nothing more can be graded (the engine is gone): the queue starts nothing more, lets running work end, then rethrows it. */
export class StopQueue extends Error {
  constructor(readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.name = 'StopQueue';
  }
}

/**
 * Runs items with at most `jobs` at once, at most `pools[p]` of each pool, and
 * only while the running items' peak memory fits the budget (one item always
 * runs, whatever its size). Items start in order, except that an item whose pool
 * is full lets the next one of another pool go first. `slot` (0-based, below
 * `jobs`) names the worker for the progress display.
 */
export async function runQueue<T extends QueueItem>(
  items: T[],
  limits: Concurrency,
  work: (item: T, slot: number) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const pending = [...items];
  const running = new Map<number, Promise<void>>();
  const inPool: Record<Pool, number> = { image: 0, sandbox: 0, exclusive: 0 };
  let memory = 0;
  let stop: StopQueue | null = null;
  let crash: { error: unknown } | null = null;

  const nextStartable = (): number =>
    pending.findIndex((item) => inPool[item.pool] < limits.pools[item.pool] && (running.size === 0 || memory + MEMORY_PER_GRADING[item.pool] <= limits.memoryBudget));

  const freeSlot = (): number => {
    for (let slot = 0; ; slot++) if (!running.has(slot)) return slot;
  };

  for (;;) {
    while (!stop && !crash && !signal.aborted && running.size < limits.jobs) {
      const index = nextStartable();
      if (index < 0) break;
      const [item] = pending.splice(index, 1) as [T];
      const slot = freeSlot();
      inPool[item.pool] += 1;
      memory += MEMORY_PER_GRADING[item.pool];
      const task = work(item, slot)
        .catch((error: unknown) => {
          // A bug in a worker stops the queue like a lost engine, but only after the running work ended.
          if (error instanceof StopQueue) stop ??= error;
          else crash ??= { error };
        })
        .finally(() => {
          inPool[item.pool] -= 1;
          memory -= MEMORY_PER_GRADING[item.pool];
          running.delete(slot);
        });
      running.set(slot, task);
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (crash) throw (crash as { error: unknown }).error;
  if (stop) throw stop;
}
