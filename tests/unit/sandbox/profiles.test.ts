import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProfileMemory, SANDBOX_PROFILES, profileNamed, readHostFacts, unsafeAllowed, type HostFacts } from '../../../grader/src/sandbox/profiles.js';

const fine: HostFacts = { kernel: '6.1.0', tun: true, maxUserNamespaces: 15000, unprivilegedUsernsClone: 1, apparmorRestrictsUserns: null, cgroup: 'v2' };
const rootless = profileNamed('rootless')!;
const dir = mkdtempSync(path.join(os.tmpdir(), 'sbxp-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the sandbox profiles registry', () => {
  it('says of each profile what it isolates, and why the unsafe ones are', () => {
    for (const p of SANDBOX_PROFILES) {
      expect(p.safe).toBe(p.isolates.userNamespace);
      expect(p.unsafeBecause === null).toBe(p.safe);
      if (!p.safe) expect(p.unsafeBecause).toMatch(/kernel\.core_pattern/);
    }
    expect(rootless.hostConfig()).toMatchObject({ CapDrop: ['ALL'], Devices: [{ PathOnHost: '/dev/net/tun' }] });
    expect(rootless.hostConfig().CapAdd).not.toContain('NET_ADMIN');
    expect(profileNamed('rootful-privileged')!.hostConfig()).toMatchObject({ Privileged: true });
  });

  it.each([
    [{ tun: false }, 'sudo modprobe tun'],
    [{ maxUserNamespaces: 0 }, 'user.max_user_namespaces=15000'],
    [{ unprivilegedUsernsClone: 0 }, 'kernel.unprivileged_userns_clone=1'],
    [{ apparmorRestrictsUserns: 1 }, 'kernel.apparmor_restrict_unprivileged_userns=0'],
  ] as [Partial<HostFacts>, string][])('the rootless preflight refuses %j and says how to fix it', (facts, fix) => {
    expect(rootless.preflight({ ...fine, ...facts })).toContain(fix);
  });

  it('the rootless preflight lets a machine through when nothing is known against it (unknown facts, tun of any mode, cgroup v1)', () => {
    expect(rootless.preflight(fine)).toBeNull();
    expect(rootless.preflight({ ...fine, tun: null, maxUserNamespaces: null, unprivilegedUsernsClone: null, cgroup: 'v1' })).toBeNull();
    expect(rootless.preflight({ ...fine, apparmorRestrictsUserns: 0 })).toBeNull();
  });

  it('reads the facts from a machine\'s /proc, /dev and /sys', () => {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'proc/sys/user'), { recursive: true });
    mkdirSync(path.join(root, 'proc/sys/kernel'), { recursive: true });
    mkdirSync(path.join(root, 'dev/net'), { recursive: true });
    mkdirSync(path.join(root, 'sys/fs/cgroup'), { recursive: true });
    writeFileSync(path.join(root, 'proc/sys/user/max_user_namespaces'), '0\n');
    writeFileSync(path.join(root, 'proc/sys/kernel/apparmor_restrict_unprivileged_userns'), '1\n');
    writeFileSync(path.join(root, 'sys/fs/cgroup/cgroup.controllers'), 'cpu memory\n');
    const facts = readHostFacts(root);
    expect(facts).toMatchObject({ tun: false, maxUserNamespaces: 0, unprivilegedUsernsClone: null, apparmorRestrictsUserns: 1, cgroup: 'v2' });
    writeFileSync(path.join(root, 'dev/net/tun'), '');
    expect(readHostFacts(root).tun).toBe(true);
  });

  it('accepts an unsafe profile only with the machine owner\'s DOCKERLAB_SANDBOX_ALLOW_UNSAFE=1', () => {
    expect(unsafeAllowed({})).toBe(false);
    expect(unsafeAllowed({ DOCKERLAB_SANDBOX_ALLOW_UNSAFE: 'true' })).toBe(false);
    expect(unsafeAllowed({ DOCKERLAB_SANDBOX_ALLOW_UNSAFE: '1' })).toBe(true);
  });
});

describe('ProfileMemory', () => {
  const parts = { engineId: 'E1/28.5.2', sandboxImageId: 'sha256:abc', facts: fine, bootId: 'boot-1' };

  it('keys a machine by its engine, its boot, the sandbox image and the facts: a fixed sysctl means a new try', () => {
    const key = ProfileMemory.keyOf(parts);
    expect(ProfileMemory.keyOf({ ...parts })).toBe(key);
    for (const other of [{ engineId: 'E2/28.5.2' }, { bootId: 'boot-2' }, { sandboxImageId: 'sha256:def' }, { facts: { ...fine, apparmorRestrictsUserns: 0 } }]) {
      expect(ProfileMemory.keyOf({ ...parts, ...other })).not.toBe(key);
    }
  });

  it('remembers a failure with its reason in a file only its user reads, and forgets on demand', () => {
    const file = path.join(dir, 'cache', 'dockerlab', 'sandbox-profiles.json');
    const memory = new ProfileMemory(file);
    const key = ProfileMemory.keyOf(parts);
    expect(memory.recall(key, 'rootless')).toBeNull();
    memory.remember(key, 'rootless', 'open /dev/net/tun: permission denied');
    expect(new ProfileMemory(file).recall(key, 'rootless')).toMatchObject({ reason: 'open /dev/net/tun: permission denied' });
    expect(new ProfileMemory(file).recall(ProfileMemory.keyOf({ ...parts, bootId: 'boot-2' }), 'rootless')).toBeNull();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    memory.forget();
    expect(memory.recall(key, 'rootless')).toBeNull();
  });

  it('keeps the 20 newest machines and survives a damaged file', () => {
    const file = path.join(dir, 'many.json');
    const memory = new ProfileMemory(file);
    for (let i = 0; i < 25; i++) memory.remember(`k${i}`, 'rootless', `r${i}`);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object)).toHaveLength(20);
    expect(memory.recall('k0', 'rootless')).toBeNull();
    expect(memory.recall('k24', 'rootless')?.reason).toBe('r24');
    writeFileSync(file, '{not json');
    expect(memory.recall('k24', 'rootless')).toBeNull();
    memory.remember('k', 'rootless', 'again');
    expect(memory.recall('k', 'rootless')?.reason).toBe('again');
  });
});
