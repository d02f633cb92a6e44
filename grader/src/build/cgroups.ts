// Over 300 lines because four layouts of one concept (cgroup v1/v2 × cgroupfs/systemd) and the planner choosing
// between them; split by layout, the planner would have to know every file.
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, watch, writeSync, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Runtime } from '../engine/index.js';

/**
 * The cgroup side of build limits: where an engine puts a build's RUN steps,
 * which files limit them, and what the grader writes there, for cgroup v1 and
 * v2 with the cgroupfs or the systemd driver.
 *
 * Everything takes a tree (a root directory, /sys/fs/cgroup by default) so that
 * it runs against fake v1 and v2 trees in a temporary folder as well as against
 * the kernel's (tests/unit/build/cgroups.test.ts).
 *
 * What is applied where (the README's "Verified combinations" says which of
 * these ran on a real engine):
 *
 * | builder  | driver   | memory + swap, CPU                  | processes                                   |
 * |----------|----------|-------------------------------------|---------------------------------------------|
 * | classic  | any      | `docker build` flags (the engine)   | cgroupfs: a parent cgroup with pids.max      |
 * |          |          |                                     | systemd: **not applied** (see below)         |
 * | BuildKit | cgroupfs | written into each RUN step's cgroup `docker/buildkit/<id>` as the engine makes it  ||
 * | BuildKit | systemd  | written into each RUN step's scope `system.slice/docker-<id>.scope` (best effort)  ||
 *
 * Nothing is applied (and the notes say why) for a remote engine, Docker
 * Desktop, an engine whose cgroup tree is not this machine's, a grader that is
 * not root, or an engine without cgroups (driver `none`). BuildKit ignores
 * `docker build`'s --memory/--cpu-* flags, so there it has no limit but time.
 *
 * With the systemd driver every cgroup is systemd's: a parent for the classic
 * builder would have to be a slice that systemd creates (and resets: it
 * rewrites pids.max when it realises the slice), so the grader makes none; the
 * scopes of BuildKit's RUN steps are written into after systemd made them,
 * which holds until systemd re-applies its own settings (a daemon-reload or a
 * set-property during the build).
 */

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';
export const CPU_PERIOD_US = 100_000;
/** Parent cgroups of classic builds: dockerlab-build-<grader pid>-<tag>. */
export const CLASSIC_PARENT_PREFIX = 'dockerlab-build-';
/** The engine removes a build's container cgroups a little after the build ends; a parent can go only then. */
const REMOVE_RETRY_MS = 250;
const REMOVE_TRIES = 120;

/** What cgroupfs does that a plain directory does not: tests pass an emulation of it. */
export interface CgroupOps {
  /** Makes a cgroup (and its parents); on cgroupfs the kernel fills in its interface files. */
  mkdir(dir: string): void;
  /** Removes a cgroup; on cgroupfs EBUSY while it has child cgroups (its interface files do not count). */
  rmdir(dir: string): void;
}

export const KERNEL_OPS: CgroupOps = {
  mkdir: (dir) => mkdirSync(dir, { recursive: true }),
  rmdir: (dir) => rmdirSync(dir),
};

export interface CgroupTree {
  root: string;
  ops: CgroupOps;
}

export function cgroupTree(root = DEFAULT_CGROUP_ROOT, ops: CgroupOps = KERNEL_OPS): CgroupTree {
  return { root, ops };
}

export type CgroupVersion = 1 | 2;
export type CgroupDriver = 'cgroupfs' | 'systemd';

/** A local engine's cgroups, in a tree the grader can write. */
export interface CgroupLayout extends CgroupTree {
  version: CgroupVersion;
  driver: CgroupDriver;
}

/** The fields of `docker info` this reads. */
export interface EngineCgroupInfo {
  CgroupVersion?: string;
  CgroupDriver?: string;
  OperatingSystem?: string;
}

export interface GraderHost {
  /** The grader's uid (process.getuid()); undefined off POSIX. */
  uid: number | undefined;
  /** The engine's address (DOCKER_HOST), undefined for the default local socket. */
  dockerHost: string | undefined;
}

export type LayoutDetection = { layout: CgroupLayout; reason?: undefined } | { layout: null; reason: string };

/** Which cgroup version a tree is: v2 has cgroup.controllers at its root, v1 a directory per controller. */
export function treeVersion(root: string): CgroupVersion | null {
  if (existsSync(path.join(root, 'cgroup.controllers'))) return 2;
  if (['pids', 'memory', 'cpu'].some((c) => existsSync(path.join(root, c, 'cgroup.procs')))) return 1;
  return null;
}

