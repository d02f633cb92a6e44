import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CLASSIC_PARENT_PREFIX,
  classicParentName,
  detectCgroupLayout,
  planBuildLimits as makePlan,
  removeOrphanClassicParents,
  writeCgroupFile,
  type BuildLimitPlan,
  type CgroupLayout,
  type CgroupOps,
  type CgroupVersion,
  type CgroupDriver,
  type EngineCgroupInfo,
} from '../../../grader/src/build/cgroups.js';

/**
 * The cgroup logic of build limits against fake cgroup v1 and v2 trees in a
 * temporary folder. What cgroupfs does that a folder does not is emulated by
 * FakeKernel: mkdir fills in a cgroup's interface files (v1: its hierarchy's;
 * v2: those of the controllers its parent's cgroup.subtree_control enables),
 * atomically, as the kernel does; rmdir says EBUSY while child cgroups exist.
 */
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cgroups-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let trees = 0;
// Every plan is released after its test, passed or not: a watcher left open would keep jest running.
const plans: BuildLimitPlan[] = [];
const planBuildLimits = (options: Parameters<typeof makePlan>[0]): BuildLimitPlan => {
  const plan = makePlan(options);
  plans.push(plan);
  return plan;
};
afterEach(() => {
  for (const plan of plans.splice(0)) plan.release();
});

const V1_FILES: Record<string, Record<string, string>> = {
  pids: { 'pids.max': 'max\n', 'pids.current': '0\n' },
  memory: { 'memory.limit_in_bytes': '9223372036854771712\n', 'memory.memsw.limit_in_bytes': '9223372036854771712\n', 'memory.max_usage_in_bytes': '0\n' },
  cpu: { 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_quota_us': '-1\n' },
};
const V2_FILES: Record<string, Record<string, string>> = {
  pids: { 'pids.max': 'max\n', 'pids.current': '0\n' },
  memory: { 'memory.max': 'max\n', 'memory.swap.max': 'max\n', 'memory.current': '0\n' },
  cpu: { 'cpu.max': 'max 100000\n', 'cpu.weight': '100\n' },
};

class FakeKernel implements CgroupOps {
  readonly root: string;
  private staged = 0;

  constructor(readonly version: CgroupVersion, private readonly options: { swapAccounting?: boolean; rootControllers?: string[]; rootSubtree?: string[] } = {}) {
    this.root = path.join(tmp, `tree${++trees}`, 'sys', 'fs', 'cgroup');
    mkdirSync(this.root, { recursive: true });
    if (version === 1) {
      for (const controller of Object.keys(V1_FILES)) this.fill(path.join(this.root, controller), controller);
      mkdirSync(path.join(this.root, 'systemd'));
    } else {
      const controllers = options.rootControllers ?? ['cpuset', 'cpu', 'io', 'memory', 'pids'];
      writeFileSync(path.join(this.root, 'cgroup.controllers'), `${controllers.join(' ')}\n`);
      writeFileSync(path.join(this.root, 'cgroup.subtree_control'), `${(options.rootSubtree ?? controllers).join(' ')}\n`);
      writeFileSync(path.join(this.root, 'cgroup.procs'), '1\n');
    }
  }

  /** A cgroup, made as the kernel makes one: with its files, all at once (what inotify reports is complete). */
  mkdir(dir: string): void {
    if (existsSync(dir)) return;
    if (!existsSync(path.dirname(dir))) this.mkdir(path.dirname(dir));
    const staging = path.join(this.root, '..', `.staging-${++this.staged}`);
    mkdirSync(staging);
    if (this.version === 1) {
      const controller = path.relative(this.root, dir).split(path.sep)[0]!;
      this.fill(staging, controller);
    } else {
      const enabled = this.words(path.join(path.dirname(dir), 'cgroup.subtree_control'));
      writeFileSync(path.join(staging, 'cgroup.controllers'), `${enabled.join(' ')}\n`);
      writeFileSync(path.join(staging, 'cgroup.subtree_control'), '\n');
      writeFileSync(path.join(staging, 'cgroup.procs'), '');
      for (const controller of enabled) this.v2Files(staging, controller);
    }
    renameSync(staging, dir);
  }

  rmdir(dir: string): void {
    if (readdirSync(dir).some((name) => statSync(path.join(dir, name)).isDirectory())) throw Object.assign(new Error(`EBUSY: ${dir}`), { code: 'EBUSY' });
    rmSync(dir, { recursive: true });
  }

  /** What the engine (runc) does for a step: on v2 it first enables every controller in each cgroup along the path. */
  engineMakes(dir: string): void {
    if (this.version === 2) {
      const all = this.words(path.join(this.root, 'cgroup.controllers'));
      const chain: string[] = [];
      for (let d = path.dirname(dir); d !== this.root; d = path.dirname(d)) chain.unshift(d);
      for (const d of [this.root, ...chain]) {
        if (!existsSync(d)) this.mkdir(d);
        this.enable(d, all);
      }
    }
    this.mkdir(dir);
  }

  /** v2: controllers enabled in a cgroup's subtree_control give its children their files. */
  private enable(dir: string, controllers: string[]): void {
    writeFileSync(path.join(dir, 'cgroup.subtree_control'), `${controllers.join(' ')}\n`);
    for (const child of readdirSync(dir).filter((n) => statSync(path.join(dir, n)).isDirectory())) {
      writeFileSync(path.join(dir, child, 'cgroup.controllers'), `${controllers.join(' ')}\n`);
      for (const controller of controllers) this.v2Files(path.join(dir, child), controller);
    }
  }

  private v2Files(dir: string, controller: string): void {
    for (const [file, value] of Object.entries(V2_FILES[controller] ?? {})) {
      if (file === 'memory.swap.max' && this.options.swapAccounting === false) continue;
      if (!existsSync(path.join(dir, file))) writeFileSync(path.join(dir, file), value);
    }
  }

  private fill(dir: string, controller: string): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'cgroup.procs'), '');
    for (const [file, value] of Object.entries(V1_FILES[controller] ?? {})) {
      if (file === 'memory.memsw.limit_in_bytes' && this.options.swapAccounting === false) continue;
      writeFileSync(path.join(dir, file), value);
    }
  }

  /** The controllers a cgroup.subtree_control enables (a write of "+pids" is read as "pids"). */
  private words(file: string): string[] {
    return existsSync(file) ? readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map((w) => w.replace(/^\+/, '')) : [];
  }
}

