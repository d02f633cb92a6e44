// Over 300 lines because the journal's file format, its writer (during a build) and its sweeper (after a grader died)
// must agree on that format, so they live together.
import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OutputStep } from './output.js';
import { isNotFound, messageOf, ownerIsDead, processStart, type Runtime, statusCodeOf } from '../engine/index.js';

/**
 * A crash-safe record of a classic build while it runs.
 *
 * The classic builder commits an image per instruction, and the grader's labels
 * reach only the last one: a grader killed with -9 mid-build leaves images that no
 * label names. So, as the output names them, the build appends to a small file in
 * the temp folder what it made (and what it reused, and the docker client's pid).
 * The next grading (or `--cleanup`) reads the journals whose owner is dead and
 * removes those images, then the journal. A build that ends removes its own.
 */

export const JOURNAL_DIR_NAME = 'dockerlab-builds';
const JOURNAL_SUFFIX = '.jsonl';

export function journalDir(tmp: string = os.tmpdir()): string {
  return path.join(tmp, JOURNAL_DIR_NAME);
}

export interface JournalStart {
  runId: string;
  /** `host:boot:pid:start` of the grader that runs the build (labels.ts). */
  owner: string;
  /** The tag the build will give its last image. */
  tag: string;
  /** The engine's id (`docker info`): a journal is only applied to the engine it was written for. */
  engine: string;
  /** ms since the epoch. */
  startedAt: number;
}

/** A journal as read back. Ids as the classic builder prints them (12 hex digits). */
export interface BuildJournalRecord extends JournalStart {
  file: string;
  /** The `docker build` client, which outlives a killed grader until it next writes. */
  client: { pid: number; start: string | null } | null;
  /** In the order the output named them. `made`: committed by this build; otherwise reused (the base, a cached step). */
  images: { id: string; made: boolean }[];
  /** The containers the steps ran in. */
  containers: string[];
  /** ms since the epoch of the last line written. */
  modifiedAt: number;
}

type JournalLine = { start: JournalStart } | { client: { pid: number; start: string | null } } | { image: string; made: boolean } | { container: string };

/** The writing side, held by one build. Best effort: a journal that cannot be written never fails the build. */
export class BuildJournal {
  private constructor(
    readonly file: string,
    private fd: number | null,
  ) {}

  /** Null when the temp folder cannot hold a journal (not writable, or a folder of that name that is not this user's alone). */
  static open(start: JournalStart, dir: string = journalDir()): BuildJournal | null {
    const name = `${start.runId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}${JOURNAL_SUFFIX}`;
    // Another grader may remove the folder (empty) between our mkdir and open: try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        if (!isPrivateFolder(dir)) return null;
        const file = path.join(dir, name);
        const fd = openSync(file, 'wx', 0o600);
        const journal = new BuildJournal(file, fd);
        journal.append({ start });
        return journal;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return null;
      }
    }
    return null;
  }

  recordClient(pid: number): void {
    this.append({ client: { pid, start: processStart(pid) } });
  }

  recordImage(id: string, made: boolean): void {
    this.append({ image: id, made });
  }

  recordContainer(id: string): void {
    this.append({ container: id });
  }

  /** The build is over and what it left is dealt with: nothing for a sweep to do. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    removeJournal(this.file);
  }

  private append(line: JournalLine): void {
    if (this.fd === null) return;
    try {
      // One write per line: a kill leaves at most a partial last line, which the reader skips.
      writeSync(this.fd, `${JSON.stringify(line)}\n`);
    } catch {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

/**
 * Follows a classic build's parsed steps (BuildOutputParser's objects, which it
 * fills in as lines arrive) and records each image and container as soon as the
 * output names it. Call `onStep` for each new step and `update` after each chunk.
 */
export class ClassicStepRecorder {
  private readonly steps: OutputStep[] = [];
  private cursor = 0;
  private readonly images = new Set<string>();
  private readonly containers = new Set<string>();

  constructor(private readonly journal: Pick<BuildJournal, 'recordImage' | 'recordContainer'>) {}

