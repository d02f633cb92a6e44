import { actionKind } from '../actions/index.js';
import type { ActionContext, ActionKind } from '../actions/types.js';
import { checkKind } from '../checks/index.js';
import { needsOf, type CheckContext, type CheckKind, type Facts, type Need } from '../checks/types.js';
import { EngineError, messageOf } from '../engine/index.js';
import { pick, type Lang } from '../i18n/lang.js';
import type { MessageId } from '../i18n/messages.js';
import { showDifference } from '../report/sanitize.js';
import type { ActionResult, CheckResult } from '../result.js';
import { isCheck, type ActionSpec, type CheckSpec, type Lab, type StepSpec } from '../spec/schema.js';
import { actionTitleOf, sayFor, titleOf } from '../titles.js';
import type { PreparedWorkload } from '../workloads/types.js';

/**
 * The "steps" stage of a grading: the lab's checks and actions, in the spec's
 * order, each skipped with its reason when a prerequisite failed, a fact is
 * missing, or the grading was stopped; each evaluated otherwise, and its result
 * handed on at once (onCheck/onAction) for reporters that stream.
 */

/** Thrown out of a step when the grading's deadline passed or it was interrupted. */
class Stopped extends Error {}

export interface StepRun {
  base: Omit<ActionContext, keyof Facts>;
  facts: Facts;
  prepared: PreparedWorkload;
  lang: Lang;
  say: (id: MessageId, data?: Record<string, unknown>) => string;
  signal: AbortSignal;
  stopReason: () => 'deadline' | 'interrupted' | null;
  deadlineSeconds: number;
  progress: (line: string) => void;
  checks: CheckResult[];
  actions: ActionResult[];
  onCheck?: (check: CheckResult) => void;
  onAction?: (action: ActionResult) => void;
}

/** Which facts come from which action, so a step that needs one names the action that did not happen. */
const FACT_SKIP: Partial<Record<Need, MessageId>> = { rebuild: 'skippedRebuild', stop: 'skippedStop', build: 'skippedBuild', image: 'skippedBuild', container: 'skippedContainer', script: 'skippedScript', compose: 'skippedCompose', counts: 'skippedCounts' };

