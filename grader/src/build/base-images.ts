import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asOneTime } from '../lib/one-time.js';
import { allOrFirstError, Slots } from '../lib/slots.js';
import { fromRoot } from '../paths.js';
import { execa } from 'execa';
import { EngineError, isNotFound, messageOf, type Runtime, STAND_IN_LABEL } from '../engine/index.js';
import { normalizeImageRef, parseImageRef } from '../lib/image-ref.js';

export const STAND_INS_DIR = fromRoot('grader', 'src', 'build', 'stand-ins');

export interface StandIn {
  image: string;
  kind: 'rootfs' | 'dockerfile';
  dir: string;
  aliases: string[];
  /** Other tags of the same repository this stand-in may serve offline (never alpine ones). */
  tagPattern?: string;
}

export type Progress = (line: string) => void;

let catalogCache: StandIn[] | undefined;
export function standInCatalog(): StandIn[] {
  catalogCache ??= JSON.parse(readFileSync(path.join(STAND_INS_DIR, 'catalog.json'), 'utf8')) as StandIn[];
  return catalogCache;
}

/**
 * The Debian-based tag an Alpine tag corresponds to (`nginx:1.27-alpine` → `nginx:1.27`,
 * `python:3.11-alpine3.20` → `python:3.11`, `nginx:alpine` → `nginx:latest`); null for other tags.
 */
/** The repositories the grader can always provide (pulled, or offline stand-ins): `nginx`, `redis`… */
export function knownRepositories(): string[] {
  return [...new Set(standInCatalog().flatMap((s) => [s.image, ...s.aliases]).map((ref) => ref.replace(/:[^:/]*$/, '')))];
}

export function debianEquivalent(ref: string): string | null {
  const r = parseImageRef(ref);
  if (!r.tag || !/(^|-)alpine[\d.]*$/.test(r.tag)) return null;
  const tag = r.tag.replace(/-?alpine[\d.]*$/, '') || 'latest';
  return `${r.repository}:${tag}`;
}

/** The stand-in that may honestly serve `ref` offline: its own tag or one of its aliases. */
export function standInFor(ref: string, catalog: StandIn[] = standInCatalog()): StandIn | undefined {
  const wanted = normalizeImageRef(ref);
  const exact = catalog.find((s) => [s.image, ...s.aliases].some((name) => normalizeImageRef(name) === wanted));
  if (exact) return exact;
  const r = parseImageRef(ref);
  if (r.registry || r.digest || /alpine|windows|nanoserver/.test(r.tag ?? '')) return undefined;
  return catalog.find((s) => s.tagPattern && parseImageRef(s.image).repository === r.repository && new RegExp(s.tagPattern).test(r.tag ?? 'latest'));
}

/** Whether `ref` is one of the base images the grader provides (a stand-in serves it, or its Debian equivalent, offline). */
export function isOwnBaseImage(ref: string): boolean {
  const equivalent = debianEquivalent(ref);
  return !!(standInFor(ref) ?? (equivalent ? standInFor(equivalent) : undefined));
}

/** A stand-in's identity: its folder, the shared files and its parent stand-in. A local copy with another hash is rebuilt. */
const hashes = new Map<string, string>();
export function standInHash(standIn: StandIn): string {
  let hash = hashes.get(standIn.image);
  if (hash) return hash;
  const h = createHash('sha256');
  for (const dir of [standIn.dir, 'common']) {
    const root = path.join(STAND_INS_DIR, dir);
    if (!existsSync(root)) continue;
    for (const file of (readdirSync(root, { recursive: true }) as string[]).sort()) {
      const full = path.join(root, file);
      if (statSync(full).isFile()) h.update(`${dir}/${file}\0`).update(readFileSync(full)).update('\0');
    }
  }
  const parent = standIn.kind === 'dockerfile' ? parentOf(standIn) : undefined;
  const parentStandIn = parent ? standInFor(parent) : undefined;
  if (parentStandIn) h.update(standInHash(parentStandIn));
  hash = h.digest('hex').slice(0, 16);
  hashes.set(standIn.image, hash);
  return hash;
}

function parentOf(standIn: StandIn): string | undefined {
  const from = /^FROM\s+(\S+)/m.exec(readFileSync(path.join(STAND_INS_DIR, standIn.dir, 'Dockerfile'), 'utf8'))?.[1];
  return from && from !== 'scratch' ? from : undefined;
}

/**
 * The base images of one engine: present → nothing; else pulled; when no registry
 * answers, the offline stand-in is built (labelled as such) and tagged. Its state
 * (whether a registry answered, builds in flight) belongs to this engine only.
 */