  onStep(step: OutputStep): void {
    this.steps.push(step);
  }

  update(): void {
    for (let i = this.cursor; i < this.steps.length; i++) {
      const step = this.steps[i]!;
      if (step.containerId && !this.containers.has(step.containerId)) {
        this.containers.add(step.containerId);
        this.journal.recordContainer(step.containerId);
      }
      if (step.imageId && !this.images.has(step.imageId)) {
        this.images.add(step.imageId);
        // As the parser counts them: the base and cached steps are not this build's.
        this.journal.recordImage(step.imageId, !step.cached && step.keyword !== 'FROM');
      }
    }
    // Only the last step can still change.
    this.cursor = Math.max(0, this.steps.length - 1);
  }
}

/** Parses a journal's text; a line cut by a kill (or any line that does not parse) is skipped. Null without its start line. */
export function parseJournal(text: string, file: string, modifiedAt: number): BuildJournalRecord | null {
  let record: BuildJournalRecord | null = null;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      continue;
    }
    if (!line || typeof line !== 'object') continue;
    const l = line as Record<string, unknown>;
    if (!record) {
      const start = l.start as Partial<JournalStart> | undefined;
      if (!start || typeof start.runId !== 'string' || typeof start.owner !== 'string' || typeof start.engine !== 'string' || typeof start.startedAt !== 'number') return null;
      record = { file, runId: start.runId, owner: start.owner, tag: typeof start.tag === 'string' ? start.tag : '', engine: start.engine, startedAt: start.startedAt, client: null, images: [], containers: [], modifiedAt };
      continue;
    }
    const client = l.client as { pid?: unknown; start?: unknown } | undefined;
    if (client && Number.isInteger(client.pid) && (client.pid as number) > 0) record.client = { pid: client.pid as number, start: typeof client.start === 'string' ? client.start : null };
    else if (typeof l.image === 'string' && isImageId(l.image)) record.images.push({ id: shortId(l.image), made: l.made === true });
    else if (typeof l.container === 'string' && isImageId(l.container)) record.containers.push(shortId(l.container));
  }
  return record;
}

/** The journals in `dir`, when it is this user's private folder: files of other users are never read. */
export function readJournals(dir: string = journalDir()): BuildJournalRecord[] {
  if (!isPrivateFolder(dir)) return [];
  const records: BuildJournalRecord[] = [];
  for (const entry of readdirSync(dir)) {
    if (!entry.endsWith(JOURNAL_SUFFIX)) continue;
    const file = path.join(dir, entry);
    try {
      const stat = lstatSync(file);
      if (!stat.isFile() || stat.uid !== process.getuid?.()) continue;
      const record = parseJournal(readFileSync(file, 'utf8'), file, stat.mtimeMs);
      if (record) records.push(record);
      // A file with no start line was cut before it began: nothing was built yet.
      else if (Date.now() - stat.mtimeMs > 60_000) removeJournal(file);
    } catch {
      // Gone meanwhile (its build ended).
    }
  }
  return records;
}

/** Image list entries as `listImages({ all: true })` gives them. */
export interface ListedImage {
  Id: string;
  ParentId: string;
  /** Seconds since the epoch. */
  Created: number;
  RepoTags?: string[] | null;
}

/**
 * The images the daemon committed for a dead build after its client was gone
 * (it finishes the step in flight before it notices): untagged images made since
 * the build started that descend from what it made, children first. `fromReused`:
 * children of the last image the output named when that one was reused (the base,
 * a cached step); other builds make children of those too, so the caller keeps
 * only those committed from one of the build's containers.
 */
export function lateCommits(record: BuildJournalRecord, images: ListedImage[], protectedIds: Set<string>): { late: string[]; fromReused: string[] } {
  const fresh = images.filter((i) => i.Created * 1000 >= record.startedAt - 1000 && isUntagged(i.RepoTags));
  const family = new Set(record.images.filter((i) => i.made).map((i) => i.id));
  const late: string[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    for (const image of fresh) {
      const id = shortId(image.Id);
      if (family.has(id) || protectedIds.has(id) || !family.has(shortId(image.ParentId))) continue;
      family.add(id);
      late.push(id);
      grew = true;
    }
  }
  const last = record.images[record.images.length - 1];
  const fromReused: string[] = [];
  if (last && !last.made) {
    for (const image of fresh) {
      const id = shortId(image.Id);
      if (shortId(image.ParentId) === last.id && !family.has(id) && !protectedIds.has(id)) fromReused.push(id);
    }
  }
  return { late: late.reverse(), fromReused };
}

