// Over 300 lines because one workload, two places it runs (in the sandbox, or on the engine when trusted) with one
// contract for both.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { execa } from 'execa';
import { acquireLock, lastLines, removeNamed, type Runtime, type ScriptFacts, TailBuffer, UsageError } from '../engine/index.js';
import { DockerName, Limits, Port, RelativePath } from '../spec/schema.js';
import { LINE_TRACKER, hungLine, shellQuote, writeDockerShim } from './docker-shim.js';
import { DEFAULT_LIMITS } from './image.js';
import { logFileFor } from './logs.js';
import { invisibleBindMounts, invisibleFilesNote } from './remote-files.js';
import { defineWorkload, type PreparedWorkload, type WorkloadContext } from './types.js';

/** Output kept in memory (the report shows its end) and written to the log file at most. */
const OUTPUT_TAIL_BYTES = 64 * 1024;
const LOG_FILE_BYTES = 5 * 1024 * 1024;
const MAX_SCRIPT_BYTES = 1024 * 1024;
/** Where the shim and the script's LF copy go inside a sandbox. */
const SANDBOX_TOOLS = '/work/.dockerlab';

export const NamedObjects = Type.Object(
  {
    containers: Type.Optional(Type.Array(DockerName, { default: [], maxItems: 50 })),
    networks: Type.Optional(Type.Array(DockerName, { default: [], maxItems: 50 })),
    volumes: Type.Optional(Type.Array(DockerName, { default: [], maxItems: 50 })),
    images: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9._/:-]*$', maxLength: 256 }), { default: [], maxItems: 20, description: 'Repositories whose local images (every tag) the task makes, e.g. "localhost:5000/mon-app": removed before and after without a sandbox.' })),
  },
  { additionalProperties: false },
);

export const scriptWorkload = defineWorkload({
  kind: 'script',
  example: { kind: 'script', script: 'commands.sh', timeoutSeconds: 45, objects: { containers: ['mon-serveur', 'ancien'] }, hostPorts: [8080], images: ['nginx:1.27'] },
  description: "Runs the student's script (default `commands.sh`) with bash from the submission folder, with a time limit, in a throw-away sandbox engine (or, with `--sandbox off`, on the engine itself with the grader's labels and limits added and the lab's named objects removed before and after).",
  params: Type.Object({
    script: Type.Optional(RelativePath('The script, relative to the submission.', 'commands.sh')),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 1800, default: 60 })),
    objects: NamedObjects,
    hostPorts: Type.Optional(Type.Array(Port, { default: [], maxItems: 20, description: 'Host ports the task tells the student to publish.' })),
    images: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { default: [], maxItems: 20, description: 'Images the script is expected to run; made available (pulled or stood in) beforehand.' })),
    limits: Type.Optional(Limits),
  }),
  provides: ['script'],
  operations: [],
  isolation: 'sandbox',
  images: (w) => w.images ?? [],
  hostPorts: (w) => w.hostPorts ?? [],
  deliverable: (w) => w.script ?? 'commands.sh',
  async prepare(workload, ctx): Promise<PreparedWorkload> {
    const scriptName = workload.script ?? 'commands.sh';
    const timeoutSeconds = workload.timeoutSeconds ?? 60;
    const scriptPath = path.join(ctx.submissionDir, scriptName);
    const missing: ScriptFacts = { script: scriptName, exitCode: null, timedOut: false, timeoutSeconds, durationMs: 0, output: '', outputBytes: 0, dockerCalls: [] };
    if (!existsSync(scriptPath) || !statSync(scriptPath).isFile()) {
      return { facts: { script: missing }, unavailable: {}, notes: [], operations: {}, finish: async () => [] };
    }
    const notes: string[] = [];
    const text = readFileSync(scriptPath).subarray(0, MAX_SCRIPT_BYTES).toString('utf8');
    const crlf = text.includes('\r\n');
    if (crlf) notes.push(ctx.say('crlf', { script: scriptName }));
    await ctx.ensureImages(workload.images ?? []);
    const run = ctx.sandbox
      ? await runInSandbox(ctx, ctx.sandbox, scriptName, crlf ? text.replace(/\r\n/g, '\n') : null, timeoutSeconds)
      : await runOnEngine(ctx, workload, scriptPath, crlf ? text.replace(/\r\n/g, '\n') : null, timeoutSeconds, notes);
    const { lineRecorded, ...facts } = run.facts;
    const script: ScriptFacts = { script: scriptName, timeoutSeconds, ...facts, hung: facts.timedOut && lineRecorded ? hungLine(lineRecorded, text) : null };
    if (!script.timedOut && script.exitCode !== 0) {
      const tail = lastLines(script.output, 5).split('\n').map((l) => `  | ${l}`).join('\n');
      notes.push(ctx.say('scriptFailed', { script: scriptName, code: script.exitCode ?? '?', tail }));
    }
    if (script.outputBytes > OUTPUT_TAIL_BYTES) notes.push(ctx.say('scriptOutputCut', { script: scriptName, size: humanBytes(script.outputBytes) }));
    const unreachable = imagesThatCouldNotBePulled(script.output);
    if (unreachable.length > 0) notes.push(ctx.say('imageNotPulled', { images: unreachable.join(', '), provided: (workload.images ?? []).join(', ') || '-' }));
    if ((script.timedOut || script.exitCode !== 0) && run.logFile) notes.push(ctx.say('fullLog', { file: run.logFile }));
    return { facts: { script }, unavailable: {}, notes, operations: {}, finish: run.finish };
  },
});

