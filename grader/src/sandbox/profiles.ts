import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';

/**
 * How a sandbox container is granted what a Docker engine needs: the registry of
 * sandbox profiles, as objects that say what they isolate, whether this machine
 * can run them (a preflight read before anything starts), and whether they hold
 * the hostile table (tests/fixtures/hostile/TABLE.md).
 *
 * Only `safe` profiles are ever chosen by the grader. A profile that is not safe
 * lets a student's container change the host (a kernel setting that no namespace
 * covers: `kernel.core_pattern`, whose `|program` runs as root on the host at the
 * next crash): it is refused, with that reason, unless the person who runs the
 * grader says in the environment that the machine is a throw-away one
 * (DOCKERLAB_SANDBOX_ALLOW_UNSAFE=1) and names the profile.
 */
export type SandboxProfileName = 'rootless' | 'rootful-privileged' | 'rootful-capabilities';

type HostConfig = Docker.HostConfig & { CgroupnsMode?: 'private' | 'host' };

/** What the grader's machine says about itself, read from /proc and /dev (the engine is local: see assertLocalEngine). */
export interface HostFacts {
  kernel: string;
  /** /dev/net/tun exists (any mode: the sandbox opens it to its engine's user itself, in its own /dev). */
  tun: boolean | null;
  /** user.max_user_namespaces */
  maxUserNamespaces: number | null;
  /** kernel.unprivileged_userns_clone (Debian's and older Ubuntu kernels' switch) */
  unprivilegedUsernsClone: number | null;
  /** kernel.apparmor_restrict_unprivileged_userns (Ubuntu 23.10+, GitHub's ubuntu-24.04 runners) */
  apparmorRestrictsUserns: number | null;
  cgroup: 'v1' | 'v2' | null;
}

export interface SandboxProfile {
  readonly name: SandboxProfileName;
  /** The inner engine's kind: a rootless engine's store is useless to a rootful one. */
  readonly engine: 'rootless' | 'rootful';
  readonly isolates: {
    /** The student's root is an unprivileged user of the host (RootlessKit's user namespace). */
    readonly userNamespace: boolean;
    /** What the sandbox container itself is granted. */
    readonly capabilities: readonly string[] | 'all';
    /** The host engine's seccomp filter, AppArmor profile, masked and read-only /proc paths. */
    readonly seccomp: boolean;
    readonly maskedPaths: boolean;
  };
  /** Holds every row of the hostile table, kernel settings included: only these are chosen. */
  readonly safe: boolean;
  /** Why it is not safe, in one sentence a teacher can check (null when safe). */
  readonly unsafeBecause: string | null;
  /** Why this machine cannot run it, before trying (null: nothing known against it). */
  preflight(facts: HostFacts): string | null;
  hostConfig(): HostConfig;
}

const UNCONFINED = {
  SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
  // `--security-opt systempaths=unconfined`: an engine must mount fresh /proc and /sys for its containers.
  MaskedPaths: [] as string[],
  ReadonlyPaths: [] as string[],
};

const ROOTLESS_CAPS = ['SYS_ADMIN', 'SETUID', 'SETGID', 'SETFCAP', 'SETPCAP', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'MKNOD'];

const ROOT_IN_SANDBOX =
  'its inner engine runs as real root without a user namespace, so a student\'s `docker run --privileged` (or `--cap-add SYS_ADMIN`, which can mount a fresh /proc) ' +
  'writes host kernel settings that no namespace covers, such as kernel.core_pattern, whose `|program` runs as root on the host at the next crash';

const rootless: SandboxProfile = {
  name: 'rootless',
  engine: 'rootless',
  isolates: { userNamespace: true, capabilities: ROOTLESS_CAPS, seccomp: false, maskedPaths: false },
  safe: true,
  unsafeBecause: null,
  preflight(facts) {
    if (facts.tun === false) return '/dev/net/tun does not exist on this machine, and the rootless engine\'s network (slirp4netns) needs it: load the module (`sudo modprobe tun`)';
    if (facts.maxUserNamespaces === 0) return 'user namespaces are off (user.max_user_namespaces = 0): `sudo sysctl -w user.max_user_namespaces=15000`';
    if (facts.unprivilegedUsernsClone === 0) return 'unprivileged user namespaces are off (kernel.unprivileged_userns_clone = 0): `sudo sysctl -w kernel.unprivileged_userns_clone=1`';
    if (facts.apparmorRestrictsUserns === 1) {
      return 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1, as on Ubuntu 24.04 and its GitHub runners): ' +
        '`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` (a CI step can do it before grading)';
    }
    return null;
  },
  hostConfig: () => ({
    ...UNCONFINED,
    CapDrop: ['ALL'],
    CapAdd: [...ROOTLESS_CAPS],
    // The device node keeps the host's mode (0600 root on some machines): sandbox-init.sh opens it to the engine's user.
    Devices: [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
  }),
};

