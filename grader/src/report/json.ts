import type { Reporter } from './types.js';

/** The result contract, one JSON object, nothing else. */
export const jsonReporter: Reporter = (result) => `${JSON.stringify(result, null, 2)}\n`;
