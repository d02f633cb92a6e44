/**
 * Work a machine does once and never again: pulling or building a base image, building the
 * sandbox image, seeding its store. A grading that waits for it (its own, or another grading's
 * in the same process) must not be charged for it: a lab's deadline is about the student's work,
 * and a first grade on a fresh machine would otherwise time out on the grader's own set-up.
 *
 * The clock below counts the milliseconds during which at least one piece of one-time work was
 * under way in this process (overlapping pieces count once). A deadline reads it when it starts
 * and when it fires, and grants the difference. In a batch, a grading that was not itself
 * waiting may get that extra time too: a deadline is an upper bound, and the extension is
 * bounded by the set-up's own time.
 */
let active = 0;
let since = 0;
let total = 0;

/** Milliseconds of one-time work in this process so far (including the piece under way). */
export function oneTimeClock(now = Date.now()): number {
  return total + (active > 0 ? now - since : 0);
}

/** Runs `work` as one-time work: the clock runs while it does. */
export async function asOneTime<T>(work: () => Promise<T>): Promise<T> {
  if (active++ === 0) since = Date.now();
  try {
    return await work();
  } finally {
    if (--active === 0) total += Date.now() - since;
  }
}

/**
 * A timer for `ms` milliseconds of the grading's own time: when it fires after one-time work
 * ran, it waits that much longer first. Returns the function that cancels it.
 */
export function deadlineTimer(ms: number, onDeadline: () => void, clock: () => number = oneTimeClock): { cancel: () => void; grantedMs: () => number; setUpMs: () => number } {
  const start = clock();
  let granted = 0;
  let timer: NodeJS.Timeout;
  const fire = () => {
    const extra = clock() - start - granted;
    if (extra > 0) {
      granted += extra;
      timer = setTimeout(fire, extra);
      return;
    }
    onDeadline();
  };
  timer = setTimeout(fire, ms);
  // setUpMs: the one-time work so far since the timer started (granted, or to be granted when it fires).
  return { cancel: () => clearTimeout(timer), grantedMs: () => granted, setUpMs: () => clock() - start };
}