/** What a dead build's journal says to remove, youngest first; never an image a live build's journal names. */
export function removalOrder(record: BuildJournalRecord, late: string[], protectedIds: Set<string>): string[] {
  const made = record.images.filter((i) => i.made).map((i) => i.id).reverse();
  return [...new Set([...late, ...made])].filter((id) => !protectedIds.has(id));
}

/** Splits journals by their owner's state; every image a live one names is protected. */
export function partitionJournals(records: BuildJournalRecord[], isDead: (owner: string) => boolean): { dead: BuildJournalRecord[]; protectedIds: Set<string> } {
  const dead: BuildJournalRecord[] = [];
  const protectedIds = new Set<string>();
  for (const record of records) {
    if (isDead(record.owner)) dead.push(record);
    else for (const image of record.images) protectedIds.add(image.id);
  }
  return { dead, protectedIds };
}

export interface JournalSweep {
  /** Images removed (short ids). */
  images: string[];
  /** Images kept because another image or a container uses them. */
  kept: string[];
  problems: string[];
  /** Journals dealt with and deleted. */
  journals: number;
}

export interface JournalSweepOptions {
  dir?: string;
  isDead?: (owner: string) => boolean;
  /** How long no container of a dead build must exist before its images are looked at. */
  quietMs?: number;
  /** At most this long waiting for that. */
  waitMs?: number;
}

/** A journal of another engine (a sandbox's, gone with it) whose owner is dead is dropped after this. */
const FOREIGN_JOURNAL_TTL_MS = 24 * 60 * 60 * 1000;
/** A build whose journal was written this recently, or whose client still ran, may still be committing. */
const RECENT_MS = 5 * 60 * 1000;

/**
 * Removes the images recorded by builds whose grader died, on this engine: first
 * it ends a dead build's orphaned `docker build` client (the daemon then stops the
 * build), waits until the daemon is done with it, then removes its late commits
 * and what it made, youngest first, each only if no other image or container uses
 * it (`noprune`, never forced), and never one a live build's journal names. Then
 * the journal goes; it stays when the engine could not be asked.
 */
export async function sweepDeadBuildJournals(runtime: Runtime, options: JournalSweepOptions = {}): Promise<JournalSweep> {
  const result: JournalSweep = { images: [], kept: [], problems: [], journals: 0 };
  const dir = options.dir ?? journalDir();
  const { dead, protectedIds } = partitionJournals(readJournals(dir), options.isDead ?? ownerIsDead);
  if (dead.length === 0) return result;
  const engine = await engineIdOf(runtime);
  const here = dead.filter((r) => r.engine === engine);
  for (const record of dead) {
    if (record.engine !== engine && Date.now() - record.modifiedAt > FOREIGN_JOURNAL_TTL_MS) {
      removeJournal(record.file);
      result.journals++;
    }
  }
  if (here.length === 0) return result;
  const clientsEnded = here.map(endOrphanClient).some(Boolean);
  const mayStillCommit = clientsEnded || here.some((r) => Date.now() - r.modifiedAt < RECENT_MS);
  const docker = runtime.docker;
  let images: ListedImage[];
  try {
    images = await untilQuiet(runtime, here, protectedIds, mayStillCommit ? (options.quietMs ?? 1000) : 0, options.waitMs ?? 20_000);
  } catch (error) {
    result.problems.push(`the images of killed builds (journals in ${dir}): ${messageOf(error)}`);
    return result;
  }
  const tags = new Map(images.map((i) => [shortId(i.Id), i.RepoTags ?? []]));
  for (const record of here) {
    const { late, fromReused } = lateCommits(record, images, protectedIds);
    const containers = record.containers;
    for (const id of fromReused) {
      const inspected = await docker.getImage(id).inspect().catch(() => null);
      if (inspected && containers.some((c) => (inspected.Container ?? '').startsWith(c))) late.unshift(id);
    }
    let problems = 0;
    for (const id of removalOrder(record, late, protectedIds)) {
      // A tagged image is a finished build's: its labels name its owner, and the label sweep decides.
      if (!isUntagged(tags.get(id))) {
        result.kept.push(id);
        continue;
      }
      try {
        await docker.getImage(id).remove({ noprune: true });
        result.images.push(id);
      } catch (error) {
        if (isNotFound(error)) continue;
        if (statusCodeOf(error) === 409) {
          result.kept.push(id);
          continue;
        }
        problems++;
        result.problems.push(`image ${id} of a killed build (run ${record.runId}): ${messageOf(error)}`);
      }
    }
    if (problems === 0) {
      removeJournal(record.file);
      result.journals++;
    }
  }
  return result;
}