function layoutOf(kernel: FakeKernel, driver: CgroupDriver): CgroupLayout {
  const info: EngineCgroupInfo = { CgroupVersion: String(kernel.version), CgroupDriver: driver };
  const detection = detectCgroupLayout(info, { uid: 0, dockerHost: undefined }, { root: kernel.root, ops: kernel });
  if (!detection.layout) throw new Error(`no layout: ${detection.reason}`);
  return detection.layout;
}

const read = (file: string) => readFileSync(file, 'utf8');

async function until(what: string, condition: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const LIMITS = { memoryMiB: 700, cpus: 0.5, pids: 64 };
const BYTES = String(700 * 1024 * 1024);
// BuildKit's step ids (25 base-36 characters, as seen on Docker 20.10 here) and a container's (64 hex digits).
const STEP = 'o4o3j73lmsnmfotppbglet32t';
const STEP2 = 'k2d9x0qzv7m1c8b3n6l4p5r0s';
const CONTAINER = 'a'.repeat(40) + '0123456789abcdef01234567';

describe('detecting the engine\'s cgroup layout from docker info and the local tree', () => {
  const v1 = new FakeKernel(1);
  const v2 = new FakeKernel(2);
  const host = { uid: 0, dockerHost: undefined };
  const tree = (k: FakeKernel) => ({ root: k.root, ops: k });

  it('names the version and the driver of a local engine whose tree this is', () => {
    expect(detectCgroupLayout({ CgroupVersion: '1', CgroupDriver: 'cgroupfs' }, host, tree(v1)).layout).toMatchObject({ version: 1, driver: 'cgroupfs', root: v1.root });
    expect(detectCgroupLayout({ CgroupVersion: '2', CgroupDriver: 'systemd' }, host, tree(v2)).layout).toMatchObject({ version: 2, driver: 'systemd' });
    expect(detectCgroupLayout({ CgroupVersion: '2', CgroupDriver: 'cgroupfs' }, { uid: 0, dockerHost: 'unix:///run/docker.sock' }, tree(v2)).layout).toMatchObject({ version: 2, driver: 'cgroupfs' });
    // Engines before 20.10 have no CgroupVersion: they know v1 only.
    expect(detectCgroupLayout({ CgroupDriver: 'cgroupfs' }, host, tree(v1)).layout).toMatchObject({ version: 1 });
  });

  it.each([
    ['an engine that says v2 on a v1 tree (its cgroups are elsewhere: a VM, another container)', { CgroupVersion: '2', CgroupDriver: 'cgroupfs' }, host, 'v1', /reports cgroup v2 but .* is a cgroup v1 tree/],
    ['an engine that says v1 on a v2 tree', { CgroupVersion: '1', CgroupDriver: 'cgroupfs' }, host, 'v2', /reports cgroup v1 but .* is a cgroup v2 tree/],
    ['Docker Desktop', { CgroupVersion: '2', CgroupDriver: 'cgroupfs', OperatingSystem: 'Docker Desktop' }, host, 'v2', /Docker Desktop's VM/],
    ['a remote engine', { CgroupVersion: '2', CgroupDriver: 'systemd' }, { uid: 0, dockerHost: 'tcp://10.0.0.5:2375' }, 'v2', /not on this machine \(tcp:\/\/10\.0\.0\.5:2375\)/],
    ['a grader that is not root', { CgroupVersion: '2', CgroupDriver: 'systemd' }, { uid: 1001, dockerHost: undefined }, 'v2', /does not run as root/],
    ['an engine without cgroups', { CgroupVersion: '1', CgroupDriver: 'none' }, host, 'v1', /without cgroups \(cgroup driver "none"/],
    ['an unknown driver', { CgroupVersion: '2', CgroupDriver: 'weird' }, host, 'v2', /driver "weird" is not one the grader knows/],
    ['no answer from docker info', null, host, 'v2', /did not answer/],
  ] as [string, EngineCgroupInfo | null, { uid: number; dockerHost: string | undefined }, 'v1' | 'v2', RegExp][])('gives no layout, with the reason, for %s', (_what, info, who, local, reason) => {
    const detection = detectCgroupLayout(info, who, tree(local === 'v1' ? v1 : v2));
    expect(detection.layout).toBeNull();
    expect(detection.reason).toMatch(reason);
  });

  it('gives no layout where there is no cgroup tree', () => {
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    expect(detectCgroupLayout({ CgroupVersion: '2', CgroupDriver: 'systemd' }, host, { root: empty, ops: v2 }).reason).toMatch(/holds no cgroup tree/);
  });
});

describe('BuildKit: the limits written into each RUN step cgroup the engine makes', () => {
  const cases: [string, CgroupVersion, CgroupDriver, (id: string) => Record<string, string>][] = [
    ['v1, cgroupfs', 1, 'cgroupfs', (id) => ({
      [`pids/docker/buildkit/${id}/pids.max`]: '64',
      [`memory/docker/buildkit/${id}/memory.limit_in_bytes`]: BYTES,
      [`memory/docker/buildkit/${id}/memory.memsw.limit_in_bytes`]: BYTES,
      [`cpu/docker/buildkit/${id}/cpu.cfs_period_us`]: '100000',
      [`cpu/docker/buildkit/${id}/cpu.cfs_quota_us`]: '50000',
    })],
    ['v1, systemd', 1, 'systemd', (id) => ({
      [`pids/system.slice/docker-${id}.scope/pids.max`]: '64',
      [`memory/system.slice/docker-${id}.scope/memory.limit_in_bytes`]: BYTES,
      [`memory/system.slice/docker-${id}.scope/memory.memsw.limit_in_bytes`]: BYTES,
      [`cpu/system.slice/docker-${id}.scope/cpu.cfs_quota_us`]: '50000',
    })],
    ['v2, cgroupfs', 2, 'cgroupfs', (id) => ({
      [`docker/buildkit/${id}/memory.max`]: BYTES,
      [`docker/buildkit/${id}/memory.swap.max`]: '0',
      [`docker/buildkit/${id}/cpu.max`]: '50000 100000',
      [`docker/buildkit/${id}/pids.max`]: '64',
    })],
    ['v2, systemd', 2, 'systemd', (id) => ({
      [`system.slice/docker-${id}.scope/memory.max`]: BYTES,
      [`system.slice/docker-${id}.scope/memory.swap.max`]: '0',
      [`system.slice/docker-${id}.scope/cpu.max`]: '50000 100000',
      [`system.slice/docker-${id}.scope/pids.max`]: '64',
    })],
  ];

  /** Where the engine makes a step's cgroup (v1: one per hierarchy) and a container's. */
  const stepDirs = (kernel: FakeKernel, driver: CgroupDriver, id: string) => {
    const leaf = driver === 'cgroupfs' ? path.join('docker', 'buildkit', id) : path.join('system.slice', `docker-${id}.scope`);
    return kernel.version === 1 ? ['pids', 'memory', 'cpu'].map((c) => path.join(kernel.root, c, leaf)) : [path.join(kernel.root, leaf)];
  };

  it.each(cases)('%s', async (_name, version, driver, expected) => {
    const kernel = new FakeKernel(version);
    if (driver === 'systemd') for (const dir of version === 1 ? ['pids', 'memory', 'cpu'].map((c) => path.join(kernel.root, c, 'system.slice')) : [path.join(kernel.root, 'system.slice')]) kernel.engineMakes(dir);
    const plan = planBuildLimits({ builder: 'buildkit', detection: { layout: layoutOf(kernel, driver) }, limits: LIMITS, parentName: 'unused' });
    expect(plan.args).toEqual([]);
    expect(plan.notes.join('\n')).toContain(`build limits (BuildKit, cgroup v${version}, ${driver} driver): memory 700 MiB without swap, 0.5 CPU, 64 processes`);
    expect(plan.notes.join('\n')).not.toMatch(/not applied/);
    if (driver === 'systemd') {
      expect(plan.notes.join('\n')).toMatch(/systemd owns those scopes/);
      // A container's scope in the same slice is not the build's: made first, so that the step's write below proves the watch was live.
      for (const dir of stepDirs(kernel, driver, CONTAINER)) kernel.engineMakes(dir);
    }
    for (const dir of stepDirs(kernel, driver, STEP)) kernel.engineMakes(dir);
    const want = expected(STEP);
    await until('the limits in the step cgroup', () => Object.entries(want).every(([file, value]) => read(path.join(kernel.root, file)) === value));
    if (driver === 'systemd') {
      const scope = stepDirs(kernel, driver, CONTAINER)[0]!;
      expect(read(path.join(scope, version === 1 ? 'pids.max' : 'memory.max'))).toBe('max\n');
    }
    expect(plan.release()).toEqual(['build limits written into 1 RUN step cgroup: memory, swap, CPU, processes']);
    // Released: a later step (another grading's build) is not touched.
    for (const dir of stepDirs(kernel, driver, STEP2)) kernel.engineMakes(dir);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(read(path.join(stepDirs(kernel, driver, STEP2)[0]!, version === 1 ? 'pids.max' : 'memory.max'))).toBe('max\n');
    // The grader made nothing of its own in systemd's tree.
    if (driver === 'systemd') expect(existsSync(path.join(kernel.root, version === 1 ? 'pids/docker' : 'docker'))).toBe(false);
  });

  it('a kernel without swap accounting: memory, CPU and processes limited, swap said not applied', async () => {
    const kernel = new FakeKernel(2, { swapAccounting: false });
    const plan = planBuildLimits({ builder: 'buildkit', detection: { layout: layoutOf(kernel, 'cgroupfs') }, limits: LIMITS, parentName: 'unused' });
    const step = path.join(kernel.root, 'docker', 'buildkit', STEP);
    kernel.engineMakes(step);
    await until('memory.max', () => read(path.join(step, 'memory.max')) === BYTES);
    expect(existsSync(path.join(step, 'memory.swap.max'))).toBe(false);
    expect(plan.release()).toEqual(['build limits written into 1 RUN step cgroup: memory, CPU, processes; not applied (no such file there): swap']);
  });

  it('a v2 step cgroup whose parent delegates no cpu controller: that limit is said not applied', async () => {
    const kernel = new FakeKernel(2, { rootControllers: ['memory', 'pids'] });
    const plan = planBuildLimits({ builder: 'buildkit', detection: { layout: layoutOf(kernel, 'cgroupfs') }, limits: LIMITS, parentName: 'unused' });
    const step = path.join(kernel.root, 'docker', 'buildkit', STEP);
    kernel.engineMakes(step);
    await until('pids.max', () => read(path.join(step, 'pids.max')) === '64');
    expect(plan.release()).toEqual(['build limits written into 1 RUN step cgroup: memory, swap, processes; not applied (no such file there): CPU']);
  });

  it('no step cgroup appears (no RUN ran, or the engine is not this tree\'s): the release says none was applied', () => {
    const kernel = new FakeKernel(2);
    const plan = planBuildLimits({ builder: 'buildkit', detection: { layout: layoutOf(kernel, 'cgroupfs') }, limits: LIMITS, parentName: 'unused' });
    expect(plan.release()).toEqual([`build limits: no RUN step cgroup appeared under ${path.join(kernel.root, 'docker', 'buildkit')} during the build (no RUN step ran, or the engine's cgroups are not this machine's): none was applied`]);
  });

  it('systemd without a system.slice: nothing is made in systemd\'s place, and the notes say the limits are not applied', () => {
    const kernel = new FakeKernel(2);
    const plan = planBuildLimits({ builder: 'buildkit', detection: { layout: layoutOf(kernel, 'systemd') }, limits: LIMITS, parentName: 'unused' });
    expect(plan.notes).toEqual([`no memory, CPU or process limit for BuildKit's RUN steps (only the time limit): ${path.join(kernel.root, 'system.slice')} does not exist`]);
    expect(existsSync(path.join(kernel.root, 'system.slice'))).toBe(false);
    expect(plan.release()).toEqual([]);
  });

  it('cgroup v1 without a memory hierarchy: the notes claim CPU and processes only, and say memory is not applied', async () => {
    const kernel = new FakeKernel(1);
    rmSync(path.join(kernel.root, 'memory'), { recursive: true });
    const plan = planBuildLimits({ builder: 'buildkit', detection: { layout: layoutOf(kernel, 'cgroupfs') }, limits: LIMITS, parentName: 'unused' });
    expect(plan.notes[0]).toMatch(/^build limits \(BuildKit, cgroup v1, cgroupfs driver\): 0\.5 CPU, 64 processes, written by the grader/);
    expect(plan.notes[1]).toMatch(/^build limits not applied: memory, swap: .*\/cgroup is not a cgroup \(no such controller here\)$/);
    expect(existsSync(path.join(kernel.root, 'memory'))).toBe(false);
    for (const c of ['pids', 'cpu']) kernel.engineMakes(path.join(kernel.root, c, 'docker', 'buildkit', STEP));
    await until('cpu.cfs_quota_us', () => read(path.join(kernel.root, 'cpu', 'docker', 'buildkit', STEP, 'cpu.cfs_quota_us')) === '50000');
    await until('pids.max', () => read(path.join(kernel.root, 'pids', 'docker', 'buildkit', STEP, 'pids.max')) === '64');
    expect(plan.release()).toEqual(['build limits written into 1 RUN step cgroup: CPU, processes']);
  });

  it('an engine the grader cannot reach: no limit but the time limit, and why', () => {
    const plan = planBuildLimits({ builder: 'buildkit', detection: { layout: null, reason: 'the engine is Docker Desktop' }, limits: LIMITS, parentName: 'unused' });
    expect(plan).toMatchObject({ args: [], notes: ["no memory, CPU or process limit for BuildKit's RUN steps (only the time limit): the engine is Docker Desktop"] });
    expect(plan.release()).toEqual([]);
  });
});

describe('the classic builder: docker build flags, and a parent cgroup for the process limit', () => {
  const FLAGS = ['--memory', '700m', '--memory-swap', '700m', '--cpu-period', '100000', '--cpu-quota', '50000'];

  it.each([
    [1, (root: string, name: string) => path.join(root, 'pids', name)],
    [2, (root: string, name: string) => path.join(root, name)],
  ] as [CgroupVersion, (root: string, name: string) => string][])('cgroup v%s with cgroupfs: --cgroup-parent with pids.max, the steps counted, the parent removed once empty', async (version, parentDir) => {
    const kernel = new FakeKernel(version);
    const name = classicParentName(4242, 'dockerlab/lab-03:r1');
    expect(name).toBe(`${CLASSIC_PARENT_PREFIX}4242-dockerlab-lab-03-r1`);
    const plan = planBuildLimits({ builder: 'classic', detection: { layout: layoutOf(kernel, 'cgroupfs') }, limits: LIMITS, parentName: name, isAlive: () => true });
    expect(plan.args).toEqual([...FLAGS, '--cgroup-parent', `/${name}`]);
    const dir = parentDir(kernel.root, name);
    expect(read(path.join(dir, 'pids.max'))).toBe('64');
    expect(plan.notes).toEqual([`build limits (classic builder): memory 700 MiB without swap and 0.5 CPU through docker build's flags, 64 processes through the parent cgroup ${dir} (cgroup v${version}, cgroupfs driver)`]);
    // The engine runs a RUN step's container below the parent (its memory and CPU limits are its own, from the flags).
    const step = path.join(dir, CONTAINER);
    kernel.engineMakes(step);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(plan.release()).toEqual([`process limit: 1 RUN step container ran in ${dir}`]);
    // Busy until the engine removes the step's cgroup, then gone.
    expect(existsSync(dir)).toBe(true);
    rmSync(step, { recursive: true });
    await until('the parent removed', () => !existsSync(dir));
  });

  it('cgroup v2: enables the pids controller for the root\'s children when it is not, then limits', () => {
    const kernel = new FakeKernel(2, { rootSubtree: ['memory', 'cpu'] });
    const name = classicParentName(4243, 't');
    const plan = planBuildLimits({ builder: 'classic', detection: { layout: layoutOf(kernel, 'cgroupfs') }, limits: LIMITS, parentName: name, isAlive: () => true });
    expect(read(path.join(kernel.root, 'cgroup.subtree_control'))).toBe('+pids');
    expect(read(path.join(kernel.root, name, 'pids.max'))).toBe('64');
    expect(plan.args).toContain('--cgroup-parent');
    plan.release();
  });

  it('cgroup v2 without a pids controller: flags only, and the note says why there is no process limit', () => {
    const kernel = new FakeKernel(2, { rootControllers: ['memory', 'cpu'] });
    const plan = planBuildLimits({ builder: 'classic', detection: { layout: layoutOf(kernel, 'cgroupfs') }, limits: LIMITS, parentName: classicParentName(4244, 't'), isAlive: () => true });
    expect(plan.args).toEqual(FLAGS);
    expect(plan.notes[0]).toMatch(/; no process limit: the pids controller is not available in .* \(cgroup.controllers\)$/);
    expect(readdirSync(kernel.root).filter((n) => n.startsWith(CLASSIC_PARENT_PREFIX))).toEqual([]);
  });

  it.each([1, 2] as CgroupVersion[])('cgroup v%s with systemd: flags only, no parent made, and the note says why', (version) => {
    const kernel = new FakeKernel(version);
    const plan = planBuildLimits({ builder: 'classic', detection: { layout: layoutOf(kernel, 'systemd') }, limits: LIMITS, parentName: classicParentName(4245, 't'), isAlive: () => true });
    expect(plan.args).toEqual(FLAGS);
    expect(plan.notes[0]).toMatch(/no process limit: with the systemd cgroup driver a parent cgroup would be a systemd slice/);
    const base = version === 1 ? path.join(kernel.root, 'pids') : kernel.root;
    expect(readdirSync(base).filter((n) => n.startsWith(CLASSIC_PARENT_PREFIX))).toEqual([]);
  });

  it('an engine the grader cannot reach: flags only (the engine applies them), no process limit, and why', () => {
    const plan = planBuildLimits({ builder: 'classic', detection: { layout: null, reason: 'the engine is not on this machine (tcp://h:2375)' }, limits: LIMITS, parentName: 'x' });
    expect(plan.args).toEqual(FLAGS);
    expect(plan.notes).toEqual(["build limits (classic builder): memory 700 MiB without swap and 0.5 CPU through docker build's flags; no process limit: the engine is not on this machine (tcp://h:2375)"]);
  });

  it('no step container appears in the parent: the release says the process limit was not applied', () => {
    const kernel = new FakeKernel(1);
    const name = classicParentName(4246, 't');
    const plan = planBuildLimits({ builder: 'classic', detection: { layout: layoutOf(kernel, 'cgroupfs') }, limits: LIMITS, parentName: name, isAlive: () => true });
    expect(plan.release()).toEqual([`process limit: no RUN step container appeared in ${path.join(kernel.root, 'pids', name)} (no RUN step ran, or the engine's cgroups are not this machine's): it was not applied`]);
    expect(existsSync(path.join(kernel.root, 'pids', name))).toBe(false);
  });
});

describe('parents left by graders that died', () => {
  it.each([1, 2] as CgroupVersion[])('cgroup v%s: removes a dead grader\'s empty parents only, before a classic build makes its own', (version) => {
    const kernel = new FakeKernel(version);
    const layout = layoutOf(kernel, 'cgroupfs');
    const base = version === 1 ? path.join(kernel.root, 'pids') : kernel.root;
    const dead = `${CLASSIC_PARENT_PREFIX}111-dockerlab-lab-03-a`;
    const deadBusy = `${CLASSIC_PARENT_PREFIX}111-dockerlab-lab-04-b`;
    const alive = `${CLASSIC_PARENT_PREFIX}222-dockerlab-lab-03-c`;
    const other = 'someone-elses';
    for (const name of [dead, deadBusy, alive, other]) kernel.mkdir(path.join(base, name));
    kernel.engineMakes(path.join(base, deadBusy, CONTAINER));
    expect(removeOrphanClassicParents(layout, (pid) => pid === 222)).toEqual([dead]);
    expect(readdirSync(base).filter((n) => statSync(path.join(base, n)).isDirectory()).sort()).toEqual([alive, deadBusy, other].sort());
    // A classic build sweeps the same way first.
    rmSync(path.join(base, deadBusy, CONTAINER), { recursive: true });
    const mine = classicParentName(333, 't');
    const plan = planBuildLimits({ builder: 'classic', detection: { layout }, limits: LIMITS, parentName: mine, isAlive: (pid) => pid === 222 || pid === 333 });
    expect(existsSync(path.join(base, deadBusy))).toBe(false);
    expect(existsSync(path.join(base, alive))).toBe(true);
    expect(existsSync(path.join(base, other))).toBe(true);
    plan.release();
  });
});

it('writes cgroup files that exist and never creates one (a kernel without it refuses)', () => {
  const dir = mkdtempSync(path.join(tmp, 'files-'));
  writeFileSync(path.join(dir, 'pids.max'), 'max\n');
  writeCgroupFile(path.join(dir, 'pids.max'), '64');
  expect(read(path.join(dir, 'pids.max'))).toBe('64');
  expect(() => writeCgroupFile(path.join(dir, 'memory.swap.max'), '0')).toThrow(/ENOENT/);
  expect(existsSync(path.join(dir, 'memory.swap.max'))).toBe(false);
});
