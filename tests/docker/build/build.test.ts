import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildImage, LOG_FILE_HEAD_BYTES, type BuildRequest } from '../../../grader/src/build/build.js';
import { EngineError, isNotFound } from '../../../grader/src/engine/errors.js';
import type { BuildFacts } from '../../../grader/src/engine/facts.js';
import { createHostRuntime, type Builder, type Runtime } from '../../../grader/src/engine/runtime.js';
import { pollUntil } from '../../../grader/src/lib/poll.js';

/**
 * Real builds with both builders on this machine's engine (classic builder, and
 * BuildKit through buildx: scripts/provision.sh installs it). Everything is
 * named hbld-… and removed at the end.
 */
const BUILDERS: Builder[] = ['classic', 'buildkit'];
const run = `hbld${Date.now().toString(36)}`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'hbld-build-test-'));
const tags: string[] = [];
let dirs = 0;

function project(files: Record<string, string>): string {
  const dir = path.join(tmp, `p${++dirs}`);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

function request(runtime: Runtime, dir: string, overrides: Partial<BuildRequest> = {}): BuildRequest {
  const tag = `hbld-build-test:${run}-${tags.length}`;
  tags.push(tag);
  return {
    runtime,
    submissionDir: dir,
    dockerfile: 'Dockerfile',
    context: '.',
    tag,
    labels: { 'hbld.test': run },
    timeoutMs: 120_000,
    memoryMiB: 1024,
    cpus: 1,
    pids: 512,
    progress: () => undefined,
    prepareBases: async (refs) => {
      for (const ref of refs) {
        try {
          await runtime.docker.getImage(ref).inspect();
        } catch (error) {
          if (isNotFound(error)) throw new EngineError(`base image ${ref} is not available`);
          throw error;
        }
      }
      return { alpineStandIns: [] };
    },
    logFile: path.join(tmp, 'logs', `${tag.replace(/[^\w.-]/g, '_')}.log`),
    ...overrides,
  };
}

async function imageExists(runtime: Runtime, ref: string): Promise<boolean> {
  try {
    await runtime.docker.getImage(ref).inspect();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** The image ids a classic build printed (" ---> 3f2a…"), read back from its log file. */
function printedImageIds(facts: BuildFacts): string[] {
  return [...readFileSync(facts.logFile!, 'utf8').matchAll(/^ ---> ([0-9a-f]{12})$/gm)].map((m) => m[1]!);
}

afterAll(async () => {
  const runtime = createHostRuntime({ builder: 'classic' });
  for (const tag of tags) {
    try {
      // Pruning removes the untagged parents too: the classic builder's intermediate images of these builds.
      await runtime.docker.getImage(tag).remove({ force: true });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  // Intermediate images of the failed classic builds (their cache): only those these builds committed, childless.
  const logs = path.join(tmp, 'logs');
  const ids = new Set<string>();
  if (existsSync(logs)) for (const file of readdirSync(logs)) for (const m of readFileSync(path.join(logs, file), 'utf8').matchAll(/^ ---> ([0-9a-f]{12})$/gm)) ids.add(m[1]!);
  for (let round = 0; round < 20; round++) {
    const all = await runtime.docker.listImages({ all: true });
    const parents = new Set(all.map((i) => i.ParentId));
    const leaves = all.filter((i) => ids.has(i.Id.slice(7, 19)) && !parents.has(i.Id) && (i.RepoTags ?? ['<none>:<none>']).every((t) => t === '<none>:<none>'));
    if (leaves.length === 0) break;
    for (const image of leaves) await runtime.docker.getImage(image.Id).remove({ noprune: true }).catch(() => undefined);
  }
  // BuildKit's cache records of these builds (their commands carry the run id); never anyone else's.
  for (let round = 0; round < 3; round++) {
    const du = spawnSync('docker', ['buildx', 'du', '--verbose'], { env: runtime.cliEnv, encoding: 'utf8' }).stdout ?? '';
    const records = du.split(/\n\s*\n/).map((r) => ({ id: /^ID:\s+(\S+)/m.exec(r)?.[1], description: /^Description:(.*)$/m.exec(r)?.[1] ?? '' }));
    const ids = records.filter((r) => r.id && r.description.includes(run)).map((r) => r.id!);
    if (ids.length === 0) break;
    for (const id of ids) spawnSync('docker', ['builder', 'prune', '--force', '--filter', `id=${id}`], { env: runtime.cliEnv });
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe.each(BUILDERS)('with the %s builder', (builder) => {
  const runtime = createHostRuntime({ builder });

  it('builds, applies .dockerignore, labels the image, and after an edit reuses the cache up to the edited COPY', async () => {
    const token = `${run}-${builder}`;
    const dir = project({
      Dockerfile: [
        'FROM debian:bookworm-slim',
        'WORKDIR /app',
        'COPY requirements.txt ./',
        'RUN echo "installing $(cat requirements.txt)" \\',
        '  && cp requirements.txt installed.txt',
        'COPY . ./',
        'RUN test ! -e secrets.env && test -f app.py && echo "context ok"',
        'CMD ["cat", "app.py"]',
        '',
      ].join('\n'),
      'requirements.txt': `flask==3.0.3 # ${token}\n`,
      'app.py': 'print("hello")\n',
      'secrets.env': 'API_KEY=must-not-be-in-the-image\n',
      '.dockerignore': 'secrets.env\n',
    });
    const first = await buildImage(request(runtime, dir));
    expect(first).toMatchObject({ ok: true, builder });
    expect(first.failure).toBeUndefined();
    expect(first.steps.map((s) => [s.line, s.cached])).toEqual([
      [2, expect.any(Boolean)],
      [3, false],
      [4, false],
      [6, false],
      [7, false],
    ]);
    expect(first.outputTail).toContain('context ok');
    expect(readFileSync(first.logFile!, 'utf8')).toContain('context ok');
    const labels = (await runtime.docker.getImage(tags[tags.length - 1]!).inspect()).Config.Labels;
    expect(labels).toMatchObject({ 'hbld.test': run });

    // As the rebuild action does: a copy of the submission, one file edited.
    const copy = path.join(tmp, `copy-${builder}`);
    cpSync(dir, copy, { recursive: true });
    writeFileSync(path.join(copy, 'app.py'), `print("edited by the grader ${token}")\n`);
    const second = await buildImage(request(runtime, copy));
    expect(second.ok).toBe(true);
    expect(second.steps.map((s) => [s.index, s.line, s.instruction.split(' ')[0], s.cached])).toEqual([
      [1, 2, 'WORKDIR', true],
      [2, 3, 'COPY', true],
      [3, 4, 'RUN', true],
      [4, 6, 'COPY', false],
      [5, 7, 'RUN', false],
    ]);
  });

  it("after an edit, the cache is the first build's own, even when another build made the same first step since", async () => {
    const token = `${run}-${builder}-own`;
    const student = project({
      Dockerfile: ['FROM debian:bookworm-slim', `RUN echo "tools ${token}"`, 'COPY requirements.txt ./', 'RUN cat requirements.txt', 'COPY . ./', ''].join('\n'),
      'requirements.txt': `flask==3.0.3 # ${token}\n`,
      'app.py': 'print("hello")\n',
    });
    const firstRequest = request(runtime, student);
    expect((await buildImage(firstRequest)).ok).toBe(true);
    // Another submission, built with the classic builder after it, makes an equal first step (a class's cold,
    // concurrent builds do) and goes on differently. The classic builder's cache takes the newest equal layer.
    const other = project({ Dockerfile: ['FROM debian:bookworm-slim', `RUN echo "tools ${token}"`, 'RUN echo another submission', ''].join('\n') });
    const otherTag = `hbld-build-test:${run}-${tags.length}`;
    tags.push(otherTag);
    const made = spawnSync('docker', ['build', '--no-cache', '-t', otherTag, other], { env: { ...runtime.cliEnv, DOCKER_BUILDKIT: '0' }, encoding: 'utf8' });
    mkdirSync(path.join(tmp, 'logs'), { recursive: true });
    writeFileSync(path.join(tmp, 'logs', `other-${builder}.log`), made.stdout);
    expect(made.status).toBe(0);

    const edited = (name: string) => {
      const copy = path.join(tmp, `${name}-${builder}`);
      cpSync(student, copy, { recursive: true });
      writeFileSync(path.join(copy, 'app.py'), `print("edited ${name} ${token}")\n`);
      return copy;
    };
    const cached = (facts: BuildFacts) => facts.steps.map((s) => [s.instruction.split(' ')[0], s.cached]);
    const own = await buildImage(request(runtime, edited('own'), { cacheFrom: firstRequest.tag }));
    expect(cached(own)).toEqual([['RUN', true], ['COPY', true], ['RUN', true], ['COPY', false]]);
    if (builder === 'classic') {
      // Why the rebuild names its first build: without it, the other submission's layer is taken and what follows is rebuilt.
      const any = await buildImage(request(runtime, edited('any')));
      expect(cached(any)).toEqual([['RUN', true], ['COPY', false], ['RUN', false], ['COPY', false]]);
    }
  });

  it('a failing RUN: its line, exit code and last output lines', async () => {
    const dir = project({
      Dockerfile: 'FROM debian:bookworm-slim\nRUN echo "Collecting flaskk" \\\n && echo "ERROR: No matching distribution found for flaskk" >&2 \\\n && exit 1\nCMD ["true"]\n',
    });
    const facts = await buildImage(request(runtime, dir));
    expect(facts.ok).toBe(false);
    expect(facts.failure).toMatchObject({ kind: 'command', exitCode: 1, line: 2, stage: 0, step: 1, instruction: expect.stringMatching(/^RUN echo "Collecting flaskk" && echo/) });
    expect(facts.failure!.output).toEqual(expect.arrayContaining(['Collecting flaskk', 'ERROR: No matching distribution found for flaskk']));
    expect(await imageExists(runtime, tags[tags.length - 1]!)).toBe(false);
  });

  it('a COPY whose source is missing', async () => {
    const dir = project({ Dockerfile: 'FROM debian:bookworm-slim\nWORKDIR /app\nCOPY requirements.txt ./\n' });
    const facts = await buildImage(request(runtime, dir));
    expect(facts.failure).toMatchObject({ kind: 'missing-source', line: 3, instruction: 'COPY requirements.txt ./' });
    expect(facts.failure!.path!.replace(/^\//, '')).toBe('requirements.txt');
  });

  it('a parse error and an unknown instruction', async () => {
    const malformed = await buildImage(request(runtime, project({ Dockerfile: 'FROM debian:bookworm-slim\n\nENV APP_HOME\n' })));
    expect(malformed.failure).toMatchObject({ kind: 'syntax', line: 3, instruction: 'ENV APP_HOME', reason: 'ENV must have two arguments' });
    const unknown = await buildImage(request(runtime, project({ Dockerfile: 'FROM debian:bookworm-slim\nCOPPY a b\n' })));
    expect(unknown.failure).toMatchObject({ kind: 'unknown-instruction', line: 2, word: 'COPPY' });
  });

  it('a base image that is not available is reported at its FROM line, before any build', async () => {
    const facts = await buildImage(request(runtime, project({ Dockerfile: 'FROM debian:bookworm-slim AS a\nRUN true\nFROM hbld-nowhere/python:3.12-slim\n' })));
    expect(facts.failure).toMatchObject({ kind: 'base-image', image: 'hbld-nowhere/python:3.12-slim', line: 3, stage: 1 });
    expect(facts.outputBytes).toBe(0);
  });

  it('applies the memory, CPU and process limits to RUN steps', async () => {
    const dir = project({
      Dockerfile: [
        'FROM debian:bookworm-slim',
        `RUN echo "${run} memory $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) cpu $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)"`,
        'RUN for i in $(seq 1 200); do sleep 3 & done; wait',
        '',
      ].join('\n'),
    });
    const facts = await buildImage(request(runtime, dir, { memoryMiB: 700, cpus: 0.5, pids: 64 }));
    expect(facts.outputTail).toContain(`memory ${700 * 1024 * 1024} cpu 50000`);
    // The process limit shows as the fork bomb's failure (classic: on a parent cgroup, so the step's own pids.max says "max").
    expect(facts.failure).toMatchObject({ kind: 'command', line: 3 });
    expect(facts.failure!.output.join('\n')).toMatch(/Cannot fork|Resource temporarily unavailable/);
  });

  it('a RUN printing 1 GB: a normal verdict, the output bounded in memory and in the log file', async () => {
    const dir = project({ Dockerfile: `FROM debian:bookworm-slim\nRUN yes ${run}-${builder} | head -c 1000000000\nRUN echo "after the flood"\n` });
    // What the build adds to this process: in a full run, jest itself already holds a few hundred MiB.
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const started = Date.now();
    let facts: BuildFacts;
    try {
      facts = await buildImage(request(runtime, dir, { timeoutMs: 150_000 }));
    } finally {
      clearInterval(sampler);
    }
    // eslint-disable-next-line no-console
    console.log(`${builder}: 1 GB RUN built in ${Date.now() - started} ms, ${facts.outputBytes} bytes of output, peak RSS of the test process ${Math.round(peak / 2 ** 20)} MiB (+${Math.round((peak - before) / 2 ** 20)} MiB)`);
    expect(facts.ok).toBe(true);
    expect(facts.steps.map((s) => s.line)).toEqual([2, 3]);
    expect(facts.outputTail.length).toBeLessThanOrEqual(64 * 1024);
    expect(facts.outputTail).toContain('after the flood');
    // BuildKit clips a step's log itself; the classic builder passes all of it on.
    if (builder === 'classic') expect(facts.outputBytes).toBeGreaterThan(1_000_000_000);
    expect(statSync(facts.logFile!).size).toBeLessThanOrEqual(LOG_FILE_HEAD_BYTES + 64 * 1024 + 200);
    // The grader's own bound is 300 MB in all (the CLI's RSS is measured in hostile.test.ts); here, the growth.
    expect(peak - before).toBeLessThan(150 * 2 ** 20);
  });

  it('a build stopped by its time limit leaves no image, no intermediate image and no container', async () => {
    // 10,000 LABEL lines: one image per line with the classic builder, none of them labelled by the grader.
    const labelsLines = Array.from({ length: 10_000 }, (_, i) => `LABEL hbld.line${i}="${run}"`).join('\n');
    const dir = project({ Dockerfile: `FROM debian:bookworm-slim\nRUN echo ${run}-${builder}\n${labelsLines}\nRUN sleep 60\n` });
    const facts = await buildImage(request(runtime, dir, { timeoutMs: 6_000 }));
    expect(facts).toMatchObject({ ok: false, timedOut: true, failure: { kind: 'time-limit', seconds: 6 } });
    expect(await imageExists(runtime, tags[tags.length - 1]!)).toBe(false);
    if (builder === 'classic') {
      const printed = printedImageIds(facts);
      // How far 6 s gets depends on the machine's load (8 steps beside the engine28 lane, dozens
      // alone): the base's id and two of the build's own are enough to make "none left" a claim.
      expect(printed.length).toBeGreaterThanOrEqual(3);
      const left = [];
      // The first id is debian:bookworm-slim's own.
      for (const id of printed.slice(1)) if (await imageExists(runtime, id)) left.push(id);
      expect(left).toEqual([]);
    }
    const containers = await runtime.docker.listContainers({ all: true });
    expect(containers.filter((c) => (c.Command ?? '').includes(run))).toEqual([]);
  });

  it('an aborted build is killed at once and cleaned: the facts say interrupted, at the running step', async () => {
    const dir = project({ Dockerfile: `FROM debian:bookworm-slim\nRUN echo ${run}-${builder}-abort > /stamp\nRUN sleep 119\n` });
    const controller = new AbortController();
    const started = Date.now();
    const facts = await buildImage(
      request(runtime, dir, {
        signal: controller.signal,
        progress: (line) => {
          if (/RUN sleep 119/.test(line)) setTimeout(() => controller.abort(), 1500);
        },
      }),
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(facts).toMatchObject({ ok: false, failure: { kind: 'interrupted', line: 3, instruction: 'RUN sleep 119' } });
    expect(await imageExists(runtime, tags[tags.length - 1]!)).toBe(false);
    if (builder === 'classic') {
      const printed = printedImageIds(facts).slice(1);
      expect(printed).toHaveLength(1);
      expect(await imageExists(runtime, printed[0]!)).toBe(false);
    }
    const containers = await runtime.docker.listContainers({ all: true });
    expect(containers.filter((c) => (c.Command ?? '').includes('sleep 119'))).toEqual([]);
    // The step's process itself (BuildKit runs it outside any container the engine lists): the engine stops it when the client goes.
    const sleeping = () => readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && (() => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\u0000119\u0000'; } catch { return false; } })());
    const { met } = await pollUntil(async () => sleeping(), (pids) => pids.length === 0, 10_000);
    expect(met).toBe(true);
  });
});
