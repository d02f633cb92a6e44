import { jsonReporter } from './json.js';
import { terminalReporter } from './terminal.js';
import type { Reporter } from './types.js';

/** Format name → reporter. */
export const REPORTERS: Record<string, Reporter> = {
  json: jsonReporter,
  terminal: terminalReporter,
};

export type { Reporter, ReporterOptions } from './types.js';
