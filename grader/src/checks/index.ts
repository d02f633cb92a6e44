import { buildCacheReused } from './build-cache.js';
import { composeUp } from './compose-up.js';
import { containerEnv, containerLabel, containerMemory, containerRestartPolicy } from './container-config.js';
import { containerFile, containerMount, volumeExists } from './container-files.js';
import { containerHealth, containerStops } from './container-health.js';
import { containerImage } from './container-image.js';
import { containerNoHostPorts } from './container-no-host-ports.js';
import { containerPort } from './container-port.js';
import { containerState } from './container-state.js';
import { execInContainer, processUid } from './exec.js';
import { httpCountIncreases } from './http-count.js';
import { httpAnswers, portClosed } from './http.js';
import { imageBase } from './image-base.js';
import { imageBuilds } from './image-builds.js';
import { imageEnv, imageExecForm, imageExposes, imageLabel, imageWorkdir } from './image-config.js';
import { imageEnvSecretsAbsent, imageFilesAbsent, imageSize, imageStages } from './image-files.js';
import { imageUserNonRoot } from './image-user-non-root.js';
import { dnsResolves, httpFromContainer } from './inside-container.js';
import { logsContain } from './logs-contain.js';
import { namedVolumeMount } from './named-volume-mount.js';
import { containerNetwork, networkExists } from './network.js';
import { localImage, registrySameDigest, registryTags } from './registry.js';
import { scriptCompletes } from './script-completes.js';
import type { CheckKind } from './types.js';

/** Every check kind, sorted by name: the one place a new kind is registered. */
export const CHECK_KINDS: readonly CheckKind[] = [
  buildCacheReused,
  composeUp,
  containerEnv,
  containerFile,
  containerHealth,
  containerImage,
  containerLabel,
  containerMemory,
  containerMount,
  containerNetwork,
  containerNoHostPorts,
  containerPort,
  containerRestartPolicy,
  containerState,
  containerStops,
  dnsResolves,
  execInContainer,
  httpAnswers,
  httpCountIncreases,
  httpFromContainer,
  imageBase,
  imageBuilds,
  imageEnv,
  imageEnvSecretsAbsent,
  imageExecForm,
  imageExposes,
  imageFilesAbsent,
  imageLabel,
  imageSize,
  imageStages,
  imageUserNonRoot,
  imageWorkdir,
  localImage,
  logsContain,
  namedVolumeMount,
  networkExists,
  portClosed,
  processUid,
  registrySameDigest,
  registryTags,
  scriptCompletes,
  volumeExists,
] as unknown as readonly CheckKind[];

const byKind = new Map(CHECK_KINDS.map((k) => [k.kind, k]));

export function checkKind(kind: string): CheckKind | undefined {
  return byKind.get(kind);
}

export function knownKinds(): string[] {
  return [...byKind.keys()].sort();
}