/**
 * Whether the grader can limit this engine's builds through cgroups, and how
 * they are laid out: from `docker info` (CgroupVersion, absent before Docker
 * 20.10, which knows v1 only; CgroupDriver) checked against this machine's tree.
 */
export function detectCgroupLayout(info: EngineCgroupInfo | null, host: GraderHost, tree: CgroupTree = cgroupTree()): LayoutDetection {
  const no = (reason: string): LayoutDetection => ({ layout: null, reason });
  if (host.dockerHost && !host.dockerHost.startsWith('unix://')) return no(`the engine is not on this machine (${host.dockerHost}): its cgroups are out of the grader's reach`);
  if (info === null) return no('`docker info` did not answer, so the engine\'s cgroup layout is unknown');
  if (/Docker Desktop/i.test(info.OperatingSystem ?? '')) return no("the engine is Docker Desktop: its cgroups are in Docker Desktop's VM");
  if (host.uid !== 0) return no('the grader does not run as root, and only root may write cgroup files');
  const driver = info.CgroupDriver;
  if (driver !== 'cgroupfs' && driver !== 'systemd') {
    return no(driver === 'none' ? 'the engine runs without cgroups (cgroup driver "none", e.g. rootless on cgroup v1)' : `the engine's cgroup driver "${driver ?? '?'}" is not one the grader knows`);
  }
  const reported = info.CgroupVersion ?? '1';
  if (reported !== '1' && reported !== '2') return no(`the engine reports cgroup version "${reported}"`);
  const version: CgroupVersion = reported === '2' ? 2 : 1;
  const local = treeVersion(tree.root);
  if (local === null) return no(`${tree.root} holds no cgroup tree`);
  if (local !== version) return no(`the engine reports cgroup v${version} but ${tree.root} is a cgroup v${local} tree: the engine's cgroups are not this machine's`);
  return { layout: { ...tree, version, driver } };
}

/** detectCgroupLayout for a runtime's engine. */
export async function detectEngineCgroups(runtime: Runtime, uid: number | undefined = process.getuid?.(), tree: CgroupTree = cgroupTree()): Promise<LayoutDetection> {
  let info: EngineCgroupInfo | null;
  try {
    info = (await runtime.docker.info()) as EngineCgroupInfo;
  } catch {
    info = null;
  }
  return detectCgroupLayout(info, { uid, dockerHost: runtime.cliEnv.DOCKER_HOST }, tree);
}

export interface BuildLimitValues {
  memoryMiB: number;
  cpus: number;
  pids: number;
}

export type LimitKind = 'memory' | 'swap' | 'cpu' | 'pids';
const ALL_KINDS: LimitKind[] = ['memory', 'swap', 'cpu', 'pids'];

/** One file of one controller; `controller` is '' on v2 (one directory holds every controller's files). */
export interface LimitSetting {
  controller: string;
  file: string;
  value: string;
  kind: LimitKind;
}

/** The files that limit one RUN step's cgroup, in the order they must be written. */
export function stepLimitSettings(version: CgroupVersion, limits: BuildLimitValues): LimitSetting[] {
  const bytes = String(limits.memoryMiB * 1024 * 1024);
  const quota = String(Math.round(limits.cpus * CPU_PERIOD_US));
  if (version === 1) {
    return [
      { controller: 'pids', file: 'pids.max', value: String(limits.pids), kind: 'pids' },
      // memsw (memory + swap) may not go below the memory limit: the memory limit first.
      { controller: 'memory', file: 'memory.limit_in_bytes', value: bytes, kind: 'memory' },
      { controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: bytes, kind: 'swap' },
      { controller: 'cpu', file: 'cpu.cfs_period_us', value: String(CPU_PERIOD_US), kind: 'cpu' },
      { controller: 'cpu', file: 'cpu.cfs_quota_us', value: quota, kind: 'cpu' },
    ];
  }
  return [
    { controller: '', file: 'pids.max', value: String(limits.pids), kind: 'pids' },
    { controller: '', file: 'memory.max', value: bytes, kind: 'memory' },
    // v2 counts swap apart from memory: no swap is what v1's memsw = memory said.
    { controller: '', file: 'memory.swap.max', value: '0', kind: 'swap' },
    { controller: '', file: 'cpu.max', value: `${quota} ${CPU_PERIOD_US}`, kind: 'cpu' },
  ];
}

/** A directory where the engine makes cgroups, and what to write into each new one it accepts. */
export interface CgroupWatch {
  dir: string;
  settings: LimitSetting[];
  /** Names of the children that are the build's cgroups. */
  accepts: (name: string) => boolean;
  /** Make `dir` when it is missing (the engine makes it at its first BuildKit RUN): never for systemd's directories. */
  create: boolean;
}

