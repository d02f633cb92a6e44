import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkKind } from './checks/index.js';
import { needsOf, type CheckContext, type Need, type Say } from './checks/types.js';
import type { Progress } from './engine/base-images.js';
import { onTeardown, removeLabelled } from './engine/cleanup.js';
import { EngineContainer } from './engine/container.js';
import { requireEngine } from './engine/docker.js';
import { EngineError, NoEngineError, UsageError, messageOf } from './engine/errors.js';
import { httpRequest } from './engine/http.js';
import { newRunId, runLabels } from './engine/labels.js';
import { format, langFromLocale, pick, type Lang } from './i18n/lang.js';
import { MESSAGES, type MessageId } from './i18n/messages.js';
import { score, type CheckResult, type Result } from './result.js';
import { labsDir, loadLabFile, preloadValidators } from './spec/load.js';
import type { CheckSpec, Lab } from './spec/schema.js';
import { prepareImageWorkload } from './workloads/image-workload.js';
import { prepareScriptWorkload } from './workloads/script-workload.js';
import type { PreparedWorkload, WorkloadOptions } from './workloads/types.js';

export interface GradeOptions {
  /** `lab-03`, or a path to a lab folder holding lab.json. */
  lab: string;
  /** The student's files; defaults to the lab's own folder. */
  submission?: string;
  lang?: Lang;
  progress?: Progress;
}

export function resolveLabDir(lab: string): string {
  if (/^lab-\d{2}$/.test(lab)) return path.join(labsDir(), lab);
  return path.resolve(lab);
}

export function chooseLang(explicit: Lang | undefined, lab: Lab | undefined): Lang {
  return explicit ?? langFromLocale(process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG) ?? lab?.lang ?? 'fr';
}

/** load → validate → workload → checks → result; one direction, nothing rendered here. */
export async function grade(options: GradeOptions): Promise<Result> {
  const started = Date.now();
  options.progress?.('grading starts');
  const labDir = resolveLabDir(options.lab);
  if (!existsSync(labDir)) throw new UsageError(`no lab "${options.lab}" (looked in ${labDir}); \`npm run grade -- --list\` shows the labs`);
  // Asked now, answered while the spec is validated.
  const engineAnswers = requireEngine();
  engineAnswers.catch(() => undefined);
  preloadValidators();
  const lab = loadLabFile(path.join(labDir, 'lab.json'));
  const submissionDir = path.resolve(options.submission ?? labDir);
  if (!existsSync(submissionDir) || !statSync(submissionDir).isDirectory()) {
    throw new UsageError(`the submission folder ${submissionDir} does not exist (give --submission DIR, a folder holding your files)`);
  }
  const lang = chooseLang(options.lang, lab);
  const say = (id: MessageId, data?: Record<string, unknown>) => format(MESSAGES[lang][id], data);
  const progress = options.progress ?? (() => undefined);

  progress(`lab ${lab.id} loaded`);
  await engineAnswers;
  progress('engine answers');
  const runId = newRunId();
  const labels = runLabels(runId, lab.id);
  const stoppers: (() => void)[] = [];
  let prepared: PreparedWorkload | undefined;
  const finishNotes: string[] = [];
  const teardown = onTeardown(async () => {
    stoppers.forEach((stop) => stop());
    if (prepared) finishNotes.push(...(await prepared.finish()));
    else await removeLabelled(runId);
  });
  const workloadOptions: WorkloadOptions = { lab, submissionDir, runId, labels, lang, progress, say };
  const onStop = (stop: () => void) => stoppers.push(stop);
  let checks: CheckResult[];
  const notes: string[] = [];
  try {
    prepared = lab.workload.kind === 'image'
      ? await prepareImageWorkload(lab.workload, workloadOptions, onStop)
      : await prepareScriptWorkload(lab.workload, workloadOptions, onStop);
    notes.push(...prepared.notes);
    progress('workload ready; evaluating checks…');
    checks = await evaluateChecks(lab, prepared, { lang, submissionDir, say, progress });
  } catch (error) {
    if (error instanceof UsageError || error instanceof NoEngineError) throw error;
    // The workload itself could not be set up by the engine: every check is an `error`, none is the student's fault.
    const reason = messageOf(error);
    checks = lab.checks.map((c) => resultFor(c, lang, { status: 'error', message: say('error', { reason }) }));
  } finally {
    progress('cleaning up…');
    const before = Date.now();
    try {
      await teardown();
    } catch (error) {
      notes.push(`cleanup: ${messageOf(error)}`);
    }
    progress(`cleanup took ${Date.now() - before} ms`);
  }
  notes.push(...finishNotes);
  return {
    lab: lab.id,
    title: pick(lab.title, lang) ?? lab.id,
    ...score(checks),
    checks,
    lang,
    submission: submissionDir,
    notes,
    durationMs: Date.now() - started,
  };
}

