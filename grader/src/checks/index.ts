import type { CheckKind } from './types.js';
import { containerImage } from './container-image.js';
import { containerPort } from './container-port.js';
import { containerState } from './container-state.js';
import { execInContainer, processUid } from './exec.js';
import { httpAnswers, portClosed } from './http.js';
import { imageBase } from './image-base.js';
import { imageBuilds } from './image-builds.js';
import { imageEnv, imageExecForm, imageExposes, imageLabel, imageWorkdir } from './image-config.js';
import { imageUserNonRoot } from './image-user-non-root.js';
import { logsContain } from './logs-contain.js';
import { scriptCompletes } from './script-completes.js';

/** Every check kind, sorted by name: the one place a new kind is registered. */
export const CHECK_KINDS: readonly CheckKind[] = [
  containerImage,
  containerPort,
  containerState,
  execInContainer,
  httpAnswers,
  imageBase,
  imageBuilds,
  imageEnv,
  imageExecForm,
  imageExposes,
  imageLabel,
  imageUserNonRoot,
  imageWorkdir,
  logsContain,
  portClosed,
  processUid,
  scriptCompletes,
] as unknown as readonly CheckKind[];

const byKind = new Map(CHECK_KINDS.map((k) => [k.kind, k]));

export function checkKind(kind: string): CheckKind | undefined {
  return byKind.get(kind);
}

export function knownKinds(): string[] {
  return [...byKind.keys()].sort();
}
