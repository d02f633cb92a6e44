import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Runtime } from '../../../grader/src/engine/runtime.js';
import {
  BuildJournal,
  ClassicStepRecorder,
  lateCommits,
  parseJournal,
  partitionJournals,
  readJournals,
  removalOrder,
  sweepDeadBuildJournals,
  type BuildJournalRecord,
  type JournalStart,
  type ListedImage,
} from '../../../grader/src/build/journal.js';
import { BuildOutputParser } from '../../../grader/src/build/output.js';
import { currentOwner } from '../../../grader/src/engine/labels.js';

/** 12-hex-digit ids, as the classic builder prints them: `id(1)` = "000000000001". */
const id = (n: number) => n.toString(16).padStart(12, '0');
const full = (n: number) => `sha256:${id(n)}${'f'.repeat(52)}`;

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'hbj-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** An owner label of a process that has exited (its pid is free, or reused at another start time). */
async function deadOwner(): Promise<string> {
  const child = spawn('node', ['-e', '0']);
  const pid = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid!)));
  const [host, boot] = currentOwner().split(':');
  return `${host}:${boot}:${pid}:1`;
}

const start = (owner: string, over: Partial<JournalStart> = {}): JournalStart => ({ runId: 'dltest1', owner, tag: 'dockerlab/lab-86:dltest1', engine: 'ENGINE-A', startedAt: Date.now() - 10_000, ...over });

function record(over: Partial<BuildJournalRecord> & Pick<BuildJournalRecord, 'images'>): BuildJournalRecord {
  return { file: '/nowhere', runId: 'dlr', owner: 'h:b:1:1', tag: 't', engine: 'E', startedAt: 1_000_000, client: null, containers: [], modifiedAt: 0, ...over };
}

const listed = (n: number, parent: number | null, createdSeconds: number, tags: string[] | null = null): ListedImage => ({ Id: full(n), ParentId: parent === null ? '' : full(parent), Created: createdSeconds, RepoTags: tags });

