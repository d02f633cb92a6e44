/**
 * Runs `job` once the events have been quiet for `quietMs`, never two at a time:
 * events during a run are gathered, and one more run follows it (no pile-up).
 * Each run receives what was noted since the previous one began.
 */
export class Rerunner<T> {
  private pending = new Set<T>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly quietMs: number,
    private readonly job: (changes: T[]) => Promise<void>,
  ) {}

  /** A change was seen: (re)starts the quiet period. */
  note(change: T): void {
    if (this.stopped) return;
    this.pending.add(change);
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.quietMs);
  }

  /** Whether a run is under way. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** No more runs; resolves when the one under way (if any) is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private fire(): void {
    this.timer = null;
    if (this.stopped || this.pending.size === 0) return;
    const changes = [...this.pending];
    this.pending.clear();
    this.running = this.job(changes)
      .catch(() => undefined)
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          // Saves during the run: one quiet period more, then one run for all of them.
          this.timer = setTimeout(() => this.fire(), this.quietMs);
        }
      });
  }
}
