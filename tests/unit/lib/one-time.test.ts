import { jest } from '@jest/globals';
import { asOneTime, deadlineTimer, oneTimeClock } from '../../../grader/src/lib/one-time.js';
import { allOrFirstError, Slots } from '../../../grader/src/lib/slots.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('one-time work (a base image built, the sandbox image) and the deadlines that wait for it', () => {
  afterEach(() => jest.useRealTimers());

  it('a deadline with no one-time work fires on time', () => {
    jest.useFakeTimers();
    const fired = jest.fn();
    deadlineTimer(1000, fired, () => 0);
    jest.advanceTimersByTime(999);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('is granted the one-time work that ran meanwhile, including work still running when it first fires', () => {
    jest.useFakeTimers();
    let clock = 0;
    const fired = jest.fn();
    const timer = deadlineTimer(1000, fired, () => clock);
    clock = 400; // 400 ms of set-up during the first second
    jest.advanceTimersByTime(1000);
    expect(fired).not.toHaveBeenCalled();
    clock = 700; // still building: 300 ms more by the time the extension ends
    jest.advanceTimersByTime(400);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(299);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(timer.grantedMs()).toBe(700);
    expect(timer.setUpMs()).toBe(700);
  });

  it('cancel stops it for good', () => {
    jest.useFakeTimers();
    const fired = jest.fn();
    deadlineTimer(1000, fired, () => 0).cancel();
    jest.advanceTimersByTime(5000);
    expect(fired).not.toHaveBeenCalled();
  });

  it('counts overlapping one-time work once, and not the time between pieces', async () => {
    const before = oneTimeClock();
    const started = Date.now();
    await Promise.all([asOneTime(() => sleep(120)), asOneTime(() => sleep(60))]);
    const wall = Date.now() - started;
    const during = oneTimeClock() - before;
    await sleep(100);
    expect(oneTimeClock() - before).toBe(during);
    // The two pieces overlap: their union is the wall time, not the sum (at least 180 ms).
    expect(during).toBeGreaterThanOrEqual(110);
    expect(during).toBeLessThanOrEqual(wall);
  });

  it('stops the clock when the work fails, and passes the failure on', async () => {
    const before = oneTimeClock();
    await expect(asOneTime(async () => { await sleep(20); throw new Error('no registry'); })).rejects.toThrow('no registry');
    const after = oneTimeClock();
    await sleep(50);
    expect(oneTimeClock()).toBe(after);
    expect(after - before).toBeGreaterThanOrEqual(15);
  });
});

describe('Slots', () => {
  it('runs at most its size at once, in the order asked, and frees a slot on failure', async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const job = (i: number, fail = false) => slots.run(async () => {
      running += 1;
      most = Math.max(most, running);
      order.push(i);
      await sleep(20);
      running -= 1;
      if (fail) throw new Error(`job ${i}`);
      return i;
    });
    const results = await Promise.allSettled([job(1), job(2, true), job(3), job(4), job(5)]);
    expect(most).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
  });

  it('refuses a size below 1', () => {
    expect(() => new Slots(0)).toThrow('at least 1');
  });
});

describe('allOrFirstError', () => {
  it('waits for every promise, then throws the first rejection in their order', async () => {
    let lateDone = false;
    const late = sleep(40).then(() => { lateDone = true; });
    // The first in order fails later than the second: order decides, not time.
    await expect(allOrFirstError([sleep(10).then(() => { throw new Error('index 0'); }), Promise.reject(new Error('index 1')), late])).rejects.toThrow('index 0');
    expect(lateDone).toBe(true);
    await expect(allOrFirstError([sleep(1), Promise.resolve(2)])).resolves.toBeUndefined();
  });
});
