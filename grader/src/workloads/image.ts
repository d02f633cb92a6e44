import { cpSync, existsSync, mkdtempSync, appendFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { hopelessWatch } from '../checks/common.js';
import { buildImage, type BuildRequest } from '../build/index.js';
import { type BuildFacts, EngineContainer, EngineError, EngineImage, messageOf } from '../engine/index.js';
import { Limits, Port, RelativePath } from '../spec/schema.js';
import { logFileFor } from './logs.js';
import { defineWorkload, type PreparedWorkload } from './types.js';

export const DEFAULT_LIMITS = { memoryMiB: 512, cpus: 1, pids: 256 };

export const RunSpec = Type.Object(
  {
    ports: Type.Optional(Type.Array(Port, { description: 'Container ports published on random host ports.', default: [], maxItems: 20 })),
    healthcheckIntervalSeconds: Type.Optional(Type.Number({ minimum: 0.5, maximum: 60, description: "Run the image's own HEALTHCHECK (same test, timeout, retries) at this interval, so health verdicts do not wait on the student's interval." })),
    env: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 4096 }))),
    ready: Type.Optional(
      Type.Object(
        {
          http: Type.Optional(Type.Object({ port: Port, path: Type.Optional(Type.String({ default: '/', pattern: '^/', maxLength: 1000 })) }, { additionalProperties: false })),
          timeoutSeconds: Type.Optional(Type.Number({ minimum: 1, maximum: 300, default: 20 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const imageWorkload = defineWorkload({
  kind: 'image',
  example: { kind: 'image', dockerfile: 'Dockerfile', run: { ports: [8080], ready: { http: { port: 8080, path: '/' } } } },
  description: "Builds the submission's Dockerfile and, with `run`, starts one container from it with the lab's ports published on random host ports; waits until `run.ready.http` answers (any status), the container exits, or it is clear nothing will answer.",
  params: Type.Object({
    dockerfile: Type.Optional(RelativePath('Path of the Dockerfile, relative to the submission.', 'Dockerfile')),
    context: Type.Optional(RelativePath('Build context, relative to the submission.', '.')),
    buildTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 1800, default: 300 })),
    run: Type.Optional(RunSpec),
    limits: Type.Optional(Limits),
  }),
  provides: (w) => (w.run ? ['build', 'image', 'container'] : ['build', 'image']),
  operations: ['rebuild'],
  isolation: 'engine',
  images: () => [],
  hostPorts: () => [],
  deliverable: (w) => w.dockerfile ?? 'Dockerfile',
  async prepare(workload, ctx): Promise<PreparedWorkload> {
    const { runId, labels, lab, say, runtime } = ctx;
    const limits = { ...DEFAULT_LIMITS, ...workload.limits };
    const tag = `dockerlab/${lab.id}:${runId}`;
    const buildRequest = (submissionDir: string, imageTag: string, logName: string, cacheFrom?: string): BuildRequest => ({
      runtime,
      submissionDir,
      dockerfile: workload.dockerfile ?? 'Dockerfile',
      context: workload.context ?? '.',
      tag: imageTag,
      labels,
      timeoutMs: (workload.buildTimeoutSeconds ?? 300) * 1000,
      memoryMiB: Math.max(limits.memoryMiB, 1024),
      cpus: limits.cpus,
      pids: Math.max(limits.pids, 512),
      progress: ctx.progress,
      signal: ctx.signal,
      prepareBases: (refs) => ctx.ensureImages(refs),
      logFile: logFileFor(ctx.logsDir, lab.id, logName),
      ...(cacheFrom ? { cacheFrom } : {}),
    });
    ctx.progress(`building ${workload.dockerfile ?? 'Dockerfile'}…`);
    const build = await buildImage(buildRequest(ctx.submissionDir, tag, 'build'));
    const operations: PreparedWorkload['operations'] = {
      rebuild: async (edit) => {
        // The grader edits a copy: the student's files are never touched.
        const copy = mkdtempSync(path.join(os.tmpdir(), `dockerlab-rebuild-${runId}-`));
        try {
          cpSync(ctx.submissionDir, copy, { recursive: true, verbatimSymlinks: true });
          const target = path.join(copy, edit.file);
          if (!existsSync(target)) return { missingFile: edit.file };
          appendFileSync(target, edit.append.replace(/\{run\}/g, `${runId}-${Date.now().toString(36)}`));
          ctx.progress(`rebuilding after editing ${edit.file}…`);
          return { build: await buildImage(buildRequest(copy, `${tag}-rebuild`, 'rebuild', tag)) };
        } finally {
          rmSync(copy, { recursive: true, force: true });
        }
      },
    };
    const alpineNotes = (build.alpineStandIns ?? []).map(([requested, servedBy]) => say('alpineStandIn', { requested, servedBy }));
    const logNote = (b: BuildFacts) => (!b.ok && b.logFile ? [say('fullLog', { file: b.logFile })] : []);
    const finish = async () => [];
    if (!build.ok) {
      return { facts: { build }, unavailable: { image: 'skippedBuild', container: 'skippedBuild' }, notes: [...alpineNotes, ...logNote(build)], operations, finish };
    }
    ctx.progress(`built in ${build.durationMs} ms`);
    const image = new EngineImage(runtime, tag, labels);
    const prepared: PreparedWorkload = { facts: { build, image }, unavailable: {}, notes: alpineNotes, operations, finish };
    if (!workload.run) return prepared;

    const run = workload.run;
    const ports = run.ports ?? [];
    const name = `dockerlab-${lab.id}-${runId}`;
    let container: EngineContainer;
    const own = run.healthcheckIntervalSeconds ? (await image.config()).healthcheck : null;
    const healthcheck = own && run.healthcheckIntervalSeconds
      ? { Healthcheck: { Test: own.test, Interval: Math.round(run.healthcheckIntervalSeconds * 1e9), Timeout: Math.round(own.timeoutSeconds * 1e9), Retries: own.retries, StartPeriod: Math.round(own.startPeriodSeconds * 1e9) } }
      : {};
    try {
      const created = await runtime.docker.createContainer({
        name,
        Image: tag,
        ...healthcheck,
        Labels: labels,
        Env: Object.entries(run.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ExposedPorts: Object.fromEntries(ports.map((p) => [`${p}/tcp`, {}])),
        HostConfig: {
          PortBindings: Object.fromEntries(ports.map((p) => [`${p}/tcp`, [{ HostIp: runtime.bindAddress, HostPort: '' }]])),
          Memory: limits.memoryMiB * 1024 * 1024,
          MemorySwap: limits.memoryMiB * 1024 * 1024,
          NanoCpus: Math.round(limits.cpus * 1e9),
          PidsLimit: limits.pids,
          SecurityOpt: ['no-new-privileges'],
          // The app's logs are the student's; their size is not.
          LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '1' } },
        },
      });
      container = new EngineContainer(runtime, name, created.id);
      prepared.facts.container = container;
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
      throw new EngineError(`could not create the container: ${messageOf(error)}`, undefined, { cause: error });
    }
    const published = await Promise.all(ports.map(async (p) => `${p} → ${runtime.hostAddress}:${(await container.hostPort(p)) ?? '?'}`));
    prepared.notes.push(say('containerStarted', { ports: published.join(', ') || '-' }));

    const ready = run.ready;
    if (ready?.http) {
      const timeoutMs = (ready.timeoutSeconds ?? 20) * 1000;
      const hostPort = await container.hostPort(ready.http.port);
      const watch = hopelessWatch({ ...ctx.observe, lang: ctx.lang }, container, ready.http.port);
      const answer = hostPort === null
        ? null
        : await ctx.observe.http({ port: hostPort, path: ready.http.path ?? '/', withinMs: timeoutMs, hopeless: watch.hopeless });
      const state = await container.state();
      if (!state.running) prepared.notes.push(say('exitedEarly', { code: state.exitCode }));
      else if (watch.why()) prepared.notes.push(say('notReadyHopeless', { port: ready.http.port, why: watch.why() }));
      else if (!answer?.ok) prepared.notes.push(say('notReady', { port: ready.http.port, seconds: timeoutMs / 1000 }));
    }
    return prepared;
  },
});