const rootfulPrivileged: SandboxProfile = {
  name: 'rootful-privileged',
  engine: 'rootful',
  isolates: { userNamespace: false, capabilities: 'all', seccomp: false, maskedPaths: false },
  safe: false,
  unsafeBecause: `--privileged: ${ROOT_IN_SANDBOX}`,
  preflight: () => null,
  hostConfig: () => ({ Privileged: true, CgroupnsMode: 'private' }),
};

const rootfulCapabilities: SandboxProfile = {
  name: 'rootful-capabilities',
  engine: 'rootful',
  isolates: { userNamespace: false, capabilities: 'all', seccomp: false, maskedPaths: false },
  safe: false,
  unsafeBecause: `every capability but SYS_RESOURCE, unconfined: ${ROOT_IN_SANDBOX}`,
  preflight: () => null,
  hostConfig: () => ({ ...UNCONFINED, CapAdd: ['ALL'], CapDrop: ['SYS_RESOURCE'], CgroupnsMode: 'private' }),
};

/** From the safest; the grader tries the safe ones in this order. */
export const SANDBOX_PROFILES: readonly SandboxProfile[] = [rootless, rootfulPrivileged, rootfulCapabilities];
export const SANDBOX_PROFILE_NAMES: readonly SandboxProfileName[] = SANDBOX_PROFILES.map((p) => p.name);

export function profileNamed(name: string): SandboxProfile | undefined {
  return SANDBOX_PROFILES.find((p) => p.name === name);
}

/** The environment variable by which a machine's owner accepts an unsafe profile (never a flag a lab or a student's script sets). */
export const ALLOW_UNSAFE_ENV = 'DOCKERLAB_SANDBOX_ALLOW_UNSAFE';

export function unsafeAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[ALLOW_UNSAFE_ENV] === '1';
}

const readNumber = (file: string): number | null => {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
};

/** This machine's facts (a few small reads). */
export function readHostFacts(root = '/'): HostFacts {
  const at = (p: string) => path.join(root, p);
  let tun: boolean | null = null;
  try {
    tun = existsSync(at('dev/net/tun'));
  } catch {
    tun = null;
  }
  return {
    kernel: os.release(),
    tun,
    maxUserNamespaces: readNumber(at('proc/sys/user/max_user_namespaces')),
    unprivilegedUsernsClone: readNumber(at('proc/sys/kernel/unprivileged_userns_clone')),
    apparmorRestrictsUserns: readNumber(at('proc/sys/kernel/apparmor_restrict_unprivileged_userns')),
    cgroup: existsSync(at('sys/fs/cgroup/cgroup.controllers')) ? 'v2' : existsSync(at('sys/fs/cgroup')) ? 'v1' : null,
  };
}

/** A profile the grader did not use, and why (what the result records). */
export interface RefusedProfile {
  profile: SandboxProfileName;
  reason: string;
}

/**
 * Profiles that failed to start on a machine, remembered across processes (a
 * student's next grading, a batch's next worker) so that none pays for the same
 * failure again. Keyed by what would make the next attempt different: the host
 * engine, the kernel and its boot, the sandbox image, and the facts the
 * preflights read (a sysctl changed by the admin means a new try).
 */
export class ProfileMemory {
  constructor(private readonly file: string = defaultMemoryFile()) {}

  static keyOf(parts: { engineId: string; sandboxImageId: string; facts: HostFacts; bootId?: string }): string {
    return createHash('sha256')
      .update(JSON.stringify([parts.engineId, parts.sandboxImageId, parts.bootId ?? bootId(), parts.facts]))
      .digest('hex')
      .slice(0, 24);
  }

  recall(key: string, profile: SandboxProfileName): { reason: string; at: string } | null {
    const entry = this.read()[key]?.[profile];
    return entry ?? null;
  }

  remember(key: string, profile: SandboxProfileName, reason: string): void {
    try {
      const all = this.read();
      (all[key] ??= {})[profile] = { reason: reason.slice(0, 2000), at: new Date().toISOString() };
      // Keep the file small: the 20 newest machine keys.
      const keys = Object.keys(all);
      for (const old of keys.slice(0, Math.max(0, keys.length - 20))) delete all[old];
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch {
      // A read-only home: the failure is found again next time, nothing worse.
    }
  }

  forget(): void {
    try {
      writeFileSync(this.file, '{}\n', { mode: 0o600 });
    } catch {
      // nothing remembered, or nowhere to write: same outcome
    }
  }

  get path(): string {
    return this.file;
  }

  private read(): Record<string, Partial<Record<SandboxProfileName, { reason: string; at: string }>>> {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, Partial<Record<SandboxProfileName, { reason: string; at: string }>>>) : {};
    } catch {
      return {};
    }
  }
}

function defaultMemoryFile(): string {
  if (process.env.DOCKERLAB_SANDBOX_MEMORY) return process.env.DOCKERLAB_SANDBOX_MEMORY;
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'dockerlab', 'sandbox-profiles.json');
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}
