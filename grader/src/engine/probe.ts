import { EngineError, messageOf } from './errors.js';
import type { Runtime } from './runtime.js';
import { demuxedTail } from './stream.js';

/** The grader's own probe image: tiny, always provided (pulled or stood in), with sh, cat, wget and nslookup. */
export const PROBE_IMAGE = 'busybox:1.36';

export interface ProbeResult {
  exitCode: number | null;
  output: string;
  timedOut: boolean;
}

/**
 * Runs a command in a throw-away container of the grader's probe image that joins
 * another container's network namespace (`--network container:ID`), so what it
 * sees (sockets, names, HTTP) is what that container sees, whatever tools the
 * student's image has. Bounded in memory, processes, time and output; removed after.
 */
export async function probeInNetworkOf(runtime: Runtime, containerId: string, argv: string[], { labels, timeoutMs = 10_000 }: { labels: Record<string, string>; timeoutMs?: number }): Promise<ProbeResult> {
  const docker = runtime.docker;
  let created;
  try {
    created = await docker.createContainer({
      Image: PROBE_IMAGE,
      Cmd: argv,
      Labels: labels,
      HostConfig: { NetworkMode: `container:${containerId}`, Memory: 64 * 1024 * 1024, PidsLimit: 32, NanoCpus: 500_000_000, LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } } },
    });
  } catch (error) {
    throw new EngineError(`could not create the grader's probe container (${PROBE_IMAGE}): ${messageOf(error)}`, undefined, { cause: error });
  }
  try {
    await created.start();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      created.kill().catch(() => undefined);
    }, timeoutMs);
    const waited = (await created.wait().finally(() => clearTimeout(timer))) as { StatusCode?: number };
    const logs = await created.logs({ stdout: true, stderr: true, follow: false });
    const output = (await demuxedTail(docker.modem, logs as unknown as Buffer, 256 * 1024)).text();
    return { exitCode: timedOut ? null : (waited.StatusCode ?? null), output, timedOut };
  } catch (error) {
    throw new EngineError(`the grader's probe container failed: ${messageOf(error)}`, undefined, { cause: error });
  } finally {
    await created.remove({ force: true }).catch(() => undefined);
  }
}
