import type { EngineOperations, GraderContainerSpec } from '../actions/types.js';
import type { HttpRequest } from '../checks/types.js';
import { pollUntil } from '../lib/poll.js';
import { parseListeningSockets } from '../lib/proc-net.js';
import { EngineContainer } from './container.js';
import { EngineError, isNotFound, messageOf } from './errors.js';
import type { ContainerFacts, HttpAnswer, ImageConfig, ListeningSocket, StopFacts, VolumeFacts } from './facts.js';
import { inspectImageConfig } from './image.js';
import { PROBE_IMAGE, probeInNetworkOf } from './probe.js';
import type { Runtime } from './runtime.js';

export interface EngineSessionOptions {
  runtime: Runtime;
  labels: Record<string, string>;
  signal: AbortSignal;
  /** Makes images available on this engine (base images, the probe image). */
  ensureImages(refs: string[]): Promise<unknown>;
}

/**
 * One grading's door to its engine: what checks observe (containers, volumes,
 * images, HTTP, sockets) and what actions do (remove, run, stop). Checks and
 * actions only see it through narrow interfaces, so they can be tested on fakes.
 */
export class EngineSession implements EngineOperations {
  private readonly aliases = new Map<string, EngineContainer>();
  private probeReady: Promise<unknown> | undefined;
  private workloadNames: ((name: string) => Promise<ContainerFacts | null>) | undefined;

  constructor(private readonly options: EngineSessionOptions) {}

  get runtime(): Runtime {
    return this.options.runtime;
  }

  /** Names the workload resolves first (Compose services), before the engine's container names. */
  resolveNamesWith(find: ((name: string) => Promise<ContainerFacts | null>) | undefined): void {
    this.workloadNames = find;
  }

  /** A container by the grader's alias, by the workload's own name for it (a Compose service), or by its name on the engine. */
  async findContainer(name: string): Promise<ContainerFacts | null> {
    return this.aliases.get(name) ?? (await this.workloadNames?.(name)) ?? EngineContainer.find(this.runtime, name);
  }

  async containerOnHostPort(port: number): Promise<ContainerFacts | null> {
    const found = await this.runtime.docker.listContainers({ filters: JSON.stringify({ publish: [String(port)] }) });
    const first = found[0];
    return first ? new EngineContainer(this.runtime, first.Names[0]?.replace(/^\//, '') ?? first.Id.slice(0, 12), first.Id) : null;
  }

  async findVolume(name: string): Promise<VolumeFacts | null> {
    try {
      const info = (await this.runtime.docker.getVolume(name).inspect()) as { Name: string; Driver: string; Labels: Record<string, string> | null };
      return { name: info.Name, driver: info.Driver, labels: info.Labels ?? {} };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw new EngineError(`could not inspect volume ${name}: ${messageOf(error)}`, undefined, { cause: error });
    }
  }

  imageConfig(ref: string): Promise<ImageConfig | null> {
    return inspectImageConfig(this.runtime, ref);
  }

  /** Retries until `until` accepts the answer (default: any HTTP answer), `withinMs` is over, or `hopeless` says waiting cannot help. */
  async http(request: HttpRequest): Promise<HttpAnswer> {
    const until = request.until ?? ((a: HttpAnswer) => a.ok);
    const deadline = Date.now() + (request.withinMs ?? 0);
    const { value } = await pollUntil(
      () => this.runtime.http({ port: request.port, path: request.path, method: request.method ?? 'GET', timeoutMs: Math.max(1000, Math.min(3000, deadline - Date.now())), signal: this.options.signal }),
      until,
      request.withinMs ?? 0,
      { firstDelayMs: 100, maxDelayMs: 500, signal: this.options.signal, ...(request.hopeless ? { stop: request.hopeless } : {}) },
    );
    return value;
  }

  async listeningSockets(container: ContainerFacts): Promise<ListeningSocket[] | null> {
    try {
      const state = await container.state();
      if (!state.running) return null;
      this.probeReady ??= this.options.ensureImages([PROBE_IMAGE]);
      await this.probeReady;
      const result = await probeInNetworkOf(this.runtime, state.id, ['cat', '/proc/net/tcp', '/proc/net/tcp6'], { labels: this.options.labels, timeoutMs: 8000 });
      return result.exitCode === null ? null : parseListeningSockets(result.output);
    } catch {
      // A diagnosis is a bonus: without one, the check still says what it observed.
      return null;
    }
  }

  async removeContainer(name: string): Promise<boolean> {
    const alias = this.aliases.get(name);
    this.aliases.delete(name);
    try {
      await this.runtime.docker.getContainer(alias?.id ?? name).remove({ force: true, v: true });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw new EngineError(`could not remove container ${name}: ${messageOf(error)}`, undefined, { cause: error });
    }
  }

  async runContainer(spec: GraderContainerSpec): Promise<ContainerFacts> {
    await this.options.ensureImages([spec.image]);
    try {
      const created = await this.runtime.docker.createContainer({
        Image: spec.image,
        ...(spec.command ? { Cmd: spec.command } : {}),
        Labels: this.options.labels,
        HostConfig: {
          Mounts: spec.mounts.map((m) => (m.volume
            ? { Type: 'volume' as const, Source: m.volume, Target: m.target, ReadOnly: !!m.readOnly }
            : { Type: 'bind' as const, Source: m.source ?? '', Target: m.target, ReadOnly: !!m.readOnly })),
          Memory: 128 * 1024 * 1024,
          PidsLimit: 64,
          NanoCpus: 500_000_000,
          SecurityOpt: ['no-new-privileges'],
          LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
        },
      });
      if (spec.start) await created.start();
      const container = new EngineContainer(this.runtime, spec.as, created.id);
      this.aliases.set(spec.as, container);
      return container;
    } catch (error) {
      throw new EngineError(`could not start the grader's container ${spec.as} (${spec.image}): ${messageOf(error)}`, undefined, { cause: error });
    }
  }

  async stopContainer(container: ContainerFacts, timeoutSeconds: number): Promise<StopFacts> {
    const before = await container.state();
    const started = Date.now();
    try {
      await this.runtime.docker.getContainer(before.id).stop({ t: timeoutSeconds });
    } catch (error) {
      // 304: already stopped.
      if ((error as { statusCode?: number }).statusCode !== 304) throw new EngineError(`docker stop ${container.name} failed: ${messageOf(error)}`, undefined, { cause: error });
    }
    const durationMs = Date.now() - started;
    const after = await container.state();
    return {
      container: container.name,
      timeoutSeconds,
      durationMs,
      exitCode: after.exitCode,
      killed: after.exitCode === 137 || durationMs >= timeoutSeconds * 1000,
      stopSignal: before.stopSignal || 'SIGTERM',
    };
  }
}
