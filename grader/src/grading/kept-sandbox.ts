import { messageOf, type Runtime } from '../engine/index.js';
import type { Sandbox } from '../sandbox/index.js';

/** The inner engine's networks that come with it and stay. */
const BUILT_IN_NETWORKS = new Set(['bridge', 'host', 'none']);
/** Not reused past this share of its lifetime left: the grading must end before the sandbox's own end. */
const MARGIN_SECONDS = 30;

interface Kept {
  sandbox: Sandbox;
  key: string;
  openedAt: number;
  lifetimeSeconds: number;
  /** The inner engine's images when it opened (the lab's, seeded): everything else is a grading's. */
  baseline: Set<string>;
  /** What /tmp held when it opened: the inner engine's own (RootlessKit's API socket lives there) stays. */
  tmpBaseline: string[];
}

/**
 * One sandbox kept open across the gradings of `--watch` (script and Compose labs):
 * opening one is the slow part of such a grading. Between two gradings it is reset
 * to what it was when it opened — no container, network, volume, image or build
 * cache of a grading survives, its /work and home are emptied and /tmp is back to what it held — so a verdict
 * never depends on the grading before. Anything doubtful (it died, it is too close
 * to the end of its lifetime, the images it must hold changed, a grading failed or
 * was interrupted) and it is thrown away and a fresh one opened.
 *
 * Its objects on the host carry the keeper's own run id, not a grading's: a
 * grading's cleanup (by its run id) leaves it; `dispose()` removes it.
 */
export class SandboxKeeper {
  private kept: Kept | null = null;
  /** How many sandboxes this keeper opened (the figure `--watch` is judged by). */
  opened = 0;
  reused = 0;

  constructor(
    readonly runId: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The kept sandbox, reset, when it matches `key` and has `needSeconds` of life left;
   * else a new one from `open`.
   */
  async acquire(request: { host: Runtime; key: string; lifetimeSeconds: number; needSeconds: number; open: () => Promise<Sandbox>; progress: (line: string) => void; signal: AbortSignal }): Promise<Sandbox> {
    const { progress } = request;
    const kept = this.kept;
    if (kept) {
      const reason = await this.whyNotReuse(kept, request);
      if (reason === null) {
        try {
          const started = this.now();
          await resetSandbox(kept);
          this.reused++;
          progress(`the sandbox kept from the last grading is reset (${this.now() - started} ms) and reused`);
          return kept.sandbox;
        } catch (error) {
          progress(`the kept sandbox could not be reset (${messageOf(error)}): opening a new one`);
        }
      } else {
        progress(`a new sandbox: ${reason}`);
      }
      await this.dispose();
    }
    request.signal.throwIfAborted();
    const sandbox = await request.open();
    this.opened++;
    try {
      const images = await sandbox.runtime.docker.listImages({ all: true });
      const tmp = await sandbox.exec(['ls', '-A', '/tmp'], { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 });
      if (tmp.exitCode !== 0) throw new Error(`cannot list the sandbox's /tmp: ${tmp.output.trim()}`);
      this.kept = { sandbox, key: request.key, openedAt: this.now(), lifetimeSeconds: request.lifetimeSeconds, baseline: new Set(images.map((i) => i.Id)), tmpBaseline: tmp.output.split('\n').filter(Boolean) };
    } catch (error) {
      await sandbox.dispose().catch(() => undefined);
      throw error;
    }
    return sandbox;
  }

  /** After a grading: a healthy one keeps the sandbox for the next; any other throws it away. */
  async release(sandbox: Sandbox, healthy: boolean): Promise<void> {
    if (this.kept?.sandbox !== sandbox) {
      await sandbox.dispose();
      return;
    }
    if (!healthy) await this.dispose();
  }

  async dispose(): Promise<void> {
    const kept = this.kept;
    this.kept = null;
    await kept?.sandbox.dispose();
  }

  private async whyNotReuse(kept: Kept, request: { host: Runtime; key: string; needSeconds: number }): Promise<string | null> {
    if (kept.key !== request.key) return 'the images or limits it must have changed';
    const left = kept.lifetimeSeconds - (this.now() - kept.openedAt) / 1000;
    if (left < request.needSeconds + MARGIN_SECONDS) return `the kept one ends in ${Math.round(left)} s, too soon for this grading`;
    try {
      const state = await request.host.docker.getContainer(kept.sandbox.containerId).inspect();
      if (!state.State.Running) return 'the kept one stopped';
      await kept.sandbox.runtime.docker.ping();
    } catch (error) {
      return `the kept one does not answer (${messageOf(error)})`;
    }
    return null;
  }
}

/** Back to the state it opened in: see SandboxKeeper. */
async function resetSandbox(kept: Kept): Promise<void> {
  const d = kept.sandbox.runtime.docker;
  const containers = await d.listContainers({ all: true });
  await Promise.all(containers.map((c) => d.getContainer(c.Id).remove({ force: true, v: true })));
  const [networks, volumes] = await Promise.all([d.listNetworks(), d.listVolumes()]);
  await Promise.all([
    ...networks.filter((n) => !BUILT_IN_NETWORKS.has(n.Name)).map((n) => d.getNetwork(n.Id).remove()),
    ...(volumes.Volumes ?? []).map((v) => d.getVolume(v.Name).remove({ force: true })),
  ]);
  // Newest first, so that a child image goes before its parent.
  const images = (await d.listImages({ all: true })).filter((i) => !kept.baseline.has(i.Id)).sort((a, b) => b.Created - a.Created);
  for (const image of images) {
    await d.getImage(image.Id).remove({ force: true }).catch((error: unknown) => {
      // Removed already with a child, or gone: only what stays matters (checked below).
      if (!/No such image|404/.test(messageOf(error))) throw error;
    });
  }
  // The build cache too: a grading's verdict must not depend on what the one before built.
  await d.pruneBuilder().catch(() => undefined);
  const left = (await d.listImages({ all: true })).filter((i) => !kept.baseline.has(i.Id));
  if (left.length > 0) throw new Error(`${left.length} image(s) of the last grading could not be removed`);
  // /tmp: only what a grading added (the names it held at opening are passed as arguments and kept).
  const script = 'find /work /home/dockerlab -mindepth 1 -maxdepth 1 -exec rm -rf -- {} + 2>/dev/null; cd /tmp && for f in * .[!.]* ..?*; do [ -e "$f" ] || [ -L "$f" ] || continue; keep=; for k in "$@"; do [ "$f" = "$k" ] && keep=1; done; [ -n "$keep" ] || rm -rf -- "$f" 2>/dev/null; done; find /work /home/dockerlab -mindepth 1 | head -n 1';
  const wipe = await kept.sandbox.exec(['sh', '-c', script, 'reset', ...kept.tmpBaseline], { timeoutMs: 30_000, maxOutputBytes: 4096 });
  if (wipe.output.trim() !== '') throw new Error(`files of the last grading are left in the sandbox: ${wipe.output.trim()}`);
}
