import { StringDecoder } from 'node:string_decoder';
import type { Duplex, Readable } from 'node:stream';
import type Docker from 'dockerode';
import { EngineError, FrameDemuxer, messageOf } from '../engine/index.js';

/** What a command run in the sandbox container left: its exit code and the tail of its output. */
export interface SandboxExecResult {
  /** null when the command was killed before it could end by itself (time limit, abort) or its end could not be read. */
  exitCode: number | null;
  /** The last `maxOutputBytes` bytes of stdout and stderr, interleaved as they came. */
  output: string;
  /** Every byte the command wrote, including those dropped from `output`. */
  outputBytes: number;
  timedOut: boolean;
}

export interface ContainerExecOptions {
  cmd: string[];
  user: string;
  env: string[];
  workingDir?: string;
  stdin?: Readable;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
  onOutput?: (chunk: string) => void;
  /** Ends the command and everything it started; called on time-out and abort. */
  kill?: () => Promise<void>;
}

/** How long the stream may stay open after the command was killed before the grader stops listening. */
const DRAIN_AFTER_KILL_MS = 5000;

/**
 * Runs a process in a container of the host engine (the sandbox itself) and keeps
 * only the tail of its output: a command printing gigabytes costs a counter, not memory.
 * On time-out or abort it calls `kill` and stops waiting for the stream after a grace period.
 */
export async function execInContainer(container: Docker.Container, options: ContainerExecOptions): Promise<SandboxExecResult> {
  options.signal?.throwIfAborted();
  const exec = await container
    .exec({
      Cmd: options.cmd,
      User: options.user,
      Env: options.env,
      ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
      AttachStdin: !!options.stdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    })
    .catch((error: unknown) => {
      throw new EngineError(`could not run ${options.cmd[0]} in the sandbox (has it ended? it ends itself after its lifetime): ${messageOf(error)}`);
    });
  const stream = (options.stdin ? await exec.start({ hijack: true, stdin: true }) : await exec.start({ Detach: false, Tty: false })) as Duplex;
  const tail = new Tail(options.maxOutputBytes);
  const decoder = options.onOutput ? new StringDecoder('utf8') : undefined;
  const demux = new FrameDemuxer((payload) => {
    tail.push(payload);
    if (decoder) {
      const text = decoder.write(payload);
      if (text) options.onOutput?.(text);
    }
  });
  let stdinError: Error | undefined;
  if (options.stdin) {
    options.stdin.on('error', (error: Error) => {
      stdinError = error;
      stream.end();
    });
    options.stdin.pipe(stream);
  }

  let timedOut = false;
  let aborted = false;
  let killing: Promise<void> | undefined;
  const ended = new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  const stopAfterGrace = () => {
    killing ??= (async () => {
      await options.kill?.().catch(() => undefined);
      const grace = setTimeout(() => stream.destroy(), DRAIN_AFTER_KILL_MS);
      await ended;
      clearTimeout(grace);
    })();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stopAfterGrace();
  }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    stopAfterGrace();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await ended;
    if (killing) await killing;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    options.stdin?.unpipe(stream);
    stream.destroy();
  }
  if (decoder) {
    const rest = decoder.end();
    if (rest) options.onOutput?.(rest);
  }
  if (aborted) throw options.signal?.reason ?? new DOMException('the command was interrupted', 'AbortError');
  if (stdinError) throw new EngineError(`sending input to ${options.cmd[0]} in the sandbox failed: ${stdinError.message}`);
  const exitCode = timedOut ? null : await exitCodeOf(exec);
  return { exitCode, output: tail.text(), outputBytes: tail.total, timedOut };
}

async function exitCodeOf(exec: Docker.Exec): Promise<number | null> {
  // The stream ends when the process's stdio closes; the engine records the exit code a moment later.
  const deadline = Date.now() + 2000;
  for (let delay = 10; ; delay = Math.min(200, delay * 2)) {
    try {
      const info = await exec.inspect();
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    } catch (error) {
      throw new EngineError(`could not read the exit code of a command in the sandbox: ${messageOf(error)}`);
    }
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** The last `limit` bytes of a stream and the count of all of them. */
export class Tail {
  private chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.limit <= 0) return;
    this.chunks.push(Buffer.from(chunk.length > this.limit ? chunk.subarray(chunk.length - this.limit) : chunk));
    this.kept += Math.min(chunk.length, this.limit);
    while (this.kept - (this.chunks[0]?.length ?? 0) >= this.limit) this.kept -= this.chunks.shift()!.length;
    if (this.kept > this.limit) {
      const first = this.chunks[0]!;
      this.chunks[0] = first.subarray(this.kept - this.limit);
      this.kept = this.limit;
    }
  }

  text(): string {
    // A tail cut inside a UTF-8 sequence starts with a broken character: drop it.
    return Buffer.concat(this.chunks).toString('utf8').replace(/^\uFFFD+/, '');
  }
}
