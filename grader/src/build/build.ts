// Over 300 lines because one build's lifetime for both builders (arguments, limits, spawn, abort, output, the failure
// mapped to the Dockerfile's line) shares its state; the parts that stand alone are output.ts, journal.ts and
// cgroups.ts.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { externalBases, instructionForParseError, instructionOfStep, parseDockerfile, stageOfStep, type Instruction, type ParsedDockerfile } from '../dockerfile/parse.js';
import { normalizeImageRef } from '../lib/image-ref.js';
import { BuildJournal, ClassicStepRecorder, engineIdOf } from './journal.js';
import { BuildOutputParser, type OutputStep, type ParsedBuildOutput } from './output.js';
import { classicParentName, detectEngineCgroups, planBuildLimits, type LayoutDetection } from './cgroups.js';
import {
  type Builder,
  type BuildFacts,
  type BuildFailure,
  currentOwner,
  EngineError,
  isNotFound,
  messageOf,
  OWNER_LABEL,
  RUN_LABEL,
  type Runtime,
  statusCodeOf,
  UsageError,
} from '../engine/index.js';

export interface BuildRequest {
  runtime: Runtime;
  submissionDir: string;
  /** Relative to submissionDir. */
  dockerfile: string;
  /** Relative to submissionDir. */
  context: string;
  tag: string;
  labels: Record<string, string>;
  timeoutMs: number;
  memoryMiB: number;
  cpus: number;
  pids: number;
  /** Told each step as it starts ("step 3: COPY app.py ./"). */
  progress: (line: string) => void;
  /** Abort = kill the build and clean what it left; the facts then say `interrupted`. */
  signal?: AbortSignal;
  /** Makes the Dockerfile's external base images available (pull or offline stand-in); throws an EngineError whose message contains "is not available" when it cannot. Returns notes (e.g. alpine tags served by Debian stand-ins). */
  prepareBases(refs: string[]): Promise<{ alpineStandIns: [string, string][] }>;
  /** Where the output is written as it comes (never held whole in memory); null: keep only the tail. */
  logFile: string | null;
  /**
   * A rebuild's first build (an image tag). The classic builder then takes a cached layer
   * only from that image's own chain: without it, it takes the newest of several equal
   * layers, and when gradings built the same first steps at once (a class, cold), the
   * newest may be another submission's, whose next steps differ; the edit then looks like
   * a cache mistake. BuildKit keys its cache by content, which has no such choice.
   */
  cacheFrom?: string;
}

export type BuildStep = BuildFacts['steps'][number];

/** What the report and checks keep of the output. */
const OUTPUT_TAIL_BYTES = 64 * 1024;
/** A build may print without end; the log file keeps this much of the start, then the tail. */
export const LOG_FILE_HEAD_BYTES = 16 * 1024 * 1024;
const MAX_DOCKERFILE_BYTES = 1024 * 1024;
/** Instructions that make a layer: the steps both builders report. */
const LAYER_KEYWORDS = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

/**
 * Builds the submission's Dockerfile with the docker CLI, as the student's own
 * `docker build` would (same .dockerignore handling, same cache), with the
 * builder the runtime names: the classic builder, or BuildKit through buildx
 * with `--progress=plain`. Both give the same facts: the layer steps and
 * whether each came from the cache, and on failure the instruction, its line,
 * the reason and that step's last output lines.
 *
 * Bounded: the output is parsed as it streams (to the log file, a 64 KiB tail
 * and the per-step last lines), never held whole. A killed or timed-out build
 * leaves no image behind.
 */