async function evaluateChecks(lab: Lab, prepared: PreparedWorkload, env: { lang: Lang; submissionDir: string; say: (id: MessageId, data?: Record<string, unknown>) => string; progress: Progress }): Promise<CheckResult[]> {
  const { lang, say } = env;
  const namedCache = new Map<string, EngineContainer | null>();
  const ctx: CheckContext = {
    lang,
    lab,
    submissionDir: env.submissionDir,
    ...(prepared.build ? { build: prepared.build } : {}),
    ...(prepared.image ? { image: prepared.image } : {}),
    ...(prepared.container ? { container: prepared.container } : {}),
    ...(prepared.script ? { script: prepared.script } : {}),
    async containerNamed(name) {
      if (!namedCache.has(name)) namedCache.set(name, await EngineContainer.find(name));
      return namedCache.get(name) ?? null;
    },
    http: httpRequest,
  };
  const results: CheckResult[] = [];
  for (const check of lab.checks) {
    const kind = checkKind(check.kind)!;
    const checkSay: Say = (id, data) => format(kind.messages[lang][id] ?? kind.messages.en[id] ?? id, data);
    const failedPrereqs = (check.requires ?? []).filter((id) => results.find((r) => r.id === id)?.status !== 'passed');
    if (failedPrereqs.length > 0) {
      results.push(resultFor(check, lang, { status: 'skipped', message: say('skippedRequires', { ids: failedPrereqs.join(', ') }) }));
      continue;
    }
    const missing = unmet(needsOf(kind, check), check, prepared);
    if (missing) {
      results.push(resultFor(check, lang, { status: 'skipped', message: say(missing, { reason: prepared.unavailableReason ?? '' }) }));
      continue;
    }
    const started = Date.now();
    try {
      const observation = await kind.evaluate(check as never, ctx, checkSay);
      const message = observation.passed
        ? observation.observed
        : `${say('expected')}: ${observation.expected}\n${say('observed')}: ${observation.observed}`;
      results.push(resultFor(check, lang, { status: observation.passed ? 'passed' : 'failed', message, expected: observation.expected, observed: observation.observed, durationMs: Date.now() - started }));
      env.progress(`${check.id}: ${observation.passed ? 'passed' : 'failed'} (${Date.now() - started} ms)`);
    } catch (error) {
      const reason = error instanceof EngineError ? error.message : `internal error in check kind "${check.kind}": ${messageOf(error)}`;
      results.push(resultFor(check, lang, { status: 'error', message: say('error', { reason }), durationMs: Date.now() - started }));
    }
  }
  return results;
}

function unmet(needs: readonly Need[], check: CheckSpec, prepared: PreparedWorkload): MessageId | undefined {
  for (const need of needs) {
    if (need === 'container' && typeof check.container === 'string') continue;
    if (need === 'build' && !prepared.build) return 'skippedBuild';
    if (need === 'image' && !prepared.image) return prepared.unavailable.image ?? 'skippedBuild';
    if (need === 'container' && !prepared.container) return prepared.unavailable.container ?? 'skippedContainer';
    if (need === 'script' && !prepared.script) return 'skippedScript';
  }
  return undefined;
}

/** A check's title in the grading language: the spec's own, or the kind's template filled with the check's fields. */
export function titleOf(check: CheckSpec, lang: Lang): string {
  const own = pick(check.title, lang);
  if (own) return own;
  const kind = checkKind(check.kind);
  if (!kind) return check.id;
  const say: Say = (id, data) => format(kind.messages[lang][id] ?? id, data);
  const extra = kind.titleData?.(check as never, say) ?? {};
  const named = typeof check.container === 'string' ? (lang === 'fr' ? ` « ${check.container} »` : ` "${check.container}"`) : '';
  const data = { protocol: 'tcp', ...check, named, ...extra };
  return format(kind.messages[lang][extra.titleId ?? 'title'] ?? check.id, data);
}

function resultFor(check: CheckSpec, lang: Lang, outcome: Pick<CheckResult, 'status' | 'message'> & Partial<CheckResult>): CheckResult {
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
