import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { ensureImages } from '../engine/base-images.js';
import { removeLabelled, removeNamed } from '../engine/cleanup.js';
import { docker } from '../engine/docker.js';
import { UsageError } from '../engine/errors.js';
import { acquireLock } from '../engine/lock.js';
import type { ScriptFacts } from '../engine/facts.js';
import { lastLines } from '../engine/stream.js';
import type { ScriptWorkload } from '../spec/schema.js';
import { writeDockerShim } from './docker-shim.js';
import { keepLog } from './logs.js';
import { DEFAULT_LIMITS } from './image-workload.js';
import type { PreparedWorkload, WorkloadOptions } from './types.js';

const MAX_OUTPUT = 64 * 1024;

/** Runs the student's commands.sh with bash, from the submission folder, with a time limit; the lab's named objects are removed before and after. */
export async function prepareScriptWorkload(workload: ScriptWorkload, options: WorkloadOptions, onStop: (stop: () => void) => void): Promise<PreparedWorkload> {
  const { runId, labels, say } = options;
  const objects = { containers: workload.objects.containers ?? [], networks: workload.objects.networks ?? [], volumes: workload.objects.volumes ?? [] };
  const limits = { ...DEFAULT_LIMITS, ...workload.limits };
  const scriptName = workload.script ?? 'commands.sh';
  const timeoutSeconds = workload.timeoutSeconds ?? 60;
  const notes: string[] = [];
  let release: () => void = () => {};
  const finish = async () => {
    try {
      const gone = await removeNamed(objects);
      await removeLabelled(runId);
      return gone.length ? [say('removedAfter', { list: gone.join(', ') })] : [];
    } finally {
      release();
    }
  };
  const scriptPath = path.join(options.submissionDir, scriptName);
  if (!existsSync(scriptPath)) {
    return { script: { script: scriptName, exitCode: null, timedOut: false, timeoutSeconds, durationMs: 0, output: '', dockerCalls: [] }, unavailable: {}, notes, finish };
  }
  if (workload.images?.length) await ensureImages(workload.images, options.progress);
  // The task names fixed containers and host ports: one grading of this lab at a time on this engine.
  release = await acquireLock(options.lab.id, { onWait: (owner) => options.progress(`waiting for ${owner}, which is grading ${options.lab.id} on this engine…`) });
  try {
    return await runScript();
  } catch (error) {
    release();
    throw error;
  }

  async function runScript(): Promise<PreparedWorkload> {
    const gone = await removeNamed(objects);
    if (gone.length) notes.push(say('removedBefore', { list: gone.join(', ') }));
    for (const port of workload.hostPorts ?? []) await requireFreeHostPort(port);
    notes.push(say('scriptLimits', { memory: limits.memoryMiB, cpus: limits.cpus, pids: limits.pids }));

    const realDocker = (await execa('bash', ['-c', 'command -v docker'], { reject: false })).stdout.trim() || 'docker';
    const shimDir = writeDockerShim(realDocker, labels, limits);
    const callsFile = path.join(shimDir, 'calls.log');
    // A script saved with Windows line endings fails on every line under bash; run an LF copy and say so.
    let scriptToRun = scriptPath;
    const text = readFileSync(scriptPath, 'utf8');
    if (text.includes('\r\n')) {
      scriptToRun = path.join(shimDir, 'script-lf.sh');
      writeFileSync(scriptToRun, text.replace(/\r\n/g, '\n'));
      notes.push(say('crlf', { script: scriptName }));
    }
    options.progress(`running ${scriptName} (time limit ${timeoutSeconds} s)…`);
    const started = Date.now();
    const child = execa('bash', [scriptToRun], {
      cwd: options.submissionDir,
      env: { PATH: `${shimDir}:${process.env.PATH ?? ''}`, DOCKERLAB_RUN: runId, DOCKERLAB_CALLS: callsFile },
      stdin: 'ignore',
      all: true,
      reject: false,
      detached: true,
      maxBuffer: 8 * 1024 * 1024,
    });
    // The whole process group goes, with SIGKILL: an attached `docker run` must not forward a TERM to its container.
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    onStop(killGroup);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutSeconds * 1000);
    const result = await child;
    clearTimeout(timer);
    killGroup();
    const dockerCalls = existsSync(callsFile) ? readFileSync(callsFile, 'utf8').split('\n').filter(Boolean) : [];
    rmSync(shimDir, { recursive: true, force: true });
    const output = (result.all ?? '').slice(-MAX_OUTPUT);
    const script: ScriptFacts = { script: scriptName, exitCode: timedOut ? null : (result.exitCode ?? null), timedOut, timeoutSeconds, durationMs: Date.now() - started, output, dockerCalls };
    if (!timedOut && result.exitCode !== 0) {
      const tail = lastLines(output, 5).split('\n').map((l) => `  | ${l}`).join('\n');
      notes.push(say('scriptFailed', { script: scriptName, code: result.exitCode ?? '?', tail }));
    }
    if (timedOut || result.exitCode !== 0) {
      const log = keepLog(options.lab.id, 'script', output);
      if (log) notes.push(say('fullLog', { file: log }));
    }
    return { script, unavailable: {}, notes, finish };
  }
}

/** A host port the task names must be free, or the student's `-p` would fail for reasons that are not theirs. */
async function requireFreeHostPort(port: number): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (free) return;
  const holders = await docker().listContainers({ filters: JSON.stringify({ publish: [String(port)] }) });
  const who = holders.length ? `container ${holders.map((c) => c.Names[0]?.replace(/^\//, '')).join(', ')}` : 'another program';
  throw new UsageError(`host port ${port}, which this lab asks you to publish, is already used by ${who}. Stop it (docker rm -f …) and grade again.`);
}