export async function buildImage(request: BuildRequest): Promise<BuildFacts> {
  const started = Date.now();
  const builder = await request.runtime.builder();
  const dockerfilePath = insideSubmission(request.submissionDir, request.dockerfile, 'dockerfile');
  const contextPath = insideSubmission(request.submissionDir, request.context, 'context');
  const empty = { builder, dockerfile: request.dockerfile, steps: [], outputTail: '', outputBytes: 0, logFile: null };
  const read = readDockerfile(request.submissionDir, dockerfilePath);
  if ('problem' in read) return { ...empty, ok: false, dockerfileText: null, durationMs: Date.now() - started, failure: { kind: read.problem, reason: read.reason, output: [] } };
  const text = read.text;
  const parsed = parseDockerfile(text);
  const done = (fields: Partial<BuildFacts> & Pick<BuildFacts, 'ok'>): BuildFacts => ({ ...empty, dockerfileText: text, durationMs: Date.now() - started, ...fields });
  if (parsed.stages.length === 0) return done({ ok: false, failure: { kind: 'no-from', reason: 'no FROM instruction', output: [] } });

  let alpineStandIns: [string, string][] = [];
  try {
    ({ alpineStandIns } = await request.prepareBases(externalBases(parsed)));
  } catch (error) {
    if (!(error instanceof EngineError && /is not available/.test(error.message))) throw error;
    const stage = parsed.stages.find((s) => error.message.includes(s.base)) ?? parsed.stages[0]!;
    return done({ ok: false, failure: { kind: 'base-image', reason: error.message, image: stage.base, stage: stage.index, line: stage.line, instruction: textOf(instructionAt(parsed, stage.line)) ?? `FROM ${stage.base}`, output: [] } });
  }
  const withNotes = alpineStandIns.length > 0 ? { alpineStandIns } : {};
  if (request.signal?.aborted) return done({ ok: false, ...withNotes, failure: { kind: 'interrupted', reason: 'the grading was interrupted', output: [] } });

  const run = await runDockerBuild(request, builder, dockerfilePath, contextPath);
  const output = run.output;
  const { steps, failure } = describeBuild(output, parsed);
  const common = { ...withNotes, steps, outputTail: run.tail, outputBytes: run.bytes, logFile: run.logFile };
  if (run.stopped) await removeWhatTheBuildLeft(request, output, run.startedAt);
  // What the build left is dealt with (or is the layer cache): nothing for a sweep to do.
  run.journal?.close();
  if (run.stopped) {
    const last = lastStartedStep(output);
    const where = last ? failureAt(last, output.builder, parsed, steps) : {};
    const reason = run.stopped === 'time-limit' ? `time limit of ${Math.round(request.timeoutMs / 1000)} s reached` : 'the grading was interrupted';
    const limit = run.stopped === 'time-limit' ? { seconds: Math.round(request.timeoutMs / 1000) } : {};
    return done({ ok: false, ...common, ...(run.stopped === 'time-limit' ? { timedOut: true } : {}), failure: { ...where, kind: run.stopped, reason, ...limit, output: last?.output ?? [] } });
  }
  if (run.exitCode === 0) return done({ ok: true, ...common });
  const tailLine = lastLine(run.tail);
  const engineTrouble = /Cannot connect to the Docker daemon|error during connect|Is the docker daemon running/i;
  if (engineTrouble.test(failure?.reason ?? '') || engineTrouble.test(tailLine)) throw new EngineError(`docker build could not reach ${request.runtime.description}: ${tailLine}`);
  if (builder === 'buildkit' && /'buildx' is not a docker command|unknown command: docker buildx|buildx component is missing/i.test(run.tail)) {
    throw new EngineError("BuildKit was chosen but the docker CLI has no buildx plugin: install it (npm run provision does, as root on Debian) or choose the classic builder (DOCKERLAB_BUILDER=classic)");
  }
  return done({ ok: false, ...common, failure: failure ?? { kind: 'other', reason: tailLine || `docker build exited with code ${run.exitCode}`, output: [] } });
}

/** A path the lab spec names, which must stay inside the submission. */
function insideSubmission(submissionDir: string, relative: string, field: string): string {
  const root = path.resolve(submissionDir);
  const resolved = path.resolve(root, relative);
  if (resolved !== root && !resolved.startsWith(root + path.sep)) {
    throw new UsageError(`workload.${field} "${relative}" points outside the submission folder ${root}: use a path inside it`);
  }
  return resolved;
}