export class BaseImages {
  private registryUnreachable = false;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Stand-in builds at once: one per core (each is mostly dpkg unpacking), so that independent ones overlap. */
  private readonly builds = new Slots(Math.max(1, Math.min(4, os.availableParallelism())));

  constructor(private readonly runtime: Runtime) {}

  /**
   * Makes sure each image exists on this engine, the missing ones side by side; throws an
   * EngineError saying "is not available" when one cannot be had (the first such, in `refs`' order).
   */
  async ensure(refs: Iterable<string>, progress: Progress = () => undefined): Promise<void> {
    const jobs = [...new Set([...refs].map(normalizeImageRef))].map((ref) => {
      let job = this.inFlight.get(ref);
      if (!job) {
        job = this.ensureOne(ref, progress);
        this.inFlight.set(ref, job);
        job.catch(() => this.inFlight.delete(ref));
      }
      return job;
    });
    await allOrFirstError(jobs);
  }

  /** Every stand-in and alias, for provisioning a machine ahead of time. */
  async ensureAllStandIns(progress: Progress): Promise<void> {
    await this.ensure(standInCatalog().map((s) => s.image), progress);
  }

  /** For an Alpine tag that a Debian-based stand-in serves here (now or in an earlier run): that stand-in's name. */
  async alpineServedBy(ref: string): Promise<string | null> {
    if (!debianEquivalent(ref)) return null;
    try {
      const labels = (await this.runtime.docker.getImage(normalizeImageRef(ref)).inspect()).Config.Labels ?? {};
      return labels[STAND_IN_LABEL] === 'true' ? (labels[`${STAND_IN_LABEL}.for`] ?? 'a stand-in') : null;
    } catch {
      return null;
    }
  }

