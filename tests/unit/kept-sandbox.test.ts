/**
 * When --watch reuses its sandbox and when it opens a new one, against fake
 * sandboxes (no engine): the reset itself is proven on a real one in
 * tests/docker/watch.test.ts.
 */
import type { Runtime } from '../../grader/src/engine/runtime.js';
import type { Sandbox } from '../../grader/src/sandbox/sandbox.js';
import { SandboxKeeper } from '../../grader/src/grading/kept-sandbox.js';

interface Fake {
  sandbox: Sandbox;
  disposed: () => boolean;
  execs: string[][];
  removed: string[];
}

function fakeSandbox(id: string, images: { Id: string; Created: number }[]): Fake {
  let disposed = false;
  const execs: string[][] = [];
  const removed: string[] = [];
  const inner = {
    listImages: async () => images,
    listContainers: async () => [{ Id: `${id}-c1` }],
    getContainer: (cid: string) => ({ remove: async () => void removed.push(`container ${cid}`) }),
    listNetworks: async () => [{ Id: 'n0', Name: 'bridge' }, { Id: 'n1', Name: 'student-net' }],
    getNetwork: (nid: string) => ({ remove: async () => void removed.push(`network ${nid}`) }),
    listVolumes: async () => ({ Volumes: [{ Name: 'data' }] }),
    getVolume: (name: string) => ({ remove: async () => void removed.push(`volume ${name}`) }),
    getImage: (iid: string) => ({
      remove: async () => {
        removed.push(`image ${iid}`);
        images.splice(images.findIndex((i) => i.Id === iid), 1);
      },
    }),
    pruneBuilder: async () => void removed.push('build cache'),
    ping: async () => 'OK',
  };
  const sandbox = {
    containerId: id,
    name: id,
    runtime: { docker: inner } as unknown as Runtime,
    exec: async (argv: string[]) => {
      execs.push(argv);
      return { exitCode: 0, output: argv[0] === 'ls' ? 'rootlesskit123\n' : '', outputBytes: 0, timedOut: false };
    },
    dispose: async () => void (disposed = true),
  } as unknown as Sandbox;
  return { sandbox, disposed: () => disposed, execs, removed };
}

const host = (running: boolean) => ({ docker: { getContainer: () => ({ inspect: async () => ({ State: { Running: running } }) }) } }) as unknown as Runtime;

describe('SandboxKeeper', () => {
  let clock = 0;
  const keeper = () => new SandboxKeeper('dlt-watch-keeper', () => clock);
  const request = (open: () => Promise<Sandbox>, over: Partial<{ key: string; running: boolean; needSeconds: number }> = {}) => ({
    host: host(over.running ?? true), key: over.key ?? 'k', lifetimeSeconds: 900, needSeconds: over.needSeconds ?? 60, open, progress: () => undefined, signal: new AbortController().signal,
  });
  beforeEach(() => (clock = 0));

  it('reuses its sandbox after a healthy grading, reset: what the grading made is removed, what it opened with stays', async () => {
    const images = [{ Id: 'seeded', Created: 1 }];
    const a = fakeSandbox('a', images);
    const k = keeper();
    let opened = 0;
    const open = async () => (opened++, a.sandbox);
    expect(await k.acquire(request(open))).toBe(a.sandbox);
    images.push({ Id: 'built-by-student', Created: 5 }, { Id: 'its-child', Created: 9 });
    await k.release(a.sandbox, true);
    expect(a.disposed()).toBe(false);
    clock = 60_000;
    expect(await k.acquire(request(open))).toBe(a.sandbox);
    expect(opened).toBe(1);
    expect([k.opened, k.reused]).toEqual([1, 1]);
    expect(a.removed).toEqual(['container a-c1', 'network n1', 'volume data', 'image its-child', 'image built-by-student', 'build cache']);
    expect(images.map((i) => i.Id)).toEqual(['seeded']);
    // /tmp: the names it held at opening are kept.
    expect(a.execs.at(-1)!.slice(-2)).toEqual(['reset', 'rootlesskit123']);
    await k.dispose();
    expect(a.disposed()).toBe(true);
  });

  it.each([
    ['a grading that failed or was interrupted', { healthy: false }],
    ['other images or limits', { key: 'other' }],
    ['a sandbox that stopped', { running: false }],
    ['too little lifetime left for the grading', { needSeconds: 880 }],
  ])('opens a new sandbox after %s, disposing of the old', async (_why, change: { healthy?: boolean; key?: string; running?: boolean; needSeconds?: number }) => {
    const a = fakeSandbox('a', [{ Id: 'seeded', Created: 1 }]);
    const b = fakeSandbox('b', [{ Id: 'seeded', Created: 1 }]);
    const k = keeper();
    await k.acquire(request(async () => a.sandbox));
    await k.release(a.sandbox, change.healthy ?? true);
    clock = 10_000;
    expect(await k.acquire(request(async () => b.sandbox, change))).toBe(b.sandbox);
    expect(a.disposed()).toBe(true);
    expect(b.disposed()).toBe(false);
    expect(k.opened).toBe(2);
  });
});
