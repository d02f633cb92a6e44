import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { actionKind } from './actions/index.js';
import type { ActionContext, ActionKind } from './actions/types.js';
import { checkKind } from './checks/index.js';
import { needsOf, type CheckContext, type CheckKind, type Facts, type Need } from './checks/types.js';
import { BaseImages } from './engine/base-images.js';
import { removeLabelled, sweepDeadRuns } from './engine/cleanup.js';
import { requireEngine } from './engine/docker.js';
import { EngineError, NoEngineError, SandboxUnavailableError, UsageError, messageOf } from './engine/errors.js';
import { newRunId, runLabels } from './engine/labels.js';
import { PROBE_IMAGE } from './engine/probe.js';
import type { Runtime } from './engine/runtime.js';
import { DEFAULT_SANDBOX_LIMITS, SUBMISSION_PATH, type Sandbox, type SandboxLimits } from './engine/sandbox.js';
import { EngineSession } from './engine/session.js';
import { langFromLocale, pick, type Lang } from './i18n/lang.js';
import { sayIn, type MessageId } from './i18n/messages.js';
import { fromRoot } from './paths.js';
import { showDifference } from './report/sanitize.js';
import { score, type ActionResult, type CheckResult, type Result } from './result.js';
import { labsDir as defaultLabsDir, loadLabFile, preloadValidators } from './spec/load.js';
import { isCheck, type ActionSpec, type CheckSpec, type Lab, type StepSpec } from './spec/schema.js';
import { actionTitleOf, sayFor, titleOf } from './titles.js';
import { workloadKind } from './workloads/index.js';
import type { PreparedWorkload, WorkloadContext } from './workloads/types.js';

export interface GradeOptions {
  /** `lab-03` (looked up in `labsDir`), or a path to a lab folder holding lab.json. */
  lab: string;
  labsDir?: string;
  /** The student's files; defaults to the lab's own folder. */
  submission?: string;
  lang?: Lang;
  /** The engine to grade on (created by the CLI or the batch runner). */
  runtime: Runtime;
  /** Base images of that engine; share one between gradings of the same engine. */
  baseImages?: BaseImages;
  /**
   * Script and compose labs run in a throw-away sandbox engine. `required`: or
   * not at all (CI, a class's work); `auto`: without one, with a note, where none
   * can be made (Docker Desktop, a remote engine) — a student grading their own
   * work on their own machine; `off`: never (trusted work).
   */
  sandbox?: 'auto' | 'required' | 'off';
  sandboxLimits?: Partial<SandboxLimits>;
  signal?: AbortSignal;
  progress?: (line: string) => void;
  onCheck?: (check: CheckResult) => void;
  onAction?: (action: ActionResult) => void;
  /** Where full build/script logs go; null for nowhere. Default: .dockerlab/logs of the repository. */
  logsDir?: string | null;
  /** The Compose version for compose labs; default: DOCKERLAB_COMPOSE, else v2 when present, else v1. */
  compose?: 'v1' | 'v2' | 'auto';
  /** The label `dockerlab.run` of everything this grading creates; default: a fresh one. The CLI picks it so that a second Ctrl-C can name what is left. */
  runId?: string;
}

const DEADLINE_CEILING_SECONDS = 1800;

export function resolveLabDir(lab: string, labs = defaultLabsDir()): string {
  if (/^lab-\d{2}$/.test(lab)) return path.join(labs, lab);
  return path.resolve(lab);
}

export function chooseLang(explicit: Lang | undefined, lab: Lab | undefined, env: NodeJS.ProcessEnv = process.env): Lang {
  return explicit ?? langFromLocale(env.LC_ALL || env.LC_MESSAGES || env.LANG) ?? lab?.lang ?? 'fr';
}

