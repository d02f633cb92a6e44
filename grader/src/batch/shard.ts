export interface Shard {
  /** 1-based, as in `--shard 2/4`. */
  index: number;
  count: number;
}

export class ShardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShardError';
  }
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new ShardError(`--shard must be i/n (e.g. 2/4), not "${text}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index < 1 || index > count) throw new ShardError(`--shard ${text}: i must be between 1 and n (n ≥ 1)`);
  return { index, count };
}

/**
 * The students of one shard: every n-th student of the sorted class, starting at
 * the i-th. Whole students, so a student's gradebook row is never split; round
 * robin over the sorted keys, so every shard gets the same number (±1) and every
 * machine computes the same slice from the same class folder.
 */
export function inShard<T>(sorted: T[], shard: Shard | null): T[] {
  if (!shard) return sorted;
  return sorted.filter((_, position) => position % shard.count === shard.index - 1);
}