/**
 * A killed grader's `docker build` client lives on until it next writes to the
 * closed pipe (a quiet RUN can take minutes): it is ended, so the daemon stops the
 * build. Only the process the journal names, started at the time it names.
 */
function endOrphanClient(record: BuildJournalRecord): boolean {
  const client = record.client;
  if (!client || client.start === null || processStart(client.pid) !== client.start) return false;
  for (const target of [-client.pid, client.pid]) {
    try {
      // It was started in a group of its own (build.ts): with BuildKit the plugin is its child.
      process.kill(target, 'SIGKILL');
    } catch {
      // Not a group leader, or gone.
    }
  }
  return true;
}

/** Lists the images once the daemon has had no container of those builds for `quietMs` (or `waitMs` passed). */
async function untilQuiet(runtime: Runtime, records: BuildJournalRecord[], protectedIds: Set<string>, quietMs: number, waitMs: number): Promise<ListedImage[]> {
  const docker = runtime.docker;
  const deadline = Date.now() + waitMs;
  const containers = records.flatMap((r) => r.containers);
  let quietSince: number | null = null;
  for (let delay = 100; ; delay = Math.min(delay * 2, 400)) {
    const [images, running] = await Promise.all([docker.listImages({ all: true }) as Promise<ListedImage[]>, docker.listContainers({ all: true })]);
    if (quietMs <= 0) return images;
    const family = new Set<string>();
    for (const record of records) {
      for (const image of record.images) family.add(image.id);
      for (const id of lateCommits(record, images, protectedIds).late) family.add(id);
    }
    const busy = running.some((c) => family.has(shortId(c.ImageID)) || containers.some((id) => c.Id.startsWith(id)));
    if (busy) quietSince = null;
    else quietSince ??= Date.now();
    if ((quietSince !== null && Date.now() - quietSince >= quietMs) || Date.now() > deadline) return images;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

const engineIds = new WeakMap<Runtime, Promise<string>>();

/** The engine's own id (stable across graders and DOCKER_HOST spellings); its description when it gives none. */
export function engineIdOf(runtime: Runtime): Promise<string> {
  let id = engineIds.get(runtime);
  if (!id) {
    id = runtime.docker.info().then(
      (info: { ID?: string }) => info.ID || runtime.description,
      () => runtime.description,
    );
    engineIds.set(runtime, id);
  }
  return id;
}

export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
const isImageId = (id: string) => /^(?:sha256:)?[0-9a-f]{12,64}$/.test(id);
const isUntagged = (tags: string[] | null | undefined) => !tags || tags.every((t) => t === '<none>:<none>');

/** This user's, not writable by others, not a link: only such a folder's journals are trusted to name images to remove. */
function isPrivateFolder(dir: string): boolean {
  try {
    const stat = lstatSync(dir);
    return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function removeJournal(file: string): void {
  rmSync(file, { force: true });
  try {
    rmdirSync(path.dirname(file));
  } catch {
    // Other builds' journals are there.
  }
}
