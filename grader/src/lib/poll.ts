/** Polls `probe` until it returns a value `done` accepts or the time is up; never a fixed sleep. */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  withinMs: number,
  { firstDelayMs = 50, maxDelayMs = 500, stop, signal }: { firstDelayMs?: number; maxDelayMs?: number; stop?: (value: T) => Promise<boolean> | boolean; signal?: AbortSignal } = {},
): Promise<{ value: T; met: boolean; stopped: boolean }> {
  const deadline = Date.now() + withinMs;
  let delay = firstDelayMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return { value, met: true, stopped: false };
    if (Date.now() + delay > deadline || signal?.aborted) return { value, met: false, stopped: false };
    if (stop && (await stop(value))) return { value, met: false, stopped: true };
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
    delay = Math.min(maxDelayMs, Math.round(delay * 1.6));
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
