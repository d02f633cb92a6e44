import type { EngineOperations, GraderContainerSpec } from '../actions/types.js';
import type { HttpRequest, InsideHttpAnswer, InsideHttpRequest, NameResolution, NetworkFacts } from '../checks/types.js';
import { pollUntil } from '../lib/poll.js';
import { signalToExitMs } from './stop-timing.js';
import { parseListeningSockets } from '../lib/proc-net.js';
import {
  type ContainerFacts,
  EngineContainer,
  EngineError,
  type HttpAnswer,
  type ImageConfig,
  inspectImageConfig,
  isNotFound,
  type ListeningSocket,
  messageOf,
  PROBE_IMAGE,
  probeInNetworkOf,
  type Runtime,
  type StopFacts,
  type VolumeFacts,
} from '../engine/index.js';

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
      () => this.runtime.http({ port: request.port, path: request.path, method: request.method ?? 'GET', ...(request.headers ? { headers: request.headers } : {}), timeoutMs: Math.max(1000, Math.min(3000, deadline - Date.now())), signal: this.options.signal }),
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

  async findNetwork(name: string): Promise<NetworkFacts | null> {
    try {
      const info = (await this.runtime.docker.getNetwork(name).inspect()) as { Id: string; Name: string; Driver: string; Internal?: boolean; Labels?: Record<string, string> | null; Containers?: Record<string, { Name?: string }> | null };
      return { id: info.Id, name: info.Name, driver: info.Driver, internal: !!info.Internal, labels: info.Labels ?? {}, containers: Object.values(info.Containers ?? {}).map((c) => c.Name ?? '?').sort() };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw new EngineError(`could not inspect network ${name}: ${messageOf(error)}`, undefined, { cause: error });
    }
  }

  async resolveFrom(container: ContainerFacts, name: string): Promise<NameResolution> {
    const probed = await this.probeInside(container, ['sh', '-c', RESOLVE_SCRIPT, 'resolve', name], 12_000);
    return 'outcome' in probed ? probed : resolutionOf(probed.output, probed.exitCode);
  }

  async httpFrom(container: ContainerFacts, request: InsideHttpRequest): Promise<InsideHttpAnswer> {
    const seconds = Math.max(1, Math.round((request.timeoutMs ?? 5000) / 1000));
    const headers = Object.entries(request.headers ?? {}).flatMap(([k, v]) => ['--header', `${k}: ${v}`]);
    const probed = await this.probeInside(container, ['sh', '-c', HTTP_SCRIPT, 'http', request.url, String(seconds), ...headers], (seconds + 6) * 1000);
    return 'outcome' in probed ? probed : insideAnswerOf(probed.output);
  }

  async localImageTags(repository: string): Promise<string[]> {
    const images = await this.runtime.docker.listImages({ filters: JSON.stringify({ reference: [repository] }) });
    return images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.slice(0, t.lastIndexOf(':')) === repository).sort();
  }

  /** Runs the probe in a running container's network namespace; says why not when it is not running or the probe cannot run. */
  private async probeInside(container: ContainerFacts, argv: string[], timeoutMs: number): Promise<{ output: string; exitCode: number } | { outcome: 'not-running'; status: string } | { outcome: 'probe-failed'; detail: string }> {
    const state = await container.state();
    if (!state.running) return { outcome: 'not-running', status: state.status };
    try {
      this.probeReady ??= this.options.ensureImages([PROBE_IMAGE]);
      await this.probeReady;
      const result = await probeInNetworkOf(this.runtime, state.id, argv, { labels: this.options.labels, timeoutMs });
      if (result.exitCode === null) return { outcome: 'probe-failed', detail: `the grader's probe (${PROBE_IMAGE}) did not finish within ${Math.round(timeoutMs / 1000)} s` };
      return { output: result.output, exitCode: result.exitCode };
    } catch (error) {
      // It may have stopped meanwhile: joining a stopped container's namespace fails.
      const now = await container.state().catch(() => null);
      if (now && !now.running) return { outcome: 'not-running', status: now.status };
      return { outcome: 'probe-failed', detail: messageOf(error) };
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
    const returnedMs = Date.now() - started;
    const after = await container.state();
    const reaction = after.finishedAt ? await signalToExitMs(this.runtime, before.id, after.finishedAt, timeoutSeconds).catch(() => null) : null;
    // Never more than the grader saw: a clock oddity must not cost the student the check.
    const durationMs = reaction === null ? returnedMs : Math.min(reaction, returnedMs);
    return {
      container: container.name,
      timeoutSeconds,
      durationMs,
      returnedMs,
      measuredBy: reaction === null ? 'grader-clock' : 'engine-events',
      exitCode: after.exitCode,
      killed: after.exitCode === 137 || durationMs >= timeoutSeconds * 1000,
      stopSignal: before.stopSignal || 'SIGTERM',
    };
  }
}

