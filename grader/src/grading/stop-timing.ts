import { isoToNs, type Runtime } from '../engine/index.js';

/**
 * How long an app took to stop, on the engine's clock (`stop-container`, judged by `container-stops`):
 * the wall time of `docker stop` also holds the engine's teardown after the exit (network and mounts),
 * which a busy machine stretches to seconds, and a remote engine's clock is not the grader's.
 */

/**
 * Milliseconds from the first signal the engine sent the container (its `kill` event; a `docker stop`
 * that times out sends a second, SIGKILL) to its process's exit (FinishedAt), both on the engine's clock,
 * so a remote engine's clock skew does not matter. Signals sent more than `timeoutSeconds` + 2 s before
 * the exit are not this stop's. Null when no such event is found.
 */
export async function signalToExitMs(runtime: Runtime, id: string, finishedAt: string, timeoutSeconds: number): Promise<number | null> {
  const exitNs = isoToNs(finishedAt);
  if (exitNs === null) return null;
  const fromNs = exitNs - BigInt(timeoutSeconds + 2) * 1_000_000_000n;
  // The engine logs `kill` just after sending the signal, so a fast app may exit before it: half a second past the exit.
  const untilNs = exitNs + 500_000_000n;
  const stream = (await runtime.docker.getEvents({
    since: nsToSeconds(fromNs),
    until: nsToSeconds(untilNs),
    filters: JSON.stringify({ container: [id], event: ['kill'] }),
  } as never)) as unknown as AsyncIterable<Buffer | string>;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  const kills = text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => (JSON.parse(line) as { timeNano?: number | string }).timeNano)
    .filter((t): t is number | string => t !== undefined)
    .map((t) => BigInt(t))
    .filter((t) => t >= fromNs && t <= untilNs)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const first = kills[0];
  if (first === undefined) return null;
  return first >= exitNs ? 0 : Number((exitNs - first) / 1_000_000n);
}


/** Nanoseconds as the events API's `since`/`until` ("seconds.nanoseconds"). */
const nsToSeconds = (ns: bigint) => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
