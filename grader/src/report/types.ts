import type { Result } from '../result.js';

export interface ReporterOptions {
  color: boolean;
}

/** A reporter only renders a finished result; it never decides the exit code. */
export type Reporter = (result: Result, options: ReporterOptions) => string;
