import { spawn } from 'node:child_process';
import { acquireLock } from '../../../grader/src/engine/lock.js';

describe('acquireLock', () => {
  const name = `test-${process.pid}-${Date.now()}`;

  it('makes a second taker wait until the first releases', async () => {
    const releaseFirst = await acquireLock(name);
    let waitedFor = '';
    const second = acquireLock(name, { waitMs: 5000, onWait: (owner) => (waitedFor = owner) });
    await new Promise((r) => setTimeout(r, 300));
    expect(waitedFor).toBe(`process ${process.pid}`);
    releaseFirst();
    const releaseSecond = await second;
    releaseSecond();
  });

  it('gives up after waitMs with a message naming the lock', async () => {
    const release = await acquireLock(name);
    await expect(acquireLock(name, { waitMs: 300 })).rejects.toThrow(/another grading of test-.* has held its lock/);
    release();
  });

  it('takes over a lock whose owner process is gone', async () => {
    const child = spawn('node', ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid!)));
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = path.join(os.tmpdir(), 'dockerlab-locks', `${name}-stale`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'owner'), String(deadPid));
    const release = await acquireLock(`${name}-stale`, { waitMs: 1000 });
    release();
  });
});