type RunOutcome = { facts: Omit<ScriptFacts, 'script' | 'timeoutSeconds' | 'hung'> & { lineRecorded: string | null }; logFile: string | null; finish: () => Promise<string[]> };

/** Inside a sandbox: the engine is the sandbox's own, empty and thrown away after, so nothing needs labels or removing. */
async function runInSandbox(ctx: WorkloadContext, sandbox: NonNullable<WorkloadContext['sandbox']>, scriptName: string, lfCopy: string | null, timeoutSeconds: number): Promise<RunOutcome> {
  // Written to a temp folder only to be read back: removed at once (one folder per grading was left in /tmp).
  const shimDir = writeDockerShim({ realDocker: '/usr/bin/docker' });
  let shim: Buffer;
  try {
    shim = readFileSync(path.join(shimDir, 'docker'));
  } finally {
    rmSync(shimDir, { recursive: true, force: true });
  }
  const setup = [
    `mkdir -p ${SANDBOX_TOOLS}`,
    `printf %s ${shellQuote(shim.toString('base64'))} | base64 -d > ${SANDBOX_TOOLS}/docker`,
    `chmod 755 ${SANDBOX_TOOLS}/docker`,
    `printf %s ${shellQuote(Buffer.from(LINE_TRACKER).toString('base64'))} | base64 -d > ${SANDBOX_TOOLS}/bash-env`,
    ...(lfCopy !== null ? [`printf %s ${shellQuote(Buffer.from(lfCopy).toString('base64'))} | base64 -d > ${SANDBOX_TOOLS}/script-lf.sh`] : []),
  ].join(' && ');
  const prepared = await sandbox.exec(['sh', '-c', setup], { timeoutMs: 20_000 });
  if (prepared.exitCode !== 0) throw new Error(`could not prepare the sandbox: ${prepared.output}`);
  const target = lfCopy !== null ? `${SANDBOX_TOOLS}/script-lf.sh` : path.posix.join(ctx.submissionDirInEngine, scriptName);
  const logFile = logFileFor(ctx.logsDir, ctx.lab.id, 'script');
  const log = logFile ? boundedLog(logFile) : null;
  ctx.progress(`running ${scriptName} in the sandbox (time limit ${timeoutSeconds} s)…`);
  const started = Date.now();
  // BASH_ENV is given to the script's own bash only: the sandbox's exec wrapper is a bash script
  // too, and would read it (and unset it) itself.
  const result = await sandbox.exec(['env', `BASH_ENV=${SANDBOX_TOOLS}/bash-env`, 'bash', target], {
    cwd: ctx.submissionDirInEngine,
    env: { PATH: `${SANDBOX_TOOLS}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: '/home/dockerlab', LANG: 'C.UTF-8', DOCKERLAB_CALLS: `${SANDBOX_TOOLS}/calls.log`, DOCKERLAB_LINE: `${SANDBOX_TOOLS}/line` },
    timeoutMs: timeoutSeconds * 1000,
    maxOutputBytes: OUTPUT_TAIL_BYTES,
    signal: ctx.signal,
    ...(log ? { onOutput: (chunk: string) => log.write(chunk) } : {}),
  });
  log?.end();
  const calls = await sandbox.exec(['cat', `${SANDBOX_TOOLS}/calls.log`], { timeoutMs: 10_000, maxOutputBytes: 256 * 1024 });
  const line = result.timedOut ? await sandbox.exec(['cat', `${SANDBOX_TOOLS}/line`], { timeoutMs: 10_000, maxOutputBytes: 64 }) : null;
  return {
    facts: {
      exitCode: result.timedOut ? null : result.exitCode,
      timedOut: result.timedOut,
      durationMs: Date.now() - started,
      output: result.output,
      outputBytes: result.outputBytes,
      dockerCalls: calls.exitCode === 0 ? calls.output.split('\n').filter(Boolean) : [],
      lineRecorded: line?.exitCode === 0 ? line.output : null,
    },
    logFile,
    finish: async () => [],
  };
}

/**
 * On the engine itself (`--sandbox off`, for trusted work): the shim adds the
 * grader's labels and limits, the lab's named objects are removed before and
 * after, and one grading of the lab runs at a time on this machine (the task
 * names fixed containers and host ports).
 */
async function runOnEngine(ctx: WorkloadContext, workload: { objects: { containers?: string[]; networks?: string[]; volumes?: string[]; images?: string[] }; hostPorts?: number[]; limits?: { memoryMiB?: number; cpus?: number; pids?: number } }, scriptPath: string, lfCopy: string | null, timeoutSeconds: number, notes: string[]): Promise<RunOutcome> {
  const objects = { containers: workload.objects.containers ?? [], networks: workload.objects.networks ?? [], volumes: workload.objects.volumes ?? [] };
  const limits = { ...DEFAULT_LIMITS, ...workload.limits };
  const release = await acquireLock(ctx.lab.id, { onWait: (owner) => ctx.progress(`waiting for ${owner}, which is grading ${ctx.lab.id} on this engine…`) });
  const removeAll = async () => [...(await removeNamed(ctx.runtime, objects)), ...(await removeRepositories(ctx.runtime, workload.objects.images ?? []))];
  const finish = async () => {
    try {
      const gone = await removeAll();
      return gone.length ? [ctx.say('removedAfter', { list: gone.join(', ') })] : [];
    } finally {
      release();
    }
  };
  try {
    const gone = await removeAll();
    if (gone.length) notes.push(ctx.say('removedBefore', { list: gone.join(', ') }));
    for (const port of workload.hostPorts ?? []) await requireFreeHostPort(ctx.runtime, port);
    notes.push(ctx.say('scriptLimits', { memory: limits.memoryMiB, cpus: limits.cpus, pids: limits.pids }));
    const realDocker = (await execa('bash', ['-c', 'command -v docker'], { reject: false, env: ctx.runtime.cliEnv })).stdout.trim() || 'docker';
    const shimDir = writeDockerShim({ realDocker, inject: { labels: ctx.labels, limits } });
    const callsFile = path.join(shimDir, 'calls.log');
    const lineFile = path.join(shimDir, 'line');
    writeFileSync(path.join(shimDir, 'bash-env'), LINE_TRACKER);
    let target = scriptPath;
    if (lfCopy !== null) {
      target = path.join(shimDir, 'script-lf.sh');
      writeFileSync(target, lfCopy);
    }
    const logFile = logFileFor(ctx.logsDir, ctx.lab.id, 'script');
    try {
      ctx.progress(`running ${path.basename(scriptPath)} (time limit ${timeoutSeconds} s)…`);
      const env = { ...ctx.runtime.cliEnv, PATH: `${shimDir}:${ctx.runtime.cliEnv.PATH ?? process.env.PATH ?? ''}`, DOCKERLAB_RUN: ctx.runId, DOCKERLAB_CALLS: callsFile, BASH_ENV: path.join(shimDir, 'bash-env'), DOCKERLAB_LINE: lineFile };
      const run = await runBounded(['bash', target], { cwd: ctx.submissionDir, env, timeoutMs: timeoutSeconds * 1000, signal: ctx.signal, logFile });
      const unseen = await invisibleBindMounts(ctx.runtime, ctx.runId, ctx.submissionDir);
      if (unseen.length) notes.push(invisibleFilesNote(ctx.lang, ctx.runtime, ctx.submissionDir, unseen));
      const dockerCalls = existsSync(callsFile) ? readFileSync(callsFile, 'utf8').split('\n').filter(Boolean) : [];
      const lineRecorded = run.timedOut && existsSync(lineFile) ? readFileSync(lineFile, 'utf8').slice(0, 64) : null;
      return { facts: { ...run, dockerCalls, lineRecorded }, logFile, finish };
    } finally {
      rmSync(shimDir, { recursive: true, force: true });
    }
  } catch (error) {
    await finish().catch(() => undefined);
    throw error;
  }
}

/**
 * Runs a command in its own process group with a time limit, keeping the tail of
 * its output and streaming the rest to a bounded log file. It returns when the
 * command exits, even if a child it left behind still holds its output open
 * (`setsid sleep 600 &`); the whole group is killed with SIGKILL on timeout or
 * abort — SIGKILL so that an attached `docker run` cannot forward a TERM.
 */
export async function runBounded(argv: string[], { cwd, env, timeoutMs, signal, logFile }: { cwd: string; env: Record<string, string>; timeoutMs: number; signal?: AbortSignal; logFile: string | null }): Promise<{ exitCode: number | null; timedOut: boolean; durationMs: number; output: string; outputBytes: number }> {
  const started = Date.now();
  const tail = new TailBuffer(OUTPUT_TAIL_BYTES);
  const log = logFile ? boundedLog(logFile) : null;
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const onData = (chunk: Buffer) => {
    tail.push(chunk);
    log?.write(chunk);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeoutMs);
  signal?.addEventListener('abort', killGroup, { once: true });
  const exitCode = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code));
  });
  clearTimeout(timer);
  signal?.removeEventListener('abort', killGroup);
  killGroup();
  // Do not wait for pipes a runaway child may keep open.
  child.stdout.destroy();
  child.stderr.destroy();
  log?.end();
  return { exitCode: timedOut ? null : exitCode, timedOut, durationMs: Date.now() - started, output: tail.text(), outputBytes: tail.total };
}

/** A log file that stops growing at LOG_FILE_BYTES, with a last line saying so. */
function boundedLog(file: string): { write(chunk: Buffer | string): void; end(): void } {
  const stream = createWriteStream(file);
  stream.on('error', () => undefined);
  let written = 0;
  let cut = false;
  return {
    write(chunk) {
      if (cut) return;
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (written + buffer.length > LOG_FILE_BYTES) {
        stream.write(buffer.subarray(0, LOG_FILE_BYTES - written));
        stream.write('\n[dockerlab: output cut here, over 5 MiB]\n');
        cut = true;
        return;
      }
      written += buffer.length;
      stream.write(buffer);
    },
    end() {
      stream.end();
    },
  };
}

/** Images the script's docker run/pull could not get: no registry answered (offline machines) or it does not exist. */
export function imagesThatCouldNotBePulled(output: string): string[] {
  const out = new Set<string>();
  for (const match of output.matchAll(/Unable to find image '([^']+)' locally[\s\S]{0,800}?(?:Error response from daemon|docker: Error)[^\n]*(?:pull|dial tcp|lookup|manifest unknown|not found|denied)/g)) out.add(match[1]!);
  for (const match of output.matchAll(/Error response from daemon: (?:pull access denied for|manifest for) ([^\s,]+)/g)) out.add(match[1]!);
  return [...out];
}

function humanBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024) return `${(n / 1024 / 1024 / 1024).toFixed(1)} GiB`;
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}

/** Every local image of the named repositories (the docker CLI's `reference` filter), e.g. what a lab tells the student to tag and push. */
async function removeRepositories(runtime: Runtime, repositories: string[]): Promise<string[]> {
  const gone: string[] = [];
  for (const repository of repositories) {
    const images = await runtime.docker.listImages({ filters: JSON.stringify({ reference: [repository] }) });
    for (const image of images) {
      const tags = (image.RepoTags ?? []).filter((t) => t.startsWith(`${repository}:`));
      for (const tag of tags) {
        await runtime.docker.getImage(tag).remove({ noprune: false }).then(() => gone.push(`image ${tag}`), () => undefined);
      }
    }
  }
  return gone;
}

/** A host port the task names must be free, or the student's `-p` would fail for reasons that are not theirs. */
async function requireFreeHostPort(runtime: Runtime, port: number): Promise<void> {
  // On a remote engine the port is that machine's: only its containers can be asked.
  const free = runtime.remote ? false : await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (free) return;
  const holders = await runtime.docker.listContainers({ filters: JSON.stringify({ publish: [String(port)] }) });
  if (runtime.remote && holders.length === 0) return;
  const who = holders.length ? `container ${holders.map((c) => c.Names[0]?.replace(/^\//, '')).join(', ')}` : 'another program';
  throw new UsageError(`host port ${port}, which this lab asks you to publish, is already used by ${who}. Stop it (docker rm -f …) and grade again.`);
}
