import type Docker from 'dockerode';

/**
 * How far the engine's clock is from this process's (engine minus ours, in ms), read once per
 * engine from `docker info`'s SystemTime (its lower bound), or null when it cannot be placed within
 * TRUSTED_WITHIN_MS (no answer, an answer too slow, no SystemTime). An engine on this machine
 * shares its clock (skew ≈ 0); Docker Desktop's VM or a remote engine may not, and then the
 * measured skew corrects the engine's timestamps, or, when unknown, they are not relied on.
 */
const TRUSTED_WITHIN_MS = 100;

const skews = new WeakMap<Docker, Promise<number | null>>();

export function engineClockSkew(docker: Docker): Promise<number | null> {
  let skew = skews.get(docker);
  if (!skew) {
    skew = measure(docker);
    skews.set(docker, skew);
  }
  return skew;
}

async function measure(docker: Docker): Promise<number | null> {
  // A busy engine can be slow to answer once: three tries, the first quick enough counts.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const before = Date.now();
      const info = (await docker.info()) as { SystemTime?: string };
      const after = Date.now();
      const engineMs = info.SystemTime ? isoToMs(info.SystemTime) : null;
      if (engineMs === null) return null;
      // The engine read its clock at some moment between `before` and `after` of ours: the skew is at
      // least engineMs - after. Taking that bound makes uptimes computed with it never overstated.
      if (after - before <= TRUSTED_WITHIN_MS) return engineMs - after;
    } catch {
      return null;
    }
  }
  return null;
}

/** How long a container has been up by the engine's clock, in ms of ours; null when the skew or the start is unknown. */
export function uptimeMs(startedAt: string | null, skewMs: number | null, now = Date.now()): number | null {
  if (!startedAt || skewMs === null) return null;
  const started = isoToMs(startedAt);
  return started === null ? null : Math.max(0, now + skewMs - started);
}

/** An engine timestamp (RFC 3339, nanoseconds) as nanoseconds since the epoch. */
export function isoToNs(iso: string): bigint | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return null;
  const fraction = (m[2] ?? '.').slice(1).padEnd(9, '0');
  return BigInt(ms) * 1_000_000n + BigInt(fraction);
}

/** An engine timestamp as milliseconds since the epoch (its fraction kept, to the microsecond). */
export function isoToMs(iso: string): number | null {
  const ns = isoToNs(iso);
  return ns === null ? null : Number(ns / 1000n) / 1000;
}