/** BuildKit's RUN step ids: 25 or so lower-case base-36 characters (a container's id has 64 hex digits). */
const BUILDKIT_SCOPE = /^docker-[0-9a-z]{20,40}\.scope$/;

/**
 * Where the engine's BuildKit makes a RUN step's cgroup (moby's builder-next
 * gives its executor the parent "docker", or "system.slice:docker:" with
 * systemd; BuildKit then uses /docker/buildkit/<id>, or the systemd scope
 * docker-<id>.scope in system.slice), and what goes into it.
 */
export function buildKitStepWatches(layout: CgroupLayout, limits: BuildLimitValues): CgroupWatch[] {
  const settings = stepLimitSettings(layout.version, limits);
  const controllers = [...new Set(settings.map((s) => s.controller))];
  return controllers.map((controller) => {
    const own = settings.filter((s) => s.controller === controller);
    const base = path.join(layout.root, controller);
    return layout.driver === 'cgroupfs'
      ? { dir: path.join(base, 'docker', 'buildkit'), settings: own, accepts: (name: string) => !name.includes('.'), create: true }
      : { dir: path.join(base, 'system.slice'), settings: own, accepts: (name: string) => BUILDKIT_SCOPE.test(name), create: false };
  });
}

/** Writes an existing cgroup file (never creates one: a kernel without it says ENOENT). */
export function writeCgroupFile(file: string, value: string): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_TRUNC);
  try {
    writeSync(fd, value);
  } finally {
    closeSync(fd);
  }
}

export interface WatchObservation {
  /** New cgroups seen (a v1 step counts once, whatever the number of its controllers). */
  cgroups: number;
  /** Limits written into at least one of them. */
  applied: LimitKind[];
  /** Limits no cgroup seen could take (no such file: a controller not enabled, swap accounting off…). */
  failed: LimitKind[];
}

export interface CgroupWatcher {
  /** Directories that could not be watched, and why: those limits are not applied. */
  unwatched: { dir: string; kinds: LimitKind[]; reason: string }[];
  /** Stops watching; says what was done. */
  release(): WatchObservation;
}

/** Writes each watch's settings into every cgroup made in its directory (inotify, within milliseconds) until released. */
export function limitNewCgroups(watches: CgroupWatch[], tree: CgroupTree): CgroupWatcher {
  const watchers: FSWatcher[] = [];
  const unwatched: CgroupWatcher['unwatched'] = [];
  const seen = new Set<string>();
  const names = new Set<string>();
  const written = new Map<LimitKind, number>();
  const refused = new Map<LimitKind, number>();
  const count = (map: Map<LimitKind, number>, kind: LimitKind) => map.set(kind, (map.get(kind) ?? 0) + 1);
  for (const w of watches) {
    const kinds = ALL_KINDS.filter((k) => w.settings.some((s) => s.kind === k));
    try {
      if (!existsSync(w.dir)) {
        if (!w.create) throw new Error(`${w.dir} does not exist`);
        // Only below a cgroup: where a hierarchy is not mounted, a folder of that name would limit nothing.
        let ancestor = path.dirname(w.dir);
        while (!existsSync(ancestor) && ancestor !== path.dirname(ancestor)) ancestor = path.dirname(ancestor);
        if (!existsSync(path.join(ancestor, 'cgroup.procs'))) throw new Error(`${ancestor} is not a cgroup (no such controller here)`);
        tree.ops.mkdir(w.dir);
      }
      const before = new Set(readdirSync(w.dir));
      watchers.push(
        watch(w.dir, (_event, name) => {
          if (!name || before.has(name) || !w.accepts(name) || seen.has(`${w.dir}\0${name}`)) return;
          seen.add(`${w.dir}\0${name}`);
          names.add(name);
          for (const s of w.settings) {
            try {
              writeCgroupFile(path.join(w.dir, name, s.file), s.value);
              count(written, s.kind);
            } catch {
              // Gone already, or this kernel has no such file here.
              count(refused, s.kind);
            }
          }
        }),
      );
    } catch (error) {
      unwatched.push({ dir: w.dir, kinds, reason: (error as Error).message });
    }
  }
  return {
    unwatched,
    release() {
      for (const watcher of watchers) watcher.close();
      return {
        cgroups: names.size,
        applied: ALL_KINDS.filter((k) => written.has(k)),
        failed: ALL_KINDS.filter((k) => refused.has(k) && !written.has(k)),
      };
    },
  };
}

