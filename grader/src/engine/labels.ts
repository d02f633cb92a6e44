/** Every object the grader creates carries LABEL=1 and its run id, so it can always be found and removed. */
export const LABEL = 'dockerlab';
export const RUN_LABEL = 'dockerlab.run';
export const LAB_LABEL = 'dockerlab.lab';
export const STAND_IN_LABEL = 'dockerlab.stand-in';

export function runLabels(runId: string, labId: string): Record<string, string> {
  return { [LABEL]: '1', [RUN_LABEL]: runId, [LAB_LABEL]: labId };
}

export function newRunId(): string {
  return `dl${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
