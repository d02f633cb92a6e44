/**
 * The sandbox room's door: a throw-away inner engine for script and Compose labs (its image's recipe in ./recipe/,
 * the profiles it may run under and their preflights, its store seeded once, its network's firewall, exec and
 * HTTP through it). Stands on the engine room only.
 */
export { sweepDeadFirewallRules } from './firewall.js';
export { ProfileMemory, SANDBOX_PROFILE_NAMES, profileNamed } from './profiles.js';
export type { SandboxProfileName } from './profiles.js';
export { DEFAULT_SANDBOX_LIMITS, SUBMISSION_PATH, ensureSandboxImage, openSandbox } from './sandbox.js';
export type { Sandbox, SandboxLimits, SandboxOptions } from './sandbox.js';
