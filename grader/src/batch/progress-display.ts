/** What the batch tells whoever watches it. */
export interface BatchProgress {
  /** `total` gradings in the batch, `alreadyDone` of them found in the store. */
  start(total: number, alreadyDone: number, workers: number): void;
  /** What worker `slot` is doing now; null when it is idle. */
  worker(slot: number, activity: string | null): void;
  /** One grading (possibly counting for several identical submissions) finished. */
  finished(line: FinishedLine): void;
  /** A line that must stay (a warning, a retry). */
  note(line: string): void;
  stop(): void;
}

export interface FinishedLine {
  label: string;
  /** How many gradings of the total it settles (identical submissions are graded once). */
  count: number;
  score: number;
  maxScore: number;
  error: boolean;
  durationMs: number;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

class Tally {
  total = 0;
  done = 0;
  doneAtStart = 0;
  errors = 0;
  startedAt = Date.now();

  /** Remaining time from this run's own pace (gradings found in the store cost nothing, so they do not count). */
  eta(now = Date.now()): number | null {
    const gradedNow = this.done - this.doneAtStart;
    if (gradedNow <= 0) return null;
    return ((now - this.startedAt) / gradedNow) * (this.total - this.done);
  }
}

/** One line per finished grading: for logs, CI and pipes. */
export function plainProgress(stream: ProgressStream): BatchProgress {
  const tally = new Tally();
  const width = () => String(tally.total).length;
  return {
    start(total, alreadyDone, workers) {
      Object.assign(tally, { total, done: alreadyDone, doneAtStart: alreadyDone, startedAt: Date.now() });
      stream.write(`${total} gradings: ${alreadyDone} already stored, ${total - alreadyDone} to do, ${workers} at once\n`);
    },
    worker() {},
    finished(line) {
      tally.done += line.count;
      if (line.error) tally.errors += line.count;
      const what = line.error ? `ERROR (${line.score}/${line.maxScore} before the error)` : `${line.score}/${line.maxScore}`;
      const more = line.count > 1 ? ` (+${line.count - 1} identical)` : '';
      stream.write(`[${String(tally.done).padStart(width())}/${tally.total}] ${line.label}: ${what} in ${formatDuration(line.durationMs)}${more}\n`);
    },
    note(line) {
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}

const BAR = 28;

/**
 * A live display on a terminal: a bar with done/total, errors and ETA, then one
 * line per worker saying what it does. Redrawn at most ten times a second; lines
 * are cut to the terminal's width so that the cursor arithmetic stays right.
 */
export function ttyProgress(stream: ProgressStream, { interval = 100 }: { interval?: number } = {}): BatchProgress {
  const tally = new Tally();
  let workers: (string | null)[] = [];
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const fit = (line: string) => {
    // A pseudo-terminal of unknown size says 0 columns.
    const columns = Math.max(20, (stream.columns || 80) - 1);
    return line.length > columns ? `${line.slice(0, columns - 1)}…` : line;
  };
  const clear = () => {
    if (drawn > 0) stream.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const frame = (): string[] => {
    const fraction = tally.total ? tally.done / tally.total : 1;
    const eta = tally.eta();
    const text =
      ` ${tally.done}/${tally.total} ${Math.floor(fraction * 100)} %` +
      (tally.errors ? ` · ${tally.errors} error${tally.errors > 1 ? 's' : ''}` : '') +
      ` · ${formatDuration(Date.now() - tally.startedAt)} elapsed` +
      (tally.done < tally.total ? ` · ETA ${eta === null ? '…' : formatDuration(eta)}` : '');
    // The bar gives way to the numbers on a narrow terminal.
    const width = Math.max(6, Math.min(BAR, (stream.columns || 80) - 1 - text.length));
    const full = Math.round(fraction * width);
    return [`${'█'.repeat(full)}${'░'.repeat(width - full)}${text}`, ...workers.map((w, i) => `  #${i + 1} ${w ?? 'idle'}`)];
  };
  const draw = () => {
    clear();
    const lines = frame().map(fit);
    stream.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  return {
    start(total, alreadyDone, count) {
      Object.assign(tally, { total, done: alreadyDone, doneAtStart: alreadyDone, startedAt: Date.now() });
      workers = Array.from({ length: count }, () => null);
      draw();
      timer = setInterval(draw, interval);
      timer.unref();
    },
    worker(slot, activity) {
      if (slot < workers.length) workers[slot] = activity;
    },
    finished(line) {
      tally.done += line.count;
      if (line.error) {
        tally.errors += line.count;
        this.note(`✗ ${line.label}: error (engine fault, retried once) after ${formatDuration(line.durationMs)}`);
      }
    },
    note(line) {
      // A note scrolls away above the frame: it may wrap, it is never redrawn.
      clear();
      stream.write(`${line}\n`);
      draw();
    },
    stop() {
      if (timer) clearInterval(timer);
      workers = [];
      draw();
    },
  };
}

export function progressFor(stream: ProgressStream, { quiet = false }: { quiet?: boolean } = {}): BatchProgress {
  if (quiet) return { start() {}, worker() {}, finished() {}, note() {}, stop() {} };
  return stream.isTTY ? ttyProgress(stream) : plainProgress(stream);
}
