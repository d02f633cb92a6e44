import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { externalBases, instructionForStep, parseDockerfile } from '../dockerfile/parse.js';
import { alpineServedBy, ensureImages, type Progress } from './base-images.js';
import { docker } from './docker.js';
import { EngineError, messageOf } from './errors.js';
import type { BuildFacts, BuildFailure } from './facts.js';
import { lastLines } from './stream.js';

export interface BuildRequest {
  submissionDir: string;
  dockerfile: string;
  context: string;
  tag: string;
  labels: Record<string, string>;
  timeoutMs: number;
  memoryMiB: number;
  cpus: number;
  progress: Progress;
  /** Process limit for the build's RUN steps, where the engine allows it (see buildPidsCgroup). */
  pids: number;
  /** Called with the child process so an interrupt can stop it. */
  onStart?: (stop: () => void) => void;
}

/**
 * Builds with the docker CLI's classic builder: it applies .dockerignore exactly
 * as students' own `docker build` does, honours memory/CPU limits for RUN steps,
 * and names each failing step in a stable format ("Step N/M : …").
 */
export async function buildImage(request: BuildRequest): Promise<BuildFacts> {
  const dockerfilePath = path.resolve(request.submissionDir, request.dockerfile);
  const contextPath = path.resolve(request.submissionDir, request.context);
  const started = Date.now();
  const facts = (partial: Partial<BuildFacts> & Pick<BuildFacts, 'ok' | 'output'>): BuildFacts => ({
    dockerfile: request.dockerfile,

    dockerfileText: existsSync(dockerfilePath) ? readFileSync(dockerfilePath, 'utf8') : null,
    durationMs: Date.now() - started,
    ...partial,
  });
  if (!existsSync(dockerfilePath)) {
    return facts({ ok: false, output: '', failure: { reason: `missing: ${request.dockerfile}` } });
  }
  const text = readFileSync(dockerfilePath, 'utf8');
  const parsed = parseDockerfile(text);
  if (parsed.stages.length === 0) {
    return facts({ ok: false, output: '', failure: { reason: 'no FROM instruction' } });
  }
  const bases = externalBases(parsed);
  try {
    await ensureImages(bases, request.progress);
  } catch (error) {
    if (error instanceof EngineError && /is not available/.test(error.message)) {
      return facts({ ok: false, output: error.message, failure: { reason: error.message, line: parsed.stages[0]?.line, instruction: `FROM ${parsed.stages[0]?.base}` } });
    }
    throw error;
  }
  const args = ['build', '--rm', '--force-rm', '-f', dockerfilePath, '-t', request.tag,
    '--memory', `${request.memoryMiB}m`, '--memory-swap', `${request.memoryMiB}m`,
    '--cpu-period', '100000', '--cpu-quota', String(Math.round(request.cpus * 100000))];
  const pidsCgroup = await buildPidsCgroup(request.tag, request.pids);
  if (pidsCgroup) args.push('--cgroup-parent', pidsCgroup.parent);
  for (const [key, value] of Object.entries(request.labels)) args.push('--label', `${key}=${value}`);
  args.push(contextPath);
  const child = execa('docker', args, {
    env: { DOCKER_BUILDKIT: '0', DOCKER_CLI_HINTS: 'false' },
    reject: false,
    all: true,
    timeout: request.timeoutMs,
    killSignal: 'SIGKILL',
  });
  request.onStart?.(() => child.kill('SIGKILL'));
  let result;
  try {
    result = await child;
  } catch (error) {
    throw new EngineError(`could not run docker build: ${messageOf(error)}`);
  } finally {
    pidsCgroup?.remove();
  }
  const output = result.all ?? '';
  if (result.timedOut) {
    return facts({ ok: false, output, timedOut: true, failure: { ...lastStep(output, parsed), reason: `time limit of ${Math.round(request.timeoutMs / 1000)} s reached` } });
  }
  const alpineStandIns = (await Promise.all(bases.map(async (b) => [b, await alpineServedBy(b)] as const)))
    .filter((pair): pair is readonly [string, string] => pair[1] !== null)
    .map(([b, s]) => [b, s] as [string, string]);
  if (result.exitCode !== 0) {
    if (/Cannot connect to the Docker daemon|error during connect/i.test(output)) throw new EngineError(lastLines(output, 3));
    return facts({ ok: false, output, failure: describeFailure(output, parsed), alpineStandIns });
  }
  return facts({ ok: true, output, alpineStandIns });
}

/**
 * `docker build` has no --pids-limit. Where the engine runs here with cgroup v1
 * and the cgroupfs driver (this project's machines), a parent cgroup with
 * pids.max, passed as --cgroup-parent, bounds the processes of every RUN step
 * (a fork bomb stops with "Cannot fork"). Elsewhere builds keep their memory,
 * CPU and time limits only.
 */
async function buildPidsCgroup(tag: string, pids: number): Promise<{ parent: string; remove: () => void } | null> {
  if (process.getuid?.() !== 0 || !existsSync('/sys/fs/cgroup/pids/cgroup.procs')) return null;
  const host = process.env.DOCKER_HOST;
  if (host && !host.startsWith('unix://')) return null;
  try {
    const info = (await docker().info()) as { CgroupDriver?: string; CgroupVersion?: string };
    if (info.CgroupDriver !== 'cgroupfs' || (info.CgroupVersion ?? '1') !== '1') return null;
    const name = `dockerlab-build-${tag.replace(/[^A-Za-z0-9_.-]/g, '-')}`;
    const dir = path.join('/sys/fs/cgroup/pids', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'pids.max'), String(pids));
    const remove = () => {
      try {
        rmdirSync(dir);
      } catch {
        // Still in use or already gone: an empty cgroup costs nothing.
      }
    };
    return { parent: `/${name}`, remove };
  } catch {
    return null;
  }
}

function lastStep(output: string, parsed: ReturnType<typeof parseDockerfile>): Omit<BuildFailure, 'reason'> {
  const steps = [...output.matchAll(/^Step (\d+)\/\d+ : (.*)$/gm)];
  const last = steps[steps.length - 1];
  if (!last) return {};
  const step = Number(last[1]);
  const instruction = instructionForStep(parsed, step, last[2] ?? '');
  return { step, instruction: last[2] ?? '', ...(instruction ? { line: instruction.line } : {}) };
}

export function describeFailure(output: string, parsed: ReturnType<typeof parseDockerfile>): BuildFailure {
  const parseError = /dockerfile parse error (?:on )?line (\d+): (.*)/i.exec(output);
  if (parseError) return { line: Number(parseError[1]), reason: `Dockerfile parse error: ${parseError[2]}` };
  const reasonLine =
    /^(The command .* returned a non-zero code: \d+)$/m.exec(output)?.[1] ??
    /^((?:COPY|ADD) failed: .*)$/m.exec(output)?.[1] ??
    /^(?:Error response from daemon: )?(.*)$/m.exec(lastLines(output, 1))?.[1] ??
    'the build failed';
  return { ...lastStep(output, parsed), reason: reasonLine.replace(/^Error response from daemon: /, '') };
}
