import { composeDown } from './compose-down.js';
import { composeUpAgain } from './compose-up.js';
import { httpRequest } from './http-request.js';
import { rebuild } from './rebuild.js';
import { recordCount } from './record-count.js';
import { removeContainer } from './remove-container.js';
import { runContainer } from './run-container.js';
import { stopContainer } from './stop-container.js';
import type { ActionKind } from './types.js';
import { wait } from './wait.js';

/** Every action kind, sorted by name: the one place a new action is registered. */
export const ACTION_KINDS: readonly ActionKind[] = [
  composeDown,
  composeUpAgain,
  httpRequest,
  rebuild,
  recordCount,
  removeContainer,
  runContainer,
  stopContainer,
  wait,
] as unknown as readonly ActionKind[];

const byName = new Map(ACTION_KINDS.map((k) => [k.action, k]));

export function actionKind(action: string): ActionKind | undefined {
  return byName.get(action);
}

export function knownActions(): string[] {
  return [...byName.keys()].sort();
}
