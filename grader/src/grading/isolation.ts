import { BaseImages, knownRepositories } from '../build/index.js';
import { PROBE_IMAGE, RUN_LABEL, type Runtime, SandboxUnavailableError, UsageError } from '../engine/index.js';
import {
  DEFAULT_SANDBOX_LIMITS,
  profileNamed,
  type Sandbox,
  type SandboxLimits,
  type SandboxProfileName,
  SUBMISSION_PATH,
} from '../sandbox/index.js';
import type { MessageId } from '../i18n/messages.js';
import type { Result } from '../result.js';
import type { Lab } from '../spec/schema.js';
import { imagesNamedIn } from '../workloads/named-images.js';
import type { WorkloadContext, WorkloadKind } from '../workloads/types.js';
import type { SandboxKeeper } from './kept-sandbox.js';

/**
 * The "isolation" stage of a grading: where the student's work will run. Image
 * labs (and `--sandbox off`) run on the host engine; script and Compose labs in a
 * throw-away sandbox engine holding the lab's images and those the submission
 * names, or (`--sandbox auto`, none can be made here) on the host with a note.
 */
export interface Isolation {
  runtime: Runtime;
  submissionDirInEngine: string;
  ensureImages: WorkloadContext['ensureImages'];
  sandbox: Sandbox | null;
  report: Result['sandbox'];
  notes: string[];
  /** Ends the grading's use of the sandbox: disposes of it, or gives a kept one back (`healthy`: the grading ran to its end). */
  release?: (healthy: boolean) => Promise<void>;
}

export interface IsolationRequest {
  host: Runtime;
  baseImages: BaseImages;
  lab: Lab;
  workload: WorkloadKind;
  submissionDir: string;
  runId: string;
  labels: Record<string, string>;
  mode: 'auto' | 'required' | 'off';
  limits?: Partial<SandboxLimits>;
  profile?: SandboxProfileName;
  signal: AbortSignal;
  progress: (line: string) => void;
  say: (id: MessageId, data?: Record<string, unknown>) => string;
  /** `--watch`: a sandbox kept open across gradings (reset between them) instead of one per grading. */
  keeper?: SandboxKeeper;
  /** The grading's deadline: a kept sandbox with less life left is not reused. */
  deadlineSeconds?: number;
}

/** At most this many images named by a submission are fetched for it (each is pulled once per machine at most). */
const MAX_NAMED_IMAGES = 8;

export async function isolate(request: IsolationRequest): Promise<Isolation> {
  const { host, baseImages, lab, workload, progress, say } = request;
  const notes: string[] = [];
  const onHost: Isolation = {
    runtime: host,
    submissionDirInEngine: request.submissionDir,
    ensureImages: async (refs: string[]) => {
      await baseImages.ensure(refs, progress);
      const alpineStandIns: [string, string][] = [];
      for (const ref of refs) {
        const servedBy = await baseImages.alpineServedBy(ref);
        if (servedBy) alpineStandIns.push([ref, servedBy]);
      }
      return { alpineStandIns };
    },
    sandbox: null,
    report: null,
    notes,
  };
  if (workload.isolation !== 'sandbox') return onHost;
  if (request.mode === 'off') {
    notes.push(say('sandboxOff'));
    return onHost;
  }
  const limits = { ...DEFAULT_SANDBOX_LIMITS, ...request.limits };
  const images = [...workload.images(lab.workload as never), PROBE_IMAGE];
  // The images must exist on the host before they can be carried into the sandbox.
  await baseImages.ensure(images, progress);
  // And those the student's files name for what the statement leaves free (pulled once on the host, or a stand-in).
  const extraImages = await availableOnHost(baseImages, imagesNamedIn(request.submissionDir, knownRepositories()).filter((ref) => !images.includes(ref)), progress);
  const { openSandbox } = await import('../sandbox/index.js');
  progress('opening the sandbox…');
  let sandbox: Sandbox;
  const keeper = request.keeper;
  // A kept sandbox outlives this grading: it carries the keeper's run id, so this grading's cleanup leaves it.
  const owner = keeper ? { runId: keeper.runId, labels: { ...request.labels, [RUN_LABEL]: keeper.runId } } : { runId: request.runId, labels: request.labels };
  const open = () =>
    openSandbox({
      host,
      ...owner,
      limits,
      images,
      hostPorts: workload.hostPorts(lab.workload as never),
      extraImages,
      signal: request.signal,
      progress,
      ...(request.profile ? { profile: request.profile } : {}),
    });
  try {
    sandbox = keeper
      ? await keeper.acquire({
          host,
          key: JSON.stringify({ images, extraImages, limits, profile: request.profile ?? null, ports: workload.hostPorts(lab.workload as never) }),
          lifetimeSeconds: limits.lifetimeSeconds,
          needSeconds: request.deadlineSeconds ?? 600,
          open,
          progress,
          signal: request.signal,
        })
      : await open();
  } catch (error) {
    if (!(error instanceof SandboxUnavailableError)) throw error;
    // A profile asked for by name and refused: going on without any sandbox would be weaker still.
    if (request.profile) throw new UsageError(error.message);
    if (request.mode !== 'auto') throw new UsageError(`${error.message}\n(This grading requires a sandbox: the work is not the grader's own. On your own machine, grading your own work, the default --sandbox auto runs without one.)`);
    notes.push(say('sandboxUnavailable', { reason: error.message }));
    return { ...onHost, report: { profile: null, safe: false, refused: error.refused } };
  }
  const isolation: Isolation = {
    runtime: sandbox.runtime,
    submissionDirInEngine: SUBMISSION_PATH,
    ensureImages: async (refs: string[]) => {
      await inner.ensure(refs, progress);
      return { alpineStandIns: [] };
    },
    sandbox,
    report: { profile: sandbox.profile, safe: sandbox.safe, refused: sandbox.refused },
    notes,
    release: (healthy) => (keeper ? keeper.release(sandbox, healthy) : sandbox.dispose()),
  };
  const inner = new BaseImages(sandbox.runtime);
  try {
    await sandbox.copyIn(request.submissionDir, SUBMISSION_PATH);
  } catch (error) {
    await isolation.release!(false).catch(() => undefined);
    throw error;
  }
  notes.push(say('sandboxed', { memory: limits.memoryMiB, cpus: limits.cpus, pids: limits.pids, lifetime: limits.lifetimeSeconds }));
  if (!sandbox.safe) notes.push(say('sandboxUnsafe', { profile: sandbox.profile, reason: profileNamed(sandbox.profile)?.unsafeBecause ?? '' }));
  if (!sandbox.firewall.applied) notes.push(say('sandboxNoFirewall', { reason: sandbox.firewall.reason }));
  return isolation;
}

/** The refs the host has or can get (pull, else an offline stand-in); the others are left to the script's own error. */
async function availableOnHost(baseImages: BaseImages, refs: string[], progress: (line: string) => void): Promise<string[]> {
  const out: string[] = [];
  for (const ref of refs.slice(0, MAX_NAMED_IMAGES)) {
    try {
      // Its pull (when the host lacks it) is said: it is the student's choice, and the first grading waits for it.
      await baseImages.ensure([ref], (line) => progress(line.startsWith('pulling ') ? `${line} (named in the submission)` : line));
      out.push(ref);
    } catch {
      progress(`${ref}, named in the submission, is not available here: the script will say so if it needs it`);
    }
  }
  return out;
}
