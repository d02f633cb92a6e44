/**
 * The engine room's door: the Docker client and the Runtime value (one engine, where its ports answer, which builder),
 * errors, labels and locks, containers and images as objects, facts (what checks read), probes and streams.
 * Everything here talks to one engine and knows nothing of builds, sandboxes, Compose or labs.
 * Other rooms import this file only; files inside the room import each other directly.
 */
export { isoToNs } from './clock.js';
export { EngineContainer } from './container.js';
export { requireEngine } from './docker.js';
export { EngineError, NoEngineError, SandboxUnavailableError, UsageError, isNotFound, messageOf, statusCodeOf } from './errors.js';
export type { BuildFacts, BuildFailure, ContainerFacts, ContainerState, FoundFile, HttpAnswer, HttpFailure, ImageConfig, ImageFacts, ListeningSocket, ScriptFacts, StopFacts, VolumeFacts } from './facts.js';
export { MAX_BODY_BYTES } from './http.js';
export { EngineImage, inspectImageConfig } from './image.js';
export { LABEL, OWNER_LABEL, RUN_LABEL, STAND_IN_LABEL, currentOwner, newRunId, ownerIsDead, processStart, runLabels } from './labels.js';
export { acquireLock } from './lock.js';
export { PROBE_IMAGE, probeInNetworkOf } from './probe.js';
export { removeNamed } from './remove.js';
export { createHostRuntime, engineSees } from './runtime.js';
export type { Builder, HostHttpRequest, Runtime } from './runtime.js';
export { FrameDemuxer, TailBuffer, lastLines } from './stream.js';
