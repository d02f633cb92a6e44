/**
 * The build room's door: building a student's Dockerfile with either builder (classic, BuildKit) under limits,
 * reading the builders' output and the crash-safe journal of a classic build, cgroup limits for RUN steps, and
 * the base images (pulled, or the offline stand-ins whose recipes live in ./stand-ins/).
 * Stands on the engine room only.
 */
export { BaseImages, knownRepositories } from './base-images.js';
export { buildImage } from './build.js';
export type { BuildRequest } from './build.js';
export { sweepDeadBuildJournals } from './journal.js';