/** The classic builder's parent cgroup for one build of one grader. */
export function classicParentName(pid: number, tag: string): string {
  return `${CLASSIC_PARENT_PREFIX}${pid}-${tag.replace(/[^A-Za-z0-9_.-]/g, '-')}`;
}

/** Where parents of classic builds go: the pids hierarchy on v1, the root on v2. */
function classicParentBase(layout: CgroupLayout): string {
  return layout.version === 1 ? path.join(layout.root, 'pids') : layout.root;
}

function readWords(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

export interface ClassicParent {
  /** For `docker build --cgroup-parent` (cgroupfs: a path from the hierarchy's root). */
  cgroupParent: string;
  dir: string;
  /** Stops watching and removes the parent once the engine has removed the steps' cgroups; returns how many step cgroups were made in it. */
  release(): number;
}

/**
 * A parent cgroup with pids.max for a classic build's RUN containers
 * (`docker build` has no --pids-limit). cgroupfs only: with systemd the parent
 * would be a slice, which systemd owns (see the top of this file).
 */
export function classicPidsParent(layout: CgroupLayout, name: string, pids: number, isAlive: (pid: number) => boolean = processIsAlive): ClassicParent | { reason: string } {
  if (layout.driver === 'systemd') return { reason: 'with the systemd cgroup driver a parent cgroup would be a systemd slice, which systemd creates and resets: `docker build` has no --pids-limit' };
  const base = classicParentBase(layout);
  if (!existsSync(base)) return { reason: `this machine has no pids controller (${base})` };
  if (layout.version === 2) {
    // A child of the root has pids.max only when the root delegates the pids controller to its children.
    const control = path.join(base, 'cgroup.subtree_control');
    if (!readWords(control).includes('pids')) {
      if (!readWords(path.join(base, 'cgroup.controllers')).includes('pids')) return { reason: `the pids controller is not available in ${base} (cgroup.controllers)` };
      try {
        writeCgroupFile(control, '+pids');
      } catch (error) {
        return { reason: `the pids controller could not be enabled in ${control}: ${(error as Error).message}` };
      }
    }
  }
  removeOrphanClassicParents(layout, isAlive);
  const dir = path.join(base, name);
  try {
    layout.ops.mkdir(dir);
  } catch (error) {
    return { reason: `could not make ${dir}: ${(error as Error).message}` };
  }
  try {
    writeCgroupFile(path.join(dir, 'pids.max'), String(pids));
  } catch (error) {
    removeWhenEmpty(dir, layout.ops);
    return { reason: `could not write ${path.join(dir, 'pids.max')}: ${(error as Error).message}` };
  }
  const made = new Set<string>();
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, (_event, child) => {
      if (child && !child.includes('.') && existsSync(path.join(dir, child))) made.add(child);
    });
  } catch {
    // Then the count says 0: the limit is set all the same.
  }
  return {
    cgroupParent: `/${name}`,
    dir,
    release() {
      watcher?.close();
      removeWhenEmpty(dir, layout.ops);
      return made.size;
    },
  };
}

/** Removes a cgroup once it is empty: the engine removes its children a little after they end. */
export function removeWhenEmpty(dir: string, ops: CgroupOps, triesLeft = REMOVE_TRIES): void {
  try {
    ops.rmdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || triesLeft <= 0) return;
    setTimeout(() => removeWhenEmpty(dir, ops, triesLeft - 1), REMOVE_RETRY_MS).unref();
  }
}

/** Parents of classic builds left by graders that died before they could remove them; returns those removed. */
export function removeOrphanClassicParents(layout: CgroupLayout, isAlive: (pid: number) => boolean = processIsAlive): string[] {
  const base = classicParentBase(layout);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return removed;
  }
  const owner = new RegExp(`^${CLASSIC_PARENT_PREFIX}(\\d+)-`);
  for (const name of names) {
    const pid = owner.exec(name)?.[1];
    if (!pid || isAlive(Number(pid))) continue;
    try {
      layout.ops.rmdir(path.join(base, name));
      removed.push(name);
    } catch {
      // Still holds a container's cgroup: a later build will try again.
    }
  }
  return removed;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface BuildLimitPlan {
  /** Extra `docker build` arguments. */
  args: string[];
  /** What is limited and how, and what is not and why (progress lines). */
  notes: string[];
  /** After the build: stops watching, removes what the grader made, and says what was applied. */
  release(): string[];
}

const NAMES: Record<LimitKind, string> = { memory: 'memory', swap: 'swap', cpu: 'CPU', pids: 'processes' };
const listOf = (kinds: LimitKind[]) => kinds.map((k) => NAMES[k]).join(', ');