  private async pull(ref: string, progress: Progress): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (this.registryUnreachable && !parseImageRef(ref).registry) return { ok: false, reason: 'no registry answered earlier in this run' };
    progress(`pulling ${ref}…`);
    const docker = this.runtime.docker;
    try {
      const stream = await docker.pull(normalizeImageRef(ref));
      await new Promise<void>((resolve, reject) => {
        let last = '';
        docker.modem.followProgress(
          stream,
          (error: Error | null) => (error ? reject(error) : resolve()),
          (event: { status?: string; id?: string }) => {
            const line = `${event.id ? `${event.id}: ` : ''}${event.status ?? ''}`;
            if (event.status && line !== last && !/Downloading|Extracting|Waiting/.test(event.status)) progress(`  ${line}`);
            last = line;
          },
        );
      });
      return { ok: true };
    } catch (error) {
      const reason = messageOf(error);
      if (/dial tcp|lookup|no such host|timeout|connection refused|network is unreachable|TLS handshake/i.test(reason)) this.registryUnreachable = true;
      return { ok: false, reason };
    }
  }

  /** The stand-in a local image was built as, when it is one and its recipe has changed since. */
  private async staleStandIn(ref: string): Promise<StandIn | 'absent' | 'current'> {
    let labels: Record<string, string>;
    try {
      labels = (await this.runtime.docker.getImage(normalizeImageRef(ref)).inspect()).Config.Labels ?? {};
    } catch (error) {
      if (isNotFound(error)) return 'absent';
      throw new EngineError(`could not inspect image ${ref}: ${messageOf(error)}`);
    }
    if (labels[STAND_IN_LABEL] !== 'true') return 'current';
    const standIn = standInCatalog().find((s) => s.image === labels[`${STAND_IN_LABEL}.for`]);
    return standIn && labels[`${STAND_IN_LABEL}.hash`] !== standInHash(standIn) ? standIn : 'current';
  }

  private async ensureOne(ref: string, progress: Progress): Promise<void> {
    const local = await this.staleStandIn(ref);
    if (local === 'current') return;
    // The grader's own base images (those it can make offline) are pulled or built once per
    // machine: set-up, which the gradings waiting for them are not charged for. Any other image a
    // submission names is pulled on the grading's own time, so that its deadline still bounds it.
    const provide = () => this.provide(ref, local, progress);
    if (local !== 'absent' || isOwnBaseImage(ref)) await asOneTime(provide);
    else await provide();
  }

  private async provide(ref: string, local: StandIn | 'absent', progress: Progress): Promise<void> {
    if (local !== 'absent') {
      progress(`the offline stand-in ${local.image} is out of date: rebuilding it…`);
      await this.buildStandIn(local, progress, true);
      await this.tag(local.image, ref);
      return;
    }
    const pulled = await this.pull(ref, progress);
    if (pulled.ok) return;
    let standIn = standInFor(ref);
    const equivalent = debianEquivalent(ref);
    if (!standIn && equivalent) {
      // No Alpine mirror is reachable: the Debian-based stand-in keeps the image's interface
      // (paths, users, CMD), but not apk; the report says so.
      standIn = standInFor(equivalent);
    }
    if (!standIn) {
      const offline = standInCatalog().flatMap((s) => [s.image, ...s.aliases]).join(', ');
      throw new EngineError(
        `base image ${ref} is not available: pulling it failed (${pulled.reason}) and there is no offline stand-in for it. ` +
          `Images available without a registry: ${offline}.`,
      );
    }
    progress(`no registry answers: building the offline stand-in for ${standIn.image} from Debian packages…`);
    await this.buildStandIn(standIn, progress);
    await this.tag(standIn.image, ref);
  }

  private async tag(source: string, target: string): Promise<void> {
    if (normalizeImageRef(source) === target) return;
    const t = parseImageRef(target);
    const repo = (t.registry ? `${t.registry}/` : '') + t.repository;
    await this.runtime.docker.getImage(normalizeImageRef(source)).tag({ repo, tag: t.tag ?? 'latest' });
  }

  private async buildStandIn(standIn: StandIn, progress: Progress, rebuild = false): Promise<void> {
    if (!rebuild && (await this.staleStandIn(standIn.image)) === 'current') return;
    const dir = path.join(STAND_INS_DIR, standIn.dir);
    const started = Date.now();
    const hash = standInHash(standIn);
    if (standIn.kind === 'rootfs') {
      await this.builds.run(() => this.importRootfs(standIn, dir, hash, progress));
    } else {
      const parent = parentOf(standIn);
      if (parent) await this.ensure([parent], progress);
      // The build context is the stand-in's folder plus the files all stand-ins share (common/).
      const context = mkdtempSync(path.join(os.tmpdir(), 'dockerlab-stand-in-'));
      try {
        cpSync(dir, context, { recursive: true });
        cpSync(path.join(STAND_INS_DIR, 'common'), path.join(context, 'common'), { recursive: true });
        const labels = [`${STAND_IN_LABEL}=true`, `${STAND_IN_LABEL}.for=${standIn.image}`, `${STAND_IN_LABEL}.hash=${hash}`];
        const result = await this.builds.run(() => execa('docker', ['build', '-q', '-t', standIn.image, ...labels.flatMap((l) => ['--label', l]), context], {
          env: { ...this.runtime.cliEnv, DOCKER_BUILDKIT: '0' },
          extendEnv: false,
          reject: false,
          all: true,
          timeout: 15 * 60_000,
        }));
        if (result.exitCode !== 0) throw new EngineError(`building the stand-in ${standIn.image} failed:\n${tail(result.all ?? '')}`);
      } finally {
        rmSync(context, { recursive: true, force: true });
      }
    }
    // Aliases follow the stand-in, unless they name a real image pulled from a registry.
    for (const alias of standIn.aliases) {
      if ((await this.staleStandIn(alias)) !== 'current') await this.tag(standIn.image, normalizeImageRef(alias));
    }
    progress(`stand-in ${standIn.image} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  private async importRootfs(standIn: StandIn, dir: string, hash: string, progress: Progress): Promise<void> {
    if (process.getuid?.() !== 0) {
      throw new EngineError(`${standIn.image} cannot be pulled and its offline stand-in needs debootstrap as root; run \`npm run provision\` as root once.`);
    }
    const rootfs = mkdtempSync(path.join(os.tmpdir(), 'dockerlab-rootfs-'));
    try {
      progress(`debootstrap of ${standIn.image} (about 30 s)…`);
      const made = await execa('bash', [path.join(dir, 'make-rootfs.sh'), rootfs], { reject: false, all: true, timeout: 15 * 60_000 });
      if (made.exitCode !== 0) throw new EngineError(`making the ${standIn.image} root filesystem failed:\n${tail(made.all ?? '')}`);
      const imported = await execa(
        'bash',
        ['-c', 'set -o pipefail; tar -C "$1" -c . | docker import --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" --change \'CMD ["bash"]\' --change "LABEL $2=true" --change "LABEL $2.for=$3" --change "LABEL $2.hash=$4" - "$3"', 'import', rootfs, STAND_IN_LABEL, standIn.image, hash],
        { env: this.runtime.cliEnv, extendEnv: false, reject: false, all: true, timeout: 10 * 60_000 },
      );
      if (imported.exitCode !== 0) throw new EngineError(`importing ${standIn.image} failed:\n${tail(imported.all ?? '')}`);
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  }
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