function readDockerfile(submissionDir: string, file: string): { text: string } | { problem: 'missing-dockerfile' | 'dockerfile-outside' | 'dockerfile-too-large'; reason: string } {
  if (!existsSync(file)) return { problem: 'missing-dockerfile', reason: `no file ${file}` };
  // A Dockerfile that is a link to a host file (/etc/shadow…) would have its text quoted in the report.
  const real = realpathSync(file);
  const root = realpathSync(submissionDir);
  if (!real.startsWith(root + path.sep)) return { problem: 'dockerfile-outside', reason: `${file} is a link to ${real}, outside the submission` };
  const size = statSync(real).size;
  if (size > MAX_DOCKERFILE_BYTES) return { problem: 'dockerfile-too-large', reason: `${file} has ${size} bytes, more than ${MAX_DOCKERFILE_BYTES}` };
  return { text: readFileSync(real, 'utf8') };
}

/**
 * The builder-independent facts of a build output: its layer steps in Dockerfile
 * order with their cache state and lines, and what failed where.
 */
export function describeBuild(output: ParsedBuildOutput, dockerfile: ParsedDockerfile): { steps: BuildStep[]; failure: BuildFailure | null } {
  const mapped: { step: OutputStep; instruction: Instruction | undefined; stage: number }[] = [];
  for (const step of output.steps) {
    const instruction = instructionOfStep(dockerfile, { builder: output.builder, ...step });
    if (!LAYER_KEYWORDS.has(instruction?.keyword ?? step.keyword)) continue;
    mapped.push({ step, instruction, stage: instruction?.stage ?? stageOfStep(dockerfile, step.stage) ?? step.stage.index ?? 0 });
  }
  mapped.sort((a, b) => (a.instruction?.line ?? Infinity) - (b.instruction?.line ?? Infinity) || a.step.order - b.step.order);
  const steps: BuildStep[] = mapped.map((m, i) => ({
    index: i + 1,
    stage: m.stage,
    instruction: m.instruction ? `${m.instruction.keyword} ${m.instruction.args}` : m.step.instruction,
    line: m.instruction?.line ?? null,
    cached: m.step.cached,
  }));
  const f = output.failure;
  if (!f) return { steps, failure: null };
  const details: BuildFailure = {
    kind: f.kind,
    reason: f.reason,
    output: f.step ? f.step.output.filter((l) => l !== f.reason && !f.reason.endsWith(l)) : [],
    ...(f.exitCode !== undefined ? { exitCode: f.exitCode } : {}),
    ...(f.path !== undefined ? { path: f.path } : {}),
    ...(f.word !== undefined ? { word: f.word } : {}),
  };
  if (f.step) return { steps, failure: { ...details, ...failureAt(f.step, output.builder, dockerfile, steps), ...(f.kind === 'base-image' && f.image ? { image: f.image } : {}) } };
  if (f.kind === 'base-image' && f.image) {
    const wanted = normalizeImageRef(f.image);
    const stage = dockerfile.stages.find((s) => s.base && normalizeImageRef(s.base) === wanted);
    return { steps, failure: { ...details, image: stage?.base ?? f.image, ...(stage ? { stage: stage.index, line: stage.line, instruction: textOf(instructionAt(dockerfile, stage.line)) ?? `FROM ${stage.base}` } : {}) } };
  }
  // The builder refused the Dockerfile before any step: the line it names, or the instruction its message fits.
  const culprit = f.line !== undefined ? instructionAt(dockerfile, f.line) : f.kind === 'syntax' ? instructionForParseError(dockerfile, f.reason) : undefined;
  const line = f.line ?? culprit?.line;
  return {
    steps,
    failure: { ...details, ...(line !== undefined ? { line } : {}), ...(culprit ? { instruction: `${culprit.keyword} ${culprit.args}` } : {}), ...(culprit && culprit.stage >= 0 ? { stage: culprit.stage } : {}) },
  };
}

function failureAt(step: OutputStep, builder: Builder, dockerfile: ParsedDockerfile, steps: BuildStep[]): Pick<BuildFailure, 'step' | 'stage' | 'instruction' | 'line'> {
  const instruction = instructionOfStep(dockerfile, { builder, ...step });
  const stage = instruction?.stage ?? stageOfStep(dockerfile, step.stage) ?? undefined;
  const index = instruction ? steps.find((s) => s.line === instruction.line)?.index : undefined;
  return {
    ...(index !== undefined ? { step: index } : {}),
    ...(stage !== undefined && stage !== null && stage >= 0 ? { stage } : {}),
    instruction: instruction ? `${instruction.keyword} ${instruction.args}` : step.instruction,
    ...(instruction ? { line: instruction.line } : {}),
  };
}