/** "memory 700 MiB without swap, 0.5 CPU, 64 processes", for the kinds given. */
function valuesOf(kinds: LimitKind[], limits: BuildLimitValues): string {
  const parts: string[] = [];
  if (kinds.includes('memory')) parts.push(`memory ${limits.memoryMiB} MiB${kinds.includes('swap') ? ' without swap' : ''}`);
  if (kinds.includes('cpu')) parts.push(`${limits.cpus} CPU`);
  if (kinds.includes('pids')) parts.push(`${limits.pids} processes`);
  return parts.join(', ');
}

function layoutName(layout: CgroupLayout): string {
  return `cgroup v${layout.version}, ${layout.driver} driver`;
}

/**
 * The limits of one build's RUN steps, and the lines that say which are applied
 * and which are not (never a limit the engine was not given).
 */
export function planBuildLimits(options: { builder: 'classic' | 'buildkit'; detection: LayoutDetection; limits: BuildLimitValues; parentName: string; isAlive?: (pid: number) => boolean }): BuildLimitPlan {
  const { builder, detection, limits } = options;
  const memory = `${limits.memoryMiB}m`;
  const quota = String(Math.round(limits.cpus * CPU_PERIOD_US));
  if (builder === 'classic') {
    const args = ['--memory', memory, '--memory-swap', memory, '--cpu-period', String(CPU_PERIOD_US), '--cpu-quota', quota];
    const flags = `build limits (classic builder): memory ${limits.memoryMiB} MiB without swap and ${limits.cpus} CPU through docker build's flags`;
    const parent = detection.layout ? classicPidsParent(detection.layout, options.parentName, limits.pids, options.isAlive) : { reason: detection.reason };
    if ('reason' in parent) return { args, notes: [`${flags}; no process limit: ${parent.reason}`], release: () => [] };
    return {
      args: [...args, '--cgroup-parent', parent.cgroupParent],
      notes: [`${flags}, ${limits.pids} processes through the parent cgroup ${parent.dir} (${layoutName(detection.layout!)})`],
      release() {
        const steps = parent.release();
        return [steps > 0 ? `process limit: ${steps} RUN step container${steps === 1 ? '' : 's'} ran in ${parent.dir}` : `process limit: no RUN step container appeared in ${parent.dir} (no RUN step ran, or the engine's cgroups are not this machine's): it was not applied`];
      },
    };
  }
  // BuildKit takes none of --memory, --cpu-*, --cgroup-parent (on Docker 20.10), --ulimit: the grader writes the limits itself.
  if (!detection.layout) return { args: [], notes: [`no memory, CPU or process limit for BuildKit's RUN steps (only the time limit): ${detection.reason}`], release: () => [] };
  const layout = detection.layout;
  const watches = buildKitStepWatches(layout, limits);
  const watcher = limitNewCgroups(watches, layout);
  const unwatched = new Set(watcher.unwatched.map((u) => u.dir));
  const dirs = watches.map((w) => w.dir).filter((d) => !unwatched.has(d));
  const kinds = ALL_KINDS.filter((k) => watches.some((w) => !unwatched.has(w.dir) && w.settings.some((s) => s.kind === k)));
  const notes: string[] = [];
  if (dirs.length === 0) notes.push(`no memory, CPU or process limit for BuildKit's RUN steps (only the time limit): ${watcher.unwatched.map((u) => u.reason).join('; ')}`);
  else {
    notes.push(
      `build limits (BuildKit, ${layoutName(layout)}): ${valuesOf(kinds, limits)}, written by the grader into each RUN step's cgroup under ${dirs.join(', ')} as the engine makes it (every BuildKit RUN on this engine during the build gets them)` +
        (layout.driver === 'systemd' ? '; systemd owns those scopes, and re-applies its own settings on a reload' : ''),
    );
    for (const u of watcher.unwatched) notes.push(`build limits not applied: ${listOf(u.kinds)}: ${u.reason}`);
  }
  return {
    args: [],
    notes,
    release() {
      const seen = watcher.release();
      if (dirs.length === 0) return [];
      if (seen.cgroups === 0) return [`build limits: no RUN step cgroup appeared under ${dirs.join(', ')} during the build (no RUN step ran, or the engine's cgroups are not this machine's): none was applied`];
      const n = `${seen.cgroups} RUN step cgroup${seen.cgroups === 1 ? '' : 's'}`;
      return [`build limits written into ${n}: ${listOf(seen.applied) || 'none'}` + (seen.failed.length > 0 ? `; not applied (no such file there): ${listOf(seen.failed)}` : '')];
    },
  };
}
