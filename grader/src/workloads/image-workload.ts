import { docker } from '../engine/docker.js';
import { buildImage } from '../engine/build.js';
import { EngineContainer } from '../engine/container.js';
import { removeLabelled } from '../engine/cleanup.js';
import { EngineError, messageOf } from '../engine/errors.js';
import { requestOnce } from '../engine/http.js';
import { EngineImage } from '../engine/image.js';
import { pollUntil } from '../engine/poll.js';
import type { ImageWorkload } from '../spec/schema.js';
import { keepLog } from './logs.js';
import type { PreparedWorkload, WorkloadOptions } from './types.js';

export const DEFAULT_LIMITS = { memoryMiB: 512, cpus: 1, pids: 256 };

/** Builds the submission's Dockerfile and, when the lab says so, runs one container from it with the lab's ports on random host ports. */
export async function prepareImageWorkload(workload: ImageWorkload, options: WorkloadOptions, onStop: (stop: () => void) => void): Promise<PreparedWorkload> {
  const { runId, labels, lab, say } = options;
  const limits = { ...DEFAULT_LIMITS, ...workload.limits };
  const tag = `dockerlab/${lab.id}:${runId}`;
  const finish = async () => {
    await removeLabelled(runId);
    return [];
  };
  options.progress(`building ${workload.dockerfile}…`);
  const build = await buildImage({
    submissionDir: options.submissionDir,
    dockerfile: workload.dockerfile ?? 'Dockerfile',
    context: workload.context ?? '.',
    tag,
    labels,
    timeoutMs: (workload.buildTimeoutSeconds ?? 300) * 1000,
    memoryMiB: Math.max(limits.memoryMiB, 1024),
    cpus: limits.cpus,
    pids: limits.pids,
    progress: options.progress,
    onStart: onStop,
  });
  const alpineNotes = (build.alpineStandIns ?? []).map(([requested, servedBy]) => say('alpineStandIn', { requested, servedBy }));
  if (!build.ok) {
    const log = build.output ? keepLog(lab.id, 'build', build.output) : null;
    return { build, unavailable: { image: 'skippedBuild', container: 'skippedBuild' }, notes: [...alpineNotes, ...(log ? [say('fullLog', { file: log })] : [])], finish };
  }
  options.progress(`built in ${build.durationMs} ms`);
  const image = new EngineImage(tag, labels);
  const prepared: PreparedWorkload = { build, image, unavailable: {}, notes: alpineNotes, finish };
  if (!workload.run) return prepared;

  const run = workload.run;
  const ports = run.ports ?? [];
  const name = `dockerlab-${lab.id}-${runId}`;
  try {
    const created = await docker().createContainer({
      name,
      Image: tag,
      Labels: labels,
      Env: Object.entries(run.env ?? {}).map(([k, v]) => `${k}=${v}`),
      ExposedPorts: Object.fromEntries(ports.map((p) => [`${p}/tcp`, {}])),
      HostConfig: {
        PortBindings: Object.fromEntries(ports.map((p) => [`${p}/tcp`, [{ HostIp: '127.0.0.1', HostPort: '' }]])),
        Memory: limits.memoryMiB * 1024 * 1024,
        MemorySwap: limits.memoryMiB * 1024 * 1024,
        NanoCpus: Math.round(limits.cpus * 1e9),
        PidsLimit: limits.pids,
        SecurityOpt: ['no-new-privileges'],
      },
    });
    prepared.container = new EngineContainer(name, created.id);
    image.useFilesOf(created.id);
    // Read ahead what user checks need, while the container starts and warms up.
    for (const file of ['/etc/passwd', '/etc/group']) image.readFile(file).catch(() => undefined);
    try {
      await created.start();
    } catch (error) {
      // The container exists but could not start (unknown user, missing executable…): checks see it as created/exited.
      prepared.notes.push(say('startFailed', { reason: messageOf(error).replace(/^.*?OCI runtime create failed: /, '') }));
      return prepared;
    }
  } catch (error) {
    throw new EngineError(`could not create the container: ${messageOf(error)}`);
  }
  const container = prepared.container;
  const published = await Promise.all(ports.map(async (p) => `${p} → 127.0.0.1:${(await container.hostPort(p)) ?? '?'}`));
  prepared.notes.push(say('containerStarted', { ports: published.join(', ') || '-' }));

  const ready = run.ready;
  const timeoutMs = (ready?.timeoutSeconds ?? 20) * 1000;
  if (ready?.http) {
    const hostPort = await container.hostPort(ready.http.port);
    let exited = false;
    const { met } = await pollUntil(
      async () => (hostPort ? requestOnce(hostPort, ready.http?.path ?? '/', 'GET', 2000) : { ok: false as const, error: 'not published' }),
      (answer) => answer.ok,
      timeoutMs,
      {
        firstDelayMs: 50,
        maxDelayMs: 400,
        stop: async () => {
          exited = !(await container.state()).running;
          return exited;
        },
      },
    );
    if (exited) {
      const state = await container.state();
      prepared.notes.push(say('exitedEarly', { code: state.exitCode }));
    } else if (!met) {
      prepared.notes.push(say('notReady', { port: ready.http.port, seconds: timeoutMs / 1000 }));
    }
  }
  return prepared;
}