/** The instruction starting at (or spanning) a 1-based line. */
function instructionAt(dockerfile: ParsedDockerfile, line: number): Instruction | undefined {
  return [...dockerfile.instructions].reverse().find((i) => i.line <= line);
}

function textOf(instruction: Instruction | undefined): string | undefined {
  return instruction ? `${instruction.keyword} ${instruction.args}` : undefined;
}

function lastStartedStep(output: ParsedBuildOutput): OutputStep | undefined {
  const running = output.steps.filter((s) => s.state === 'started');
  return running[running.length - 1] ?? output.steps[output.steps.length - 1];
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

interface RunOutcome {
  exitCode: number | null;
  /** Why the grader stopped the build, if it did. */
  stopped: 'time-limit' | 'interrupted' | null;
  output: ParsedBuildOutput;
  tail: string;
  bytes: number;
  logFile: string | null;
  startedAt: number;
  /** Classic builds: the crash-safe record of what the build made, closed by buildImage once it is dealt with. */
  journal: BuildJournal | null;
}

async function runDockerBuild(request: BuildRequest, builder: Builder, dockerfilePath: string, contextPath: string): Promise<RunOutcome> {
  const limits = await buildLimits(request, builder);
  const labels = Object.entries(request.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
  const args =
    builder === 'classic'
      ? ['build', '--rm', '--force-rm', ...(request.cacheFrom ? ['--cache-from', request.cacheFrom] : []), '-f', dockerfilePath, '-t', request.tag, ...limits.args, ...labels, contextPath]
      : ['buildx', 'build', '--progress=plain', '--load', '-f', dockerfilePath, '-t', request.tag, ...limits.args, ...labels, contextPath];
  const env = { ...request.runtime.cliEnv, DOCKER_BUILDKIT: builder === 'classic' ? '0' : '1' };
  const parser = new BuildOutputParser(builder);
  const startedAt = Date.now();
  // A grader killed with -9 cannot remove what a classic build made: the next grading reads this and does.
  const journal =
    builder === 'classic'
      ? BuildJournal.open({ runId: request.labels[RUN_LABEL] ?? 'unlabelled', owner: request.labels[OWNER_LABEL] ?? currentOwner(), tag: request.tag, engine: await engineIdOf(request.runtime), startedAt })
      : null;
  const recorder = journal ? new ClassicStepRecorder(journal) : null;
  parser.onStep = (step) => {
    recorder?.onStep(step);
    request.progress(`step ${step.order}: ${step.instruction.length > 120 ? `${step.instruction.slice(0, 120)}…` : step.instruction}`);
  };
  const sink = new OutputSink(request.logFile);
  let stopped: RunOutcome['stopped'] = null;
  let exitCode: number | null;
  try {
    exitCode = await new Promise<number | null>((resolve, reject) => {
      // Its own process group: with BuildKit the docker CLI runs the buildx plugin as a child, and both must go.
      const child = spawn('docker', args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      if (child.pid) journal?.recordClient(child.pid);
      const stop = (why: 'time-limit' | 'interrupted') => {
        stopped ??= why;
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      };
      const timer = setTimeout(() => stop('time-limit'), request.timeoutMs);
      const onAbort = () => stop('interrupted');
      request.signal?.addEventListener('abort', onAbort, { once: true });
      for (const name of ['stdout', 'stderr'] as const) {
        const decoder = new StringDecoder('utf8');
        child[name].on('data', (chunk: Buffer) => {
          sink.write(chunk);
          parser.write(decoder.write(chunk), name);
          recorder?.update();
        });
        child[name].on('end', () => {
          parser.write(decoder.end(), name);
          recorder?.update();
        });
      }
      child.on('error', (error) => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        reject(new EngineError(`could not run the docker CLI: ${messageOf(error)}`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        resolve(code);
      });
    });
  } catch (error) {
    // The docker CLI could not run: nothing was built.
    journal?.close();
    throw error;
  } finally {
    limits.release();
    sink.close();
  }
  const output = parser.end();
  recorder?.update();
  return { exitCode, stopped, output, tail: sink.tail(), bytes: sink.bytes, logFile: sink.file, startedAt, journal };
}

/** Keeps the tail of the output in memory and its head (then its tail) in the log file. */
class OutputSink {
  bytes = 0;
  file: string | null;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private fd: number | null = null;
  private written = 0;

  constructor(file: string | null) {
    this.file = file;
    if (!file) return;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      this.fd = openSync(file, 'w');
    } catch {
      this.file = null;
    }
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.chunks.push(chunk);
    this.chunkBytes += chunk.length;
    while (this.chunks.length > 1 && this.chunkBytes - this.chunks[0]!.length >= OUTPUT_TAIL_BYTES) this.chunkBytes -= this.chunks.shift()!.length;
    if (this.fd !== null && this.written < LOG_FILE_HEAD_BYTES) {
      const part = chunk.subarray(0, LOG_FILE_HEAD_BYTES - this.written);
      writeSync(this.fd, part);
      this.written += part.length;
    }
  }

  tail(): string {
    const all = Buffer.concat(this.chunks);
    const cut = all.length > OUTPUT_TAIL_BYTES ? all.subarray(all.length - OUTPUT_TAIL_BYTES) : all;
    const text = cut.toString('utf8');
    // Start on a whole line when the tail was cut.
    return cut.length < all.length || this.bytes > all.length ? text.slice(text.indexOf('\n') + 1) : text;
  }

  close(): void {
    if (this.fd === null) return;
    try {
      if (this.bytes > this.written) {
        const skipped = this.bytes - this.written - Math.min(this.chunkBytes, OUTPUT_TAIL_BYTES, this.bytes - this.written);
        writeSync(this.fd, `\n[… dockerlab: the build printed ${this.bytes} bytes; ${skipped > 0 ? `${skipped} bytes left out here, ` : ''}its last lines follow …]\n`);
        writeSync(this.fd, this.tail());
      }
    } finally {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

interface BuildLimits {
  args: string[];
  release(): void;
}

/**
 * Memory, CPU and process limits for the build's RUN steps; the cgroup side
 * (where each builder runs a step on cgroup v1 or v2, cgroupfs or systemd, and
 * what is written there) is in cgroups.ts, whose top says which limits apply
 * where. Classic builder: --memory, --memory-swap and --cpu-* (the engine's),
 * and a parent cgroup with pids.max where the grader can make one. BuildKit
 * ignores those flags: the grader writes the limits into each RUN step's
 * cgroup as the engine makes it, or there are none but the time limit. The
 * progress lines say which were applied and which were not, and why.
 */
/**
 * The engine's cgroup tree, when it is this machine's. An engine in a container
 * (scripts/engine28.sh, reached through a socket) has cgroups of its own namespace:
 * a classic build's parent made here would not be the one it uses, and its BuildKit
 * steps do not appear where this machine would look.
 */
export async function buildCgroups(runtime: Pick<Runtime, 'remote' | 'description' | 'docker' | 'cliEnv'>): Promise<LayoutDetection> {
  if (runtime.remote) return { layout: null, reason: `${runtime.description} is not this machine's engine: its cgroups are out of the grader's reach` };
  return detectEngineCgroups(runtime as Runtime);
}

async function buildLimits(request: BuildRequest, builder: Builder): Promise<BuildLimits> {
  const plan = planBuildLimits({
    builder,
    detection: await buildCgroups(request.runtime),
    limits: { memoryMiB: request.memoryMiB, cpus: request.cpus, pids: request.pids },
    parentName: classicParentName(process.pid, request.tag),
  });
  for (const line of plan.notes) request.progress(line);
  return { args: plan.args, release: () => plan.release().forEach((line) => request.progress(line)) };
}

/**
 * After a killed or timed-out build. The classic builder commits an image per
 * step (the grader's labels come only with the last one), so a build stopped
 * midway leaves untagged, unlabelled images that no cleanup would find: the ones
 * its output named are removed, newest first, when no other image uses them, and
 * so are those the daemon committed after the client was gone (it finishes the
 * step in flight before it notices). BuildKit makes no intermediate images. With
 * both, the tag goes if the build got that far.
 */
async function removeWhatTheBuildLeft(request: BuildRequest, output: ParsedBuildOutput, startedAt: number): Promise<void> {
  const docker = request.runtime.docker;
  const remove = async (id: string) => {
    try {
      await docker.getImage(id).remove({ noprune: true });
    } catch (error) {
      // Gone already, or used by another image or a container: not ours to force.
      if (!isNotFound(error) && statusCodeOf(error) !== 409) throw new EngineError(`could not remove image ${id} left by a stopped build: ${messageOf(error)}`);
    }
  };
  try {
    const tagged = await docker.getImage(request.tag).inspect();
    if (Date.parse(tagged.Created) >= startedAt - 1000) await docker.getImage(request.tag).remove({ noprune: true });
  } catch (error) {
    if (!isNotFound(error) && statusCodeOf(error) !== 409) throw new EngineError(`could not remove ${request.tag} after a stopped build: ${messageOf(error)}`);
  }
  if (output.builder !== 'classic') return;
  const oldest = output.committedImages[0];
  for (let round = 0; round < 3; round++) {
    for (const id of await lateCommits(request.runtime, output, startedAt)) await remove(id);
    for (const id of [...output.committedImages].reverse()) await remove(id);
    // The oldest goes last, once nothing is built on it: when it is gone, so is the rest.
    if (!oldest || !(await docker.getImage(oldest).inspect().then(() => true, (error: unknown) => (isNotFound(error) ? false : Promise.reject(error))))) return;
  }
}

const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/**
 * Waits until the daemon is done with a classic build whose client was killed
 * (no container of the build's images left for a second), then returns the
 * images it committed that the output never named, newest first: children of
 * the build's own images, or of the base or cached image it stopped on when they
 * come from a container the output named.
 */
async function lateCommits(runtime: Runtime, output: ParsedBuildOutput, startedAt: number): Promise<string[]> {
  const docker = runtime.docker;
  const ours = new Set(output.committedImages.map(shortId));
  const printed = output.steps.map((s) => s.imageId).filter((id): id is string => id !== null);
  const lastImage = printed[printed.length - 1];
  const containers = new Set(output.containers.map(shortId));
  const deadline = Date.now() + 20_000;
  let quietSince: number | null = null;
  let late: { id: string }[] = [];
  for (let delay = 100; ; delay = Math.min(delay * 2, 400)) {
    const [images, running] = await Promise.all([docker.listImages({ all: true }), docker.listContainers({ all: true })]);
    const fresh = images.filter((i) => i.Created * 1000 >= startedAt - 1000 && (!i.RepoTags || i.RepoTags.every((t) => t === '<none>:<none>')));
    late = [];
    const family = new Set(ours);
    for (let grew = true; grew; ) {
      grew = false;
      for (const image of fresh) {
        const id = shortId(image.Id);
        if (family.has(id) || !family.has(shortId(image.ParentId))) continue;
        family.add(id);
        late.push({ id });
        grew = true;
      }
    }
    if (lastImage && !ours.has(lastImage)) {
      // The base or a cached image: other builds make children of it too, so only one committed from this build's container counts.
      for (const image of fresh.filter((i) => shortId(i.ParentId) === lastImage && !family.has(shortId(i.Id)))) {
        const inspected = await docker.getImage(image.Id).inspect().catch(() => null);
        if (inspected && containers.has(shortId(inspected.Container ?? ''))) late.push({ id: shortId(image.Id) });
      }
    }
    const busy = running.some((c) => family.has(shortId(c.ImageID)) || containers.has(shortId(c.Id)));
    if (busy) quietSince = null;
    else quietSince ??= Date.now();
    if ((quietSince !== null && Date.now() - quietSince >= 1000) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  // Found parents first: removed children first.
  return late.reverse().map((l) => l.id);
}
