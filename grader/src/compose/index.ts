/**
 * The Compose room's door: choosing Compose v1 or v2, running it, reading a project's containers and volumes,
 * and the grader's own override file. Stands on the engine room only.
 */
export { COMPOSE_FILE_NAMES, anonymousVolumesOf, chooseCompose, composeChoiceFrom, composeCommand, composeProblem, findServiceContainer, hostComposeShell, pickComposeFile, removeComposeProject } from './compose.js';
export type { ComposeChoice, ComposeCommandResult, ComposeFacts, ComposeShell } from './compose.js';
export { hostOverride, parseComposeModel, serviceNames } from './override.js';
