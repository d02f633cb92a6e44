// Over 300 lines because the stages' order and the result's assembly read best in one place; each stage's work is in
// grading/ and workloads/.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ActionContext } from './actions/types.js';
import type { Facts } from './checks/types.js';
import { BaseImages } from './build/index.js';
import { removeLabelled, sweepDeadRuns } from './grading/cleanup.js';
import { EngineError, messageOf, newRunId, NoEngineError, requireEngine, runLabels, type Runtime, UsageError } from './engine/index.js';
import type { SandboxLimits, SandboxProfileName } from './sandbox/index.js';
import { EngineSession } from './grading/session.js';
import { ownFolderWithoutCases } from './grading/own-folder.js';
import { isolate, type Isolation } from './grading/isolation.js';
import type { SandboxKeeper } from './grading/kept-sandbox.js';
import { actionResult, checkResult, runSteps } from './grading/steps.js';
import { langFromLocale, pick, type Lang } from './i18n/lang.js';
import { sayIn } from './i18n/messages.js';
import { fromRoot } from './paths.js';
import { score, type ActionResult, type CheckResult, type Result } from './result.js';
import { deadlineTimer } from './lib/one-time.js';
import { labsDir as defaultLabsDir, loadLabFile, preloadValidators } from './spec/load.js';
import { isCheck, type ActionSpec, type Lab } from './spec/schema.js';
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
  /**
   * One sandbox profile by name (diagnosis; see sandbox/profiles.ts). Default: the
   * first safe one that works here. One that is not safe is refused unless
   * DOCKERLAB_SANDBOX_ALLOW_UNSAFE=1.
   */
  sandboxProfile?: SandboxProfileName;
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
  /** `--watch`: script and Compose labs reuse this keeper's sandbox (reset between gradings) instead of opening one each. */
  sandboxKeeper?: SandboxKeeper;
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

