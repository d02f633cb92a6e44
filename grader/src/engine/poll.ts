/** Polls `probe` until it returns a value `done` accepts or the time is up; never a fixed sleep. */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  withinMs: number,
  { firstDelayMs = 50, maxDelayMs = 500, stop }: { firstDelayMs?: number; maxDelayMs?: number; stop?: () => Promise<boolean> } = {},
): Promise<{ value: T; met: boolean }> {
  const deadline = Date.now() + withinMs;
  let delay = firstDelayMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return { value, met: true };
    if (Date.now() + delay > deadline) return { value, met: false };
    if (stop && (await stop())) return { value, met: false };
    await sleep(delay);
    delay = Math.min(maxDelayMs, Math.round(delay * 1.6));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