/**
 * Resolves $1 as the C library would in that namespace: /etc/hosts first (names
 * given with --link or --add-host), then the DNS server of its resolv.conf
 * (Docker's embedded DNS on user-defined networks). busybox nslookup ignores the
 * hosts file, hence the first loop. `timeout`, not `nslookup -timeout`: the
 * probe must work with any busybox build.
 */
const RESOLVE_SCRIPT = `name=$1
while read -r addr rest; do
  case "$addr" in ''|'#'*) continue ;; esac
  for n in $rest; do [ "$n" = "$name" ] && echo "@@hosts $addr"; done
done < /etc/hosts
timeout 8 nslookup "$name" 2>&1
echo "@@rc=$?"`;

/**
 * GET $1 with a $2-second limit and the headers that follow, printing the exit
 * status, the response head (wget -S, on stderr) and the body (64 KiB at most).
 * The limit is busybox's `timeout`, not `wget -T`, which Debian's busybox 1.35
 * accepts and then crashes on.
 */
const HTTP_SCRIPT = `url=$1; seconds=$2; shift 2
timeout "$seconds" wget -S -q -O /tmp/body "$@" "$url" 2>/tmp/head
echo "@@rc=$?"
cat /tmp/head
echo "@@body"
[ -f /tmp/body ] && head -c 65536 /tmp/body
true`;

/** What the resolve probe printed, as a verdict. */
export function resolutionOf(output: string, exitCode: number): NameResolution {
  const hosts = [...output.matchAll(/^@@hosts (\S+)$/gm)].map((m) => m[1]!);
  if (hosts.length > 0) return { outcome: 'resolved', addresses: [...new Set(hosts)], source: 'hosts' };
  const rc = Number(/^@@rc=(\d+)$/m.exec(output)?.[1] ?? exitCode);
  const answer = output.split(/^Name:/m).slice(1).join('\n');
  const addresses = [...answer.matchAll(/^Address(?: \d+)?:\s*([0-9a-fA-F.:]+)(?:\s.*)?$/gm)].map((m) => m[1]!);
  if (addresses.length > 0) return { outcome: 'resolved', addresses: [...new Set(addresses)], source: 'dns' };
  if (rc === 127 || rc === 126) return { outcome: 'probe-failed', detail: output.replace(/@@rc=\d+/, '').trim().slice(-300) };
  if (/NXDOMAIN|can't find|can't resolve|not found/i.test(output)) return { outcome: 'not-found', detail: /\*\* ?(.*)$/m.exec(output)?.[1]?.trim() ?? 'NXDOMAIN' };
  if (/timed out|no servers could be reached/i.test(output) || rc === 124 || rc === 143) return { outcome: 'not-found', detail: 'no DNS server answered' };
  return { outcome: 'not-found', detail: output.replace(/@@rc=\d+/, '').trim().split('\n').pop()?.slice(0, 200) || `nslookup exit ${rc}` };
}

/** What the HTTP probe printed, as an answer. */
export function insideAnswerOf(output: string): InsideHttpAnswer {
  const rc = Number(/^@@rc=(\d+)$/m.exec(output)?.[1] ?? -1);
  const bodyAt = output.indexOf('@@body\n');
  const head = output.slice(0, bodyAt >= 0 ? bodyAt : undefined);
  const body = bodyAt >= 0 ? output.slice(bodyAt + '@@body\n'.length) : '';
  const statusLines = [...head.matchAll(/^\s*HTTP\/\d(?:\.\d)? (\d{3})/gm)];
  if (statusLines.length > 0) {
    // After redirects, the last status is the answer's.
    const last = statusLines[statusLines.length - 1]!;
    const headers: Record<string, string> = {};
    for (const m of head.slice(last.index).matchAll(/^\s+([A-Za-z0-9-]+):\s*(.*?)\s*$/gm)) headers[m[1]!.toLowerCase()] = m[2]!;
    return { outcome: 'answered', status: Number(last[1]), body: Number(last[1]) < 400 ? body : '', headers };
  }
  const said = head.split('\n').filter((l) => l.startsWith('wget:')).pop()?.replace(/^wget:\s*/, '') ?? head.replace(/@@rc=\d+/, '').trim();
  if (/bad address|unknown host|Name or service not known|can't resolve/i.test(said)) return { outcome: 'name-not-found', detail: said };
  if (/refused/i.test(said)) return { outcome: 'no-connection', failure: 'refused', detail: said };
  if (/unreachable|no route/i.test(said)) return { outcome: 'no-connection', failure: 'unreachable', detail: said };
  if (rc === 124 || rc === 143 || /timed out|Terminated/i.test(said)) return { outcome: 'no-connection', failure: 'timeout', detail: said || 'no answer in time' };
  if (rc === 127 || rc === 126) return { outcome: 'probe-failed', detail: said || `exit ${rc}` };
  return { outcome: 'no-connection', failure: 'other', detail: said || `wget exit ${rc}` };
}