let graderVersion: string | undefined;
export function currentGraderVersion(): string {
  graderVersion ??= (JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version;
  return graderVersion;
}

/** Thrown out of a step when the grading's deadline passed or it was interrupted. */
class Stopped extends Error {}

/** load → validate → workload → steps (checks and actions, in order) → result; one direction, nothing rendered here. */
export async function grade(options: GradeOptions): Promise<Result> {
  const started = Date.now();
  const progress = options.progress ?? (() => undefined);
  progress('grading starts');
  const hostRuntime = options.runtime;
  const labDir = resolveLabDir(options.lab, options.labsDir);
  if (!existsSync(path.join(labDir, 'lab.json'))) throw new UsageError(`no lab "${options.lab}" (looked for ${path.join(labDir, 'lab.json')}); \`npm run grade -- --list\` shows the labs`);
  // Asked now, answered while the spec is validated.
  const engineAnswers = requireEngine(hostRuntime);
  engineAnswers.catch(() => undefined);
  preloadValidators();
  const lab = loadLabFile(path.join(labDir, 'lab.json'));
  const submissionDir = path.resolve(options.submission ?? labDir);
  if (!existsSync(submissionDir) || !statSync(submissionDir).isDirectory()) {
    throw new UsageError(`the submission folder ${submissionDir} does not exist (give --submission DIR, a folder holding your files)`);
  }
  const lang = chooseLang(options.lang, lab);
  const say = sayIn(lang);
  const workload = workloadKind(lab.workload.kind)!;
  const deliverables = ([] as string[]).concat(workload.deliverable(lab.workload as never));
  const ungradable = deliverables.some((file) => existsSync(path.join(submissionDir, file))) ? null : { reason: say('missingDeliverable', { file: deliverables.join(' / '), folder: submissionDir }) };
  progress(`lab ${lab.id} loaded`);
  await engineAnswers;
  progress('engine answers');

  const runId = options.runId ?? newRunId();
  const labels = runLabels(runId, lab.id);
  const deadlineSeconds = Math.min(lab.timeoutSeconds ?? 600, DEADLINE_CEILING_SECONDS);
  const controller = new AbortController();
  let stopReason: 'deadline' | 'interrupted' | null = null;
  const onAbort = () => {
    stopReason ??= 'interrupted';
    controller.abort();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const deadline = setTimeout(() => {
    stopReason ??= 'deadline';
    controller.abort();
  }, deadlineSeconds * 1000);
  const signal = controller.signal;

  // Objects of graders that died (kill -9, a crash) are swept while this one starts.
  const sweep = sweepDeadRuns(hostRuntime).catch(() => null);
  const baseImages = options.baseImages ?? new BaseImages(hostRuntime);
  const notes: string[] = [];
  const checks: CheckResult[] = [];
  const actions: ActionResult[] = [];
  let sandbox: Sandbox | null = null;
  let prepared: PreparedWorkload | undefined;
  const sandboxMode = options.sandbox ?? 'required';
  let useSandbox = workload.isolation === 'sandbox' && sandboxMode !== 'off';
  try {
    let runtime = hostRuntime;
    let submissionDirInEngine = submissionDir;
    let ensureImages = async (refs: string[]) => {
      await baseImages.ensure(refs, progress);
      const alpineStandIns: [string, string][] = [];
      for (const ref of refs) {
        const servedBy = await baseImages.alpineServedBy(ref);
        if (servedBy) alpineStandIns.push([ref, servedBy]);
      }
      return { alpineStandIns };
    };
    if (useSandbox) {
      const limits = { ...DEFAULT_SANDBOX_LIMITS, ...options.sandboxLimits };
      const images = [...workload.images(lab.workload as never), PROBE_IMAGE];
      // The images must exist on the host before they can be carried into the sandbox.
      await baseImages.ensure(images, progress);
      const { openSandbox } = await import('./engine/sandbox.js');
      progress('opening the sandbox…');
      try {
        sandbox = await openSandbox({ host: hostRuntime, runId, labels, limits, images, hostPorts: workload.hostPorts(lab.workload as never), signal, progress });
      } catch (error) {
        if (!(error instanceof SandboxUnavailableError)) throw error;
        if (sandboxMode !== 'auto') throw new UsageError(`${error.message}\n(This grading requires a sandbox: the work is not the grader's own. On your own machine, grading your own work, the default --sandbox auto runs without one.)`);
        useSandbox = false;
        notes.push(say('sandboxUnavailable', { reason: error.message }));
      }
    }
    if (sandbox) {
      const limits = { ...DEFAULT_SANDBOX_LIMITS, ...options.sandboxLimits };
      runtime = sandbox.runtime;
      submissionDirInEngine = SUBMISSION_PATH;
      await sandbox.copyIn(submissionDir, submissionDirInEngine);
      const inner = new BaseImages(runtime);
      ensureImages = async (refs: string[]) => {
        await inner.ensure(refs, progress);
        return { alpineStandIns: [] };
      };
      notes.push(say('sandboxed', { memory: limits.memoryMiB, cpus: limits.cpus, pids: limits.pids, lifetime: limits.lifetimeSeconds }));
      if (sandbox.profile !== 'rootless') notes.push(say('sandboxRootful', { profile: sandbox.profile }));
      if (!sandbox.firewall.applied) notes.push(say('sandboxNoFirewall', { reason: sandbox.firewall.reason }));
    } else if (workload.isolation === 'sandbox' && sandboxMode === 'off') {
      notes.push(say('sandboxOff'));
    }
    const session = new EngineSession({ runtime, labels, signal, ensureImages });
    const workloadContext: WorkloadContext = {
      runtime,
      sandbox,
      lab,
      submissionDir,
      submissionDirInEngine,
      runId,
      labels,
      lang,
      say,
      progress,
      signal,
      logsDir: options.logsDir === undefined ? fromRoot('.dockerlab', 'logs') : options.logsDir,
      ensureImages,
      ...(options.compose ? { compose: options.compose } : {}),
      observe: { http: (request) => session.http(request), listeningSockets: (container) => session.listeningSockets(container) },
    };
    prepared = await workload.prepare(lab.workload as never, workloadContext);
    session.resolveNamesWith(prepared.findContainer?.bind(prepared));
    notes.push(...prepared.notes);
    progress('workload ready; running the steps…');
    const facts: Facts = { ...prepared.facts };
    const base: Omit<ActionContext, keyof Facts> = {
      lang,
      lab,
      submissionDir,
      submissionDirInEngine,
      findContainer: (name) => session.findContainer(name),
      containerOnHostPort: (port) => session.containerOnHostPort(port),
      findVolume: (name) => session.findVolume(name),
      imageConfig: (ref) => session.imageConfig(ref),
      http: (request) => session.http(request),
      listeningSockets: (container) => session.listeningSockets(container),
      findNetwork: (name) => session.findNetwork(name),
      resolveFrom: (container, name) => session.resolveFrom(container, name),
      httpFrom: (container, request) => session.httpFrom(container, request),
      localImageTags: (repository) => session.localImageTags(repository),
      signal,
      progress,
      engine: session,
      operations: prepared.operations,
    };
    await runSteps(lab, { base, facts, prepared, lang, say, signal, stopReason: () => stopReason, deadlineSeconds, progress, checks, actions, ...(options.onCheck ? { onCheck: options.onCheck } : {}), ...(options.onAction ? { onAction: options.onAction } : {}) });
  } catch (error) {
    if (error instanceof UsageError || error instanceof NoEngineError) throw error;
    // The workload itself could not be set up (or was stopped): the steps not run yet say why.
    const message = stopReason
      ? say(stopReason === 'deadline' ? 'skippedDeadline' : 'skippedInterrupted', { seconds: deadlineSeconds })
      : say(error instanceof EngineError ? 'error' : 'internalError', { reason: messageOf(error) });
    const status = stopReason ? 'skipped' : 'error';
    for (const step of lab.steps) {
      if (isCheck(step) && !checks.some((c) => c.id === step.id)) checks.push(checkResult(step, lang, { status, message }));
      if (!isCheck(step) && !actions.some((a) => a.id === step.id)) actions.push(actionResult(step as ActionSpec, lang, lab, { status: stopReason ? 'skipped' : 'error', message }));
    }
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onAbort);
    progress('cleaning up…');
    const before = Date.now();
    const cleanups: [string, () => Promise<unknown>][] = [
      ['workload', async () => { if (prepared) notes.push(...(await prepared.finish())); }],
      ['sandbox', async () => sandbox?.dispose()],
      ['labelled objects', async () => {
        const removed = await removeLabelled(hostRuntime, runId);
        if (removed.problems.length) notes.push(`cleanup: ${removed.problems.join('; ')}`);
      }],
      ['sweep', () => sweep],
    ];
    for (const [what, cleanup] of cleanups) {
      try {
        await cleanup();
      } catch (error) {
        notes.push(`cleanup (${what}): ${messageOf(error)}`);
      }
    }
    progress(`cleanup took ${Date.now() - before} ms`);
  }
  // Steps appear in the spec's order whatever path filled them.
  const order = new Map(lab.steps.map((s, i) => [s.id, i]));
  checks.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  actions.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return {
    lab: lab.id,
    title: pick(lab.title, lang) ?? lab.id,
    ...score(checks),
    checks,
    actions,
    lang,
    submission: submissionDir,
    notes,
    durationMs: Date.now() - started,
    isolation: sandbox ? 'sandbox' : 'engine',
    grader: { version: currentGraderVersion() },
    ungradable,
  };
}

interface StepRun {
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

async function runSteps(lab: Lab, run: StepRun): Promise<void> {
  const { lang, say, facts, prepared } = run;
  const outcome = new Map<string, boolean>();
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
      record({ status: 'skipped', message: say(check ? 'skippedRequires' : 'actionSkipped', { ids: failedPrereqs.join(', ') }) });
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

function checkResult(check: CheckSpec, lang: Lang, outcome: Pick<CheckResult, 'status' | 'message'> & Partial<CheckResult>): CheckResult {
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

function actionResult(step: ActionSpec, lang: Lang, lab: Lab, outcome: Pick<ActionResult, 'status' | 'message'> & Partial<ActionResult>): ActionResult {
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