/** The stages of a grading, in order; the result's `timings` gives each one's milliseconds. */
export const STAGES = ['resolve', 'engine', 'isolation', 'workload', 'steps', 'cleanup'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * A grading, as a pipeline of named stages (one direction, nothing rendered here):
 * resolve (lab, submission, language) → engine (it answers; the run's labels and
 * deadline) → isolation (host engine or sandbox, grading/isolation.ts) → workload
 * (build, script or Compose: workloads/) → steps (checks and actions,
 * grading/steps.ts) → cleanup (always) → the result.
 */
export async function grade(options: GradeOptions): Promise<Result> {
  // A lab graded in its own folder is graded without the teacher's cases (labs/lab-NN/tests/).
  const own = ownFolderWithoutCases(resolveLabDir(options.lab, options.labsDir), options.submission);
  if (!own) return gradeFolder(options);
  try {
    return { ...(await gradeFolder({ ...options, submission: own.dir })), submission: own.original };
  } finally {
    own.remove();
  }
}

async function gradeFolder(options: GradeOptions): Promise<Result> {
  const started = Date.now();
  const timings = stopwatch();
  const progress = options.progress ?? (() => undefined);
  progress('grading starts');
  const hostRuntime = options.runtime;
  // Asked now, answered while the spec is validated.
  const engineAnswers = requireEngine(hostRuntime);
  engineAnswers.catch(() => undefined);
  const { lab, submissionDir, lang, say, workload, ungradable } = resolve(options);
  progress(`lab ${lab.id} loaded`);
  timings.lap('resolve');

  await engineAnswers;
  progress('engine answers');
  const runId = options.runId ?? newRunId();
  const labels = runLabels(runId, lab.id);
  const stop = deadlineFor(lab, options.signal);
  const { signal, deadlineSeconds } = stop;
  // Objects of graders that died (kill -9, a crash) are swept while this one starts.
  const sweep = sweepDeadRuns(hostRuntime).catch(() => null);
  const baseImages = options.baseImages ?? new BaseImages(hostRuntime);
  timings.lap('engine');

  const notes: string[] = [];
  const checks: CheckResult[] = [];
  const actions: ActionResult[] = [];
  let isolation: Isolation | undefined;
  let sandboxReport: Result['sandbox'] = null;
  let prepared: PreparedWorkload | undefined;
  let ranToTheEnd = false;
  try {
    isolation = await isolate({
      host: hostRuntime,
      baseImages,
      lab,
      workload,
      submissionDir,
      runId,
      labels,
      mode: options.sandbox ?? 'required',
      ...(options.sandboxLimits ? { limits: options.sandboxLimits } : {}),
      ...(options.sandboxProfile ? { profile: options.sandboxProfile } : {}),
      signal,
      progress,
      say,
      ...(options.sandboxKeeper ? { keeper: options.sandboxKeeper, deadlineSeconds } : {}),
    });
    sandboxReport = isolation.report;
    notes.push(...isolation.notes);
    timings.lap('isolation');

    const { runtime, submissionDirInEngine, ensureImages, sandbox } = isolation;
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
    timings.lap('workload');

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
    await runSteps(lab, { base, facts, prepared, lang, say, signal, stopReason: stop.reason, deadlineSeconds, progress, checks, actions, ...(options.onCheck ? { onCheck: options.onCheck } : {}), ...(options.onAction ? { onAction: options.onAction } : {}) });
    timings.lap('steps');
    ranToTheEnd = !stop.reason();
  } catch (error) {
    if (error instanceof UsageError || error instanceof NoEngineError) throw error;
    // The workload itself could not be set up (or was stopped): the steps not run yet say why.
    const stopReason = stop.reason();
    const message = stopReason
      ? say(stopReason === 'deadline' ? 'skippedDeadline' : 'skippedInterrupted', { seconds: deadlineSeconds })
      : say(error instanceof EngineError ? 'error' : 'internalError', { reason: messageOf(error) });
    const status = stopReason ? 'skipped' : 'error';
    for (const step of lab.steps) {
      if (isCheck(step) && !checks.some((c) => c.id === step.id)) checks.push(checkResult(step, lang, { status, message }));
      if (!isCheck(step) && !actions.some((a) => a.id === step.id)) actions.push(actionResult(step as ActionSpec, lang, lab, { status: stopReason ? 'skipped' : 'error', message }));
    }
    timings.lap(timings.next());
  } finally {
    stop.release();
    const setUpMs = stop.oneTimeMs();
    if (setUpMs >= 1000) notes.push(say('oneTimeSetUp', { seconds: Math.round(setUpMs / 1000), deadline: deadlineSeconds }));
    progress('cleaning up…');
    const before = Date.now();
    const cleanups: [string, () => Promise<unknown>][] = [
      ['workload', async () => { if (prepared) notes.push(...(await prepared.finish())); }],
      ['sandbox', async () => isolation?.sandbox && (isolation.release ? isolation.release(ranToTheEnd) : isolation.sandbox.dispose())],
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
    timings.lap('cleanup');
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
    timings: timings.result(),
    isolation: isolation?.sandbox ? 'sandbox' : 'engine',
    sandbox: sandboxReport,
    grader: { version: currentGraderVersion() },
    ungradable,
  };
}

/** The "resolve" stage: the lab's spec (validated), the submission folder, the language. */
function resolve(options: GradeOptions) {
  const labDir = resolveLabDir(options.lab, options.labsDir);
  if (!existsSync(path.join(labDir, 'lab.json'))) throw new UsageError(`no lab "${options.lab}" (looked for ${path.join(labDir, 'lab.json')}); \`npm run grade -- --list\` shows the labs`);
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
  return { lab, submissionDir, lang, say, workload, ungradable };
}

/** The grading's own signal: aborted at the lab's deadline or when the caller's signal is. */
function deadlineFor(lab: Lab, outer: AbortSignal | undefined) {
  const deadlineSeconds = Math.min(lab.timeoutSeconds ?? 600, DEADLINE_CEILING_SECONDS);
  const controller = new AbortController();
  let stopReason: 'deadline' | 'interrupted' | null = null;
  const onAbort = () => {
    stopReason ??= 'interrupted';
    controller.abort();
  };
  if (outer?.aborted) onAbort();
  outer?.addEventListener('abort', onAbort, { once: true });
  // Set-up the machine does once (a base image built, the sandbox image…) is not the student's time.
  const timer = deadlineTimer(deadlineSeconds * 1000, () => {
    stopReason ??= 'deadline';
    controller.abort();
  });
  return {
    signal: controller.signal,
    deadlineSeconds,
    reason: () => stopReason,
    /** Milliseconds of one-time set-up this grading waited for (or ran beside). */
    oneTimeMs: timer.setUpMs,
    release: () => {
      timer.cancel();
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

/** Milliseconds per stage; a stage cut short by a failure gets the time until then, the ones it skipped 0. */
function stopwatch() {
  const spent = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  let last = Date.now();
  let reached = 0;
  return {
    lap(stage: Stage) {
      const now = Date.now();
      spent[stage] += now - last;
      last = now;
      reached = Math.max(reached, STAGES.indexOf(stage) + 1);
    },
    /** The stage under way (the one a failure interrupted). */
    next: (): Stage => STAGES[Math.min(reached, STAGES.length - 2)]!,
    result: () => ({ ...spent }),
  };
}
