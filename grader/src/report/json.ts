import { inOrder, outputFor } from './output.js';
import { stringifyJson } from './sanitize.js';
import type { ReporterFactory } from './types.js';

/** The result contract, one JSON object, nothing else. */
export function renderJson(result: unknown): string {
  // JSON escapes every control character, so no student text can break a line here; see stringifyJson for the rest.
  return `${stringifyJson(result)}\n`;
}

export const jsonReporter: ReporterFactory = {
  name: 'json',
  description: 'the result contract as one JSON object (same as --format json)',
  create(options) {
    const out = inOrder(outputFor(options.destination, options.stdout));
    return {
      name: 'json',
      onResult(result) {
        out.write(renderJson(result));
      },
    };
  },
};
