import type { ActionResult, CheckResult, Result } from '../result.js';

/** Where a reporter writes: standard output, or a file it creates (or appends to, for CI files such as $GITHUB_STEP_SUMMARY). */
export type Destination = { kind: 'stdout' } | { kind: 'file'; path: string };

export interface ReporterOptions {
  /** ANSI colours allowed (a TTY, and NO_COLOR unset). */
  color: boolean;
  /** The environment the reporter may read (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT…): passed in, never read from process.env. */
  env: Record<string, string | undefined>;
  /** Where `stdout` goes; tests give a buffer. */
  stdout: NodeJS.WritableStream;
  /** The explicit destination (`--reporter junit=out.xml`); undefined means the reporter's default. */
  destination?: Destination;
}

/**
 * A reporter only renders: it receives events of one grading (or of a batch) and
 * writes them somewhere. It never computes a score and never decides the exit code.
 */
export interface Reporter {
  readonly name: string;
  /** A check finished (streaming reporters may print it at once). */
  onCheck?(check: CheckResult): void;
  /** An action between checks finished. */
  onAction?(action: ActionResult): void;
  /** One grading finished. */
  onResult(result: Result): void | Promise<void>;
  /** A batch of gradings finished (batch mode only). */
  onBatchEnd?(results: Result[]): void | Promise<void>;
  /** Flushes and closes what it opened. */
  close?(): Promise<void>;
}

export interface ReporterFactory {
  readonly name: string;
  readonly description: string;
  create(options: ReporterOptions): Reporter;
}