describe('BuildJournal: the writing side', () => {
  it('records the start, the client, images and containers one line each, and close() removes the file and its empty folder', () => {
    const dir = path.join(root, 'dockerlab-builds');
    const journal = BuildJournal.open(start(currentOwner()), dir)!;
    expect(journal).not.toBeNull();
    journal.recordClient(process.pid);
    journal.recordImage(id(1), false);
    journal.recordContainer(id(100));
    journal.recordImage(id(2), true);
    const [read] = readJournals(dir);
    expect(read).toMatchObject({ runId: 'dltest1', owner: currentOwner(), engine: 'ENGINE-A', client: { pid: process.pid }, containers: [id(100)], images: [{ id: id(1), made: false }, { id: id(2), made: true }] });
    expect(read!.client!.start).toMatch(/^\d+$/);
    expect((readdirSync(root))).toEqual(['dockerlab-builds']);
    journal.close();
    expect(existsSync(journal.file)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('keeps the folder while another build\'s journal is in it', () => {
    const dir = path.join(root, 'dockerlab-builds');
    const a = BuildJournal.open(start(currentOwner()), dir)!;
    const b = BuildJournal.open(start(currentOwner(), { runId: 'dltest2' }), dir)!;
    a.close();
    expect(readJournals(dir).map((r) => r.runId)).toEqual(['dltest2']);
    b.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('writes no journal in a folder others can write to (its journals could name any image)', () => {
    const dir = path.join(root, 'dockerlab-builds');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect(BuildJournal.open(start(currentOwner()), dir)).toBeNull();
  });
});

describe('reading journals back', () => {
  it('skips a line cut by a kill and lines that are not its own', () => {
    const text = [JSON.stringify({ start: start('h:b:1:1') }), JSON.stringify({ image: id(3), made: true }), '{"image":"not-an-id","made":true}', '{"container":"000000000064"}', '{"image":"0000000'].join('\n');
    const parsed = parseJournal(text, 'f', 5);
    expect(parsed).toMatchObject({ images: [{ id: id(3), made: true }], containers: [id(100)], modifiedAt: 5 });
  });

  it('is null without its start line', () => {
    expect(parseJournal(`${JSON.stringify({ image: id(3), made: true })}\n`, 'f', 0)).toBeNull();
    expect(parseJournal('{"sta', 'f', 0)).toBeNull();
  });

  it('shortens full ids to the 12 digits the builder prints', () => {
    const parsed = parseJournal([JSON.stringify({ start: start('h:b:1:1') }), JSON.stringify({ image: full(7), made: true })].join('\n'), 'f', 0);
    expect(parsed!.images).toEqual([{ id: id(7), made: true }]);
  });

  it('reads nothing from a folder others can write to, nor files of another user', () => {
    const dir = path.join(root, 'dockerlab-builds');
    const journal = BuildJournal.open(start(currentOwner()), dir)!;
    expect(readJournals(dir)).toHaveLength(1);
    chmodSync(dir, 0o777);
    expect(readJournals(dir)).toEqual([]);
    chmodSync(dir, 0o700);
    if (process.getuid?.() === 0) {
      chownSync(journal.file, 4242, 4242);
      expect(readJournals(dir)).toEqual([]);
    }
  });
});

describe('ClassicStepRecorder: what the output names, as soon as it names it', () => {
  const output = [
    'Sending build context to Docker daemon  2.048kB',
    'Step 1/4 : FROM busybox:1.36',
    ` ---> ${id(1)}`,
    'Step 2/4 : LABEL a=b',
    ' ---> Using cache',
    ` ---> ${id(2)}`,
    'Step 3/4 : LABEL c=d',
    ` ---> Running in ${id(100)}`,
    `Removing intermediate container ${id(100)}`,
    ` ---> ${id(3)}`,
    'Step 4/4 : RUN echo hi',
    ` ---> Running in ${id(101)}`,
    'hi',
    `Removing intermediate container ${id(101)}`,
    ` ---> ${id(4)}`,
    `Successfully built ${id(4)}`,
    '',
  ].join('\n');

  function feed(chunkSize: number): { lines: string[]; afterStep3: string[] } {
    const lines: string[] = [];
    const recorder = new ClassicStepRecorder({ recordImage: (i, made) => lines.push(`${made ? 'made' : 'used'} ${i}`), recordContainer: (c) => lines.push(`container ${c}`) });
    const parser = new BuildOutputParser('classic');
    parser.onStep = (step) => recorder.onStep(step);
    let afterStep3: string[] = [];
    for (let at = 0; at < output.length; at += chunkSize) {
      parser.write(output.slice(at, at + chunkSize));
      recorder.update();
      if (afterStep3.length === 0 && lines.includes(`made ${id(3)}`)) afterStep3 = [...lines];
    }
    parser.end();
    recorder.update();
    return { lines, afterStep3 };
  }

  it.each([1, 7, 64, 100_000])('base and cached images as used, committed ones as made, containers, each once (chunks of %i bytes)', (size) => {
    const { lines, afterStep3 } = feed(size);
    expect(lines).toEqual([`used ${id(1)}`, `used ${id(2)}`, `container ${id(100)}`, `made ${id(3)}`, `container ${id(101)}`, `made ${id(4)}`]);
    // While the build still runs (a kill could come next), not at its end.
    if (size < output.length) expect(afterStep3).toEqual([`used ${id(1)}`, `used ${id(2)}`, `container ${id(100)}`, `made ${id(3)}`]);
  });
});

describe('which journals and images a sweep deals with', () => {
  it('takes dead owners\' journals; every image a live one names is protected', () => {
    const live = record({ owner: 'live', images: [{ id: id(1), made: false }, { id: id(5), made: true }] });
    const dead = record({ owner: 'dead', images: [{ id: id(5), made: true }, { id: id(6), made: true }] });
    const { dead: found, protectedIds } = partitionJournals([live, dead], (owner) => owner === 'dead');
    expect(found).toEqual([dead]);
    expect([...protectedIds].sort()).toEqual([id(1), id(5)]);
    expect(removalOrder(dead, [], protectedIds)).toEqual([id(6)]);
  });

  it('removes youngest first: late commits (children first), then what the build made, newest first', () => {
    const r = record({ images: [{ id: id(1), made: false }, { id: id(2), made: true }, { id: id(3), made: true }] });
    expect(removalOrder(r, [id(9), id(8)], new Set())).toEqual([id(9), id(8), id(3), id(2)]);
  });

  it('finds what the daemon committed after the client died: untagged descendants of what it made, made since it started', () => {
    const r = record({ startedAt: 1_000_000, images: [{ id: id(1), made: false }, { id: id(2), made: true }, { id: id(3), made: true }] });
    const images = [
      listed(1, null, 500),
      listed(2, 1, 1001),
      listed(3, 2, 1002),
      listed(4, 3, 1003), // the step in flight
      listed(5, 4, 1003), // and one more
      listed(6, 3, 1003, ['someone/else:1']), // tagged: a finished build's, not ours to judge
      listed(7, 1, 1003), // a child of the base: another build's
      listed(8, 3, 900), // older than the build: cannot be its
    ];
    expect(lateCommits(r, images, new Set())).toEqual({ late: [id(5), id(4)], fromReused: [] });
    // A live build's journal names 4 (it used the dead build's images as its cache): neither 4 nor what is under it.
    expect(lateCommits(r, images, new Set([id(4)]))).toEqual({ late: [], fromReused: [] });
  });

  it('when the last image named was reused (the base, a cached step), its fresh children are candidates the caller checks', () => {
    const r = record({ startedAt: 1_000_000, images: [{ id: id(1), made: false }] });
    const images = [listed(1, null, 500), listed(4, 1, 1003), listed(7, 1, 1003, ['x:1'])];
    expect(lateCommits(r, images, new Set())).toEqual({ late: [], fromReused: [id(4)] });
  });
});

describe('sweepDeadBuildJournals (a fake engine)', () => {
  interface FakeImage {
    n: number;
    parent: number | null;
    created: number;
    tags?: string[];
    container?: string;
  }

  /** An engine holding `images`; removing one refuses (409) while another image has it as parent. */
  function fakeEngine(images: FakeImage[], { engineId = 'ENGINE-A', failRemove }: { engineId?: string; failRemove?: number } = {}) {
    const present = new Map(images.map((i) => [id(i.n), i]));
    const removed: string[] = [];
    const error = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode });
    const docker = {
      info: async () => ({ ID: engineId }),
      listContainers: async () => [],
      listImages: async () =>
        [...present.values()].map((i) => ({ Id: full(i.n), ParentId: i.parent === null ? '' : full(i.parent), Created: i.created, RepoTags: i.tags ?? null })),
      getImage: (name: string) => ({
        inspect: async () => {
          const image = present.get(name.slice(0, 12));
          if (!image) throw error(404, 'no such image');
          return { Container: image.container ?? '' };
        },
        remove: async () => {
          const key = name.slice(0, 12);
          if (!present.has(key)) throw error(404, 'no such image');
          if (failRemove !== undefined && key === id(failRemove)) throw error(500, 'engine trouble');
          if ([...present.values()].some((i) => i.parent !== null && id(i.parent) === key)) throw error(409, 'image has dependent child images');
          present.delete(key);
          removed.push(key);
        },
      }),
    };
    return { runtime: { description: 'a fake engine', docker } as unknown as Runtime, removed, present };
  }

  function writeJournal(dir: string, lines: object[]): string {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
    writeFileSync(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''), { mode: 0o600 });
    return file;
  }

  const now = () => Math.floor(Date.now() / 1000);

  it('removes a dead build\'s images and its late commit, youngest first, keeps what a finished image depends on, then deletes the journal', async () => {
    const dir = path.join(root, 'dockerlab-builds');
    const owner = await deadOwner();
    const t = now();
    const { runtime, removed, present } = fakeEngine([
      { n: 1, parent: null, created: t - 1000, tags: ['busybox:1.36'] },
      { n: 2, parent: 1, created: t - 5 },
      { n: 3, parent: 2, created: t - 4 },
      { n: 4, parent: 3, created: t - 3 },
      { n: 5, parent: 4, created: t - 2 }, // committed after the client died
    ]);
    const file = writeJournal(dir, [{ start: start(owner) }, { image: id(1), made: false }, { image: id(2), made: true }, { image: id(3), made: true }, { image: id(4), made: true }]);
    const swept = await sweepDeadBuildJournals(runtime, { dir, quietMs: 10 });
    expect(removed).toEqual([id(5), id(4), id(3), id(2)]);
    expect(swept).toMatchObject({ images: [id(5), id(4), id(3), id(2)], problems: [], journals: 1 });
    expect([...present.keys()]).toEqual([id(1)]);
    expect(existsSync(file)).toBe(false);
  });

  it('keeps images a finished (tagged) image is built on, and still deletes the journal', async () => {
    const dir = path.join(root, 'dockerlab-builds');
    const owner = await deadOwner();
    const t = now();
    const { runtime, removed } = fakeEngine([
      { n: 1, parent: null, created: t - 1000, tags: ['busybox:1.36'] },
      { n: 2, parent: 1, created: t - 5 },
      { n: 3, parent: 2, created: t - 4 },
      { n: 9, parent: 2, created: t - 1, tags: ['dockerlab/lab-86:other'] }, // a later build used 2 as its cache
    ]);
    const file = writeJournal(dir, [{ start: start(owner) }, { image: id(2), made: true }, { image: id(3), made: true }]);
    const swept = await sweepDeadBuildJournals(runtime, { dir, quietMs: 10 });
    expect(removed).toEqual([id(3)]);
    expect(swept.kept).toEqual([id(2)]);
    expect(existsSync(file)).toBe(false);
  });

  it('never touches a live build\'s journal or the images it names', async () => {
    const dir = path.join(root, 'dockerlab-builds');
    const dead = await deadOwner();
    const t = now();
    const { runtime, removed } = fakeEngine([
      { n: 2, parent: null, created: t - 5 },
      { n: 3, parent: 2, created: t - 4 },
    ]);
    writeJournal(dir, [{ start: start(dead) }, { image: id(2), made: true }, { image: id(3), made: true }]);
    // The live build has just reused 3 as its cache, and not yet committed anything on it.
    const live = writeJournal(dir, [{ start: start(currentOwner(), { runId: 'dllive' }) }, { image: id(3), made: false }]);
    await sweepDeadBuildJournals(runtime, { dir, quietMs: 10 });
    expect(removed).toEqual([]);
    expect(existsSync(live)).toBe(true);
    expect(readJournals(dir).map((r) => r.runId)).toEqual(['dllive']);
  });

  it('leaves a journal of another engine (a sandbox\'s, another DOCKER_HOST) to that engine\'s sweep', async () => {
    const dir = path.join(root, 'dockerlab-builds');
    const t = now();
    const { runtime, removed } = fakeEngine([{ n: 2, parent: null, created: t - 5 }], { engineId: 'ENGINE-B' });
    const file = writeJournal(dir, [{ start: start(await deadOwner()) }, { image: id(2), made: true }]);
    const swept = await sweepDeadBuildJournals(runtime, { dir, quietMs: 10 });
    expect(removed).toEqual([]);
    expect(swept.journals).toBe(0);
    expect(existsSync(file)).toBe(true);
  });

  it('keeps the journal when the engine fails to remove an image, and says which', async () => {
    const dir = path.join(root, 'dockerlab-builds');
    const t = now();
    const { runtime } = fakeEngine([{ n: 2, parent: null, created: t - 5 }], { failRemove: 2 });
    const file = writeJournal(dir, [{ start: start(await deadOwner(), { runId: 'dlfail' }) }, { image: id(2), made: true }]);
    const swept = await sweepDeadBuildJournals(runtime, { dir, quietMs: 10 });
    expect(swept.problems).toEqual([expect.stringMatching(/image 000000000002 of a killed build \(run dlfail\): engine trouble/)]);
    expect(existsSync(file)).toBe(true);
  });

  it('costs no engine call when there is no dead journal', async () => {
    const dir = path.join(root, 'dockerlab-builds');
    const runtime = { description: 'no engine', docker: new Proxy({}, { get: () => () => Promise.reject(new Error('called')) }) } as unknown as Runtime;
    writeJournal(dir, [{ start: start(currentOwner()) }]);
    await expect(sweepDeadBuildJournals(runtime, { dir })).resolves.toMatchObject({ images: [], problems: [], journals: 0 });
    await expect(sweepDeadBuildJournals(runtime, { dir: path.join(root, 'absent') })).resolves.toMatchObject({ journals: 0 });
  });

  it('ends a dead grader\'s orphaned `docker build` client (the daemon then stops the build), and only that process', async () => {
    const dir = path.join(root, 'dockerlab-builds');
    // Stands in for the client: detached, as build.ts starts it (a group of its own).
    const client = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    const exited = new Promise((resolve) => client.on('exit', (_code, signal) => resolve(signal)));
    const journal = BuildJournal.open(start(await deadOwner()), dir)!;
    journal.recordClient(client.pid!);
    const bystander = spawn('sleep', ['300'], { stdio: 'ignore' });
    const { runtime } = fakeEngine([]);
    await sweepDeadBuildJournals(runtime, { dir, quietMs: 10 });
    expect(await exited).toBe('SIGKILL');
    expect(bystander.exitCode).toBeNull();
    bystander.kill('SIGKILL');
  });

  it('does not end a process that took the client\'s pid later (another start time)', async () => {
    const dir = path.join(root, 'dockerlab-builds');
    const other = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    const file = writeJournal(dir, [{ start: start(await deadOwner()) }, { client: { pid: other.pid, start: '1' } }]);
    const { runtime } = fakeEngine([]);
    await sweepDeadBuildJournals(runtime, { dir, quietMs: 10 });
    expect(other.exitCode).toBeNull();
    expect(existsSync(file)).toBe(false);
    other.kill('SIGKILL');
  });
});

describe('a journal appended by a grader killed mid-line', () => {
  it('gives the images of its whole lines', () => {
    const dir = path.join(root, 'dockerlab-builds');
    const journal = BuildJournal.open(start(currentOwner()), dir)!;
    journal.recordImage(id(2), true);
    appendFileSync(journal.file, '{"image":"0000000000');
    expect(readJournals(dir)[0]!.images).toEqual([{ id: id(2), made: true }]);
    expect(readFileSync(journal.file, 'utf8').split('\n')).toHaveLength(3);
    journal.close();
  });
});