export async function runSteps(lab: Lab, run: StepRun): Promise<void> {
  const { lang, say, facts, prepared } = run;
  const outcome = new Map<string, boolean>();
  /** Why each action that did not happen did not: a dependant's skip says it (the action's row is easy to miss). */
  const actionWhy = new Map<string, string>();
  let lastCheck: string | null = null;
  for (const step of lab.steps) {
    const check = isCheck(step);
    const kind = check ? checkKind(step.kind)! : actionKind((step as ActionSpec).action)!;
    const record = (partial: { status: CheckResult['status'] | ActionResult['status']; message: string } & Partial<Omit<CheckResult, 'status' | 'message'>>) => {
      if (check) {
        const result = checkResult(step, lang, partial as Pick<CheckResult, 'status' | 'message'> & Partial<CheckResult>);
        run.checks.push(result);
        outcome.set(step.id, result.status === 'passed');
        run.onCheck?.(result);
        run.progress(`${step.id}: ${result.status} (${result.durationMs} ms)`);
      } else {
        const result = { ...actionResult(step as ActionSpec, lang, lab, partial as Pick<ActionResult, 'status' | 'message'>), after: lastCheck };
        run.actions.push(result);
        outcome.set(step.id, result.status === 'done');
        if (result.status !== 'done') actionWhy.set(step.id, firstLine(result.message));
        run.onAction?.(result);
        run.progress(`${step.id}: ${result.status} (${result.durationMs} ms)`);
      }
    };
    if (check) lastCheck = step.id;
    const stopped = run.stopReason();
    if (stopped) {
      record({ status: 'skipped', message: say(stopped === 'deadline' ? 'skippedDeadline' : 'skippedInterrupted', { seconds: run.deadlineSeconds }) });
      continue;
    }
    const failedPrereqs = (step.requires ?? []).filter((id) => outcome.get(id) !== true);
    if (failedPrereqs.length > 0) {
      const whys = failedPrereqs.flatMap((id) => (actionWhy.has(id) ? [`${id}: ${actionWhy.get(id)}`] : []));
      const message = say(check ? 'skippedRequires' : 'actionSkipped', { ids: failedPrereqs.join(', ') });
      record({ status: 'skipped', message: whys.length > 0 ? `${message} (${whys.join('; ')})` : message });
      continue;
    }
    const missing = needsOf(kind, step).find((need) => facts[need] === undefined);
    if (missing) {
      const reason = say(prepared.unavailable[missing] ?? FACT_SKIP[missing] ?? 'skippedContainer', { reason: prepared.unavailableReason ?? '' });
      record({ status: 'skipped', message: check ? reason : say('actionNeeds', { reason }) });
      continue;
    }
    const ctx: ActionContext = { ...run.base, ...facts };
    const started = Date.now();
    try {
      if (check) {
        const checkKindDef = kind as CheckKind;
        const checkSay = sayFor(checkKindDef.messages, lang);
        const observation = await checkKindDef.evaluate(step as never, ctx as CheckContext, checkSay);
        if (run.signal.aborted) throw new Stopped();
        // A failure whose two sides would print alike (a colour code, a trailing space) shows the difference.
        const [expected, observed] = observation.passed ? [observation.expected, observation.observed] : showDifference(observation.expected, observation.observed);
        const message = observation.passed ? observed : `${say('expected')}: ${expected}\n${say('observed')}: ${observed}`;
        record({
          status: observation.passed ? 'passed' : 'failed',
          message,
          expected,
          observed,
          durationMs: Date.now() - started,
          ...(observation.location && !observation.passed ? { location: observation.location } : {}),
        });
      } else {
        const actionKindDef = kind as ActionKind;
        const done = await actionKindDef.perform(step as never, ctx, sayFor(actionKindDef.messages, lang));
        if (run.signal.aborted) throw new Stopped();
        if (done.status === 'done' && done.facts) Object.assign(facts, done.facts);
        record({ status: done.status, message: done.message, durationMs: Date.now() - started });
      }
    } catch (error) {
      const why = run.stopReason();
      if (why) {
        record({ status: 'skipped', message: say(why === 'deadline' ? 'skippedDeadline' : 'skippedInterrupted', { seconds: run.deadlineSeconds }), durationMs: Date.now() - started });
        continue;
      }
      const reason = error instanceof EngineError
        ? say('error', { reason: error.message })
        : say('internalError', { reason: `${check ? 'check kind' : 'action'} "${check ? step.kind : (step as ActionSpec).action}": ${messageOf(error)}` });
      record({ status: 'error', message: reason, durationMs: Date.now() - started });
    }
  }
}

/** The first non-empty line of an action's message, at most 200 characters: enough to say why, short enough for a table. */
export function firstLine(message: string): string {
  const line = message.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

export function checkResult(check: CheckSpec, lang: Lang, outcome: Pick<CheckResult, 'status' | 'message'> & Partial<CheckResult>): CheckResult {
  const passed = outcome.status === 'passed';
  return {
    id: check.id,
    title: titleOf(check, lang),
    points: passed ? check.points : 0,
    maxPoints: check.points,
    hint: outcome.status === 'failed' ? (pick(check.hint, lang) ?? null) : null,
    expected: null,
    observed: null,
    durationMs: 0,
    ...outcome,
  };
}

export function actionResult(step: ActionSpec, lang: Lang, lab: Lab, outcome: Pick<ActionResult, 'status' | 'message'> & Partial<ActionResult>): ActionResult {
  const index = lab.steps.findIndex((s: StepSpec) => s.id === step.id);
  const before = lab.steps.slice(0, index).filter(isCheck);
  return {
    id: step.id,
    action: step.action,
    title: actionTitleOf(step, lang),
    durationMs: 0,
    after: before[before.length - 1]?.id ?? null,
    ...outcome,
  };
}
